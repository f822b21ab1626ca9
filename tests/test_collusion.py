"""The collusion bounds: members answering each other's appeals in a loop are stopped at the
bounds, and `indigo audit --patterns` names them."""

from __future__ import annotations

import asyncio

import pytest

from indigo.cli import print_patterns
from indigo.settings import Settings
from models import Database
from schema.ids import decode_id
from tests.api import Api, SignedIn
from tests.economy import books, exchange_of, members, move, post_listing, refusal, wallet
from tests.variants import api_with

LIMIT_REACHED = "LIMIT_REACHED"


async def answer(api: Api, helper: SignedIn, member: SignedIn, value: int) -> None:
    """`helper` answers an appeal of `member` worth `value`, through to completion."""
    appeal = await post_listing(api, member, "APPEAL", value)
    exchange = await exchange_of(api, "RequestExchange", helper, listingId=appeal)
    await exchange_of(api, "AcceptExchange", member, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", member, exchangeId=exchange["id"])


async def test_two_members_answering_each_others_appeals_stop_at_the_monthly_bound(
    api: Api, database: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = await api.register(email="alice@example.org")
    bob = await api.register(email="bob@example.org")
    # Appeals of 80 goodvibes, answered in turn: a helper's third (240) passes the bound 200.
    for helper, member in [(bob, alice), (alice, bob), (bob, alice), (alice, bob)]:
        await answer(api, helper, member, 80)
    fifth = await post_listing(api, alice, "APPEAL", 80)
    before = await books(database)

    refused = await move(api, "RequestExchange", bob, listingId=fifth)

    assert refusal(refused) == [(LIMIT_REACHED, None)]
    assert await books(database) == before
    assert (await wallet(api, alice))["goodvibes"] == 160
    assert (await wallet(api, bob))["goodvibes"] == 160

    assert await asyncio.to_thread(print_patterns, settings) == 0
    printed = capsys.readouterr().out.splitlines()
    alice_, bob_ = f"#{_id(alice)} <alice@example.org>", f"#{_id(bob)} <bob@example.org>"
    assert printed == [
        "appeal pairs, last 30 days (bound: 3 per helper and member)",
        f"  {alice_} helped {bob_}: 2/3 appeals, 160 goodvibes (helper's total 160/200)",
        f"  {bob_} helped {alice_}: 2/3 appeals, 160 goodvibes (helper's total 160/200)",
        "rings of members answering each other's appeals, last 30 days",
        f"  {alice_} -> {bob_} -> {alice_}: 4 appeals, 320 goodvibes",
    ]


async def test_a_helper_answers_at_most_three_appeals_of_one_member_a_month(
    api: Api, database: Database
) -> None:
    helper, member, other = await members(api, 3)
    for _ in range(3):
        await answer(api, helper, member, 30)
    fourth = await post_listing(api, member, "APPEAL", 30)
    anothers = await post_listing(api, other, "APPEAL", 30)
    before = await books(database)

    refused = await move(api, "RequestExchange", helper, listingId=fourth)

    assert refusal(refused) == [(LIMIT_REACHED, None)]
    assert await books(database) == before
    await exchange_of(api, "RequestExchange", helper, listingId=anothers)


async def test_a_bound_reached_meanwhile_refuses_the_completion(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, max_pair_appeals_per_month=2) as api:
        helper, member = await members(api, 2)
        appeals = [await post_listing(api, member, "APPEAL", 30) for _ in range(3)]
        exchanges = [
            await exchange_of(api, "RequestExchange", helper, listingId=appeal)
            for appeal in appeals
        ]
        for exchange in exchanges:
            await exchange_of(api, "AcceptExchange", member, exchangeId=exchange["id"])
        for exchange in exchanges[:2]:
            await exchange_of(api, "CompleteExchange", member, exchangeId=exchange["id"])
        before = await books(database)

        refused = await move(api, "CompleteExchange", member, exchangeId=exchanges[2]["id"])

        assert refusal(refused) == [(LIMIT_REACHED, None)]
        assert await books(database) == before
        assert (await wallet(api, helper))["goodvibes"] == 60


def _id(member: SignedIn) -> int:
    return decode_id("Member", member.id)


async def test_patterns_name_a_ring_of_three(
    api: Api, database: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = await api.register(email="ann@example.org")
    ben = await api.register(email="ben@example.org")
    cat = await api.register(email="cat@example.org")
    for helper, member in [(ann, ben), (ben, cat), (cat, ann)]:
        await answer(api, helper, member, 30)

    assert await asyncio.to_thread(print_patterns, settings) == 0

    names = [f"#{_id(m)} <{m.email}>" for m in (ann, ben, cat)]
    rings = capsys.readouterr().out.split("last 30 days\n")[-1].splitlines()
    assert rings == [f"  {' -> '.join([*names, names[0]])}: 3 appeals, 90 goodvibes"]


async def test_completions_at_once_cannot_both_pass_the_bound(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, max_pair_appeals_per_month=1) as api:
        helper, member = await members(api, 2)
        appeals = [await post_listing(api, member, "APPEAL", 30) for _ in range(2)]
        exchanges = [
            await exchange_of(api, "RequestExchange", helper, listingId=appeal)
            for appeal in appeals
        ]
        for exchange in exchanges:
            await exchange_of(api, "AcceptExchange", member, exchangeId=exchange["id"])

        outcomes = await asyncio.gather(
            *(move(api, "CompleteExchange", member, exchangeId=x["id"]) for x in exchanges)
        )

        assert sorted(len(o["userErrors"]) for o in outcomes) == [0, 1]
        assert [e["code"] for o in outcomes for e in o["userErrors"]] == [LIMIT_REACHED]
        assert (await wallet(api, helper))["goodvibes"] == 30
