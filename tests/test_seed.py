"""`indigo seed`: a demo network that obeys the economy's rules, once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from indigo import cli
from indigo.seed import DEMO_PASSWORD, demo_email, seed_demo
from models import Database, Listing, ListingType, Member
from resolvers import ledger
from resolvers.categories import SLUGS
from resolvers.economy import Economy
from resolvers.lifetimes import Lifetimes
from tests.api import Api

PARIS = {"latitude": 48.8566, "longitude": 2.3522}


async def test_the_demo_network_follows_the_rules_and_answers_searches(
    api: Api, database: Database
) -> None:
    seeded = await seed_demo(database, Economy(), Lifetimes())

    async with database.read() as session:
        members = await session.scalar(select(func.count()).select_from(Member))
        kinds = (
            await session.execute(
                select(col(Listing.type), col(Listing.category), func.count()).group_by(
                    col(Listing.type), col(Listing.category)
                )
            )
        ).all()
        appeals = (
            await session.scalars(select(Listing).where(col(Listing.type) == ListingType.APPEAL))
        ).all()
        short = [
            (await ledger.wallet(session, a.author_id)).available_digos < a.digos for a in appeals
        ]
    login = await api.data("Login", {"input": {"email": demo_email(7), "password": DEMO_PASSWORD}})
    nearby = await api.data("Nearby", {"near": PARIS, "radiusKm": 2})

    assert (seeded.members, seeded.listings, members) == (500, 3000, 500)
    assert sum(count for _, _, count in kinds) == 3000
    assert {category for _, category, _ in kinds} == SLUGS
    assert {type_ for type_, _, _ in kinds} == set(ListingType)
    assert len(appeals) == seeded.appeals > 50
    assert all(short)
    assert len({a.author_id for a in appeals}) == len(appeals)
    assert login["login"]["userErrors"] == []
    assert len(nearby["nearby"]["edges"]) == 20


def test_seed_if_empty_seeds_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INDIGO_DATABASE_URL", database_url)

    first = cli.main(["seed", "--if-empty"])
    again = cli.main(["seed", "--if-empty"])
    forced = cli.main(["seed"])
    audit = cli.main(["audit"])

    assert (first, again, forced, audit) == (0, 0, 1, 0)
    assert capsys.readouterr().out.splitlines()[1:] == [
        "seed: the database has members already: nothing added",
        "seed: the database has members already: seed an empty one",
        "ledger audit: 0 violation(s)",
    ]
    assert asyncio.run(_counts(database_url)) == (500, 3000)


async def _counts(database_url: str) -> tuple[int, int]:
    database = Database(database_url)
    try:
        async with database.read() as session:
            members = await session.scalar(select(func.count()).select_from(Member))
            listings = await session.scalar(select(func.count()).select_from(Listing))
    finally:
        await database.dispose()
    return members or 0, listings or 0
