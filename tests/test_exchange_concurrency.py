"""Members acting at the same moment: no digo is overspent, a key gives one exchange, and
moves racing on one exchange leave exactly one outcome. On SQLite and PostgreSQL; the
ledger audit runs when each test ends."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlmodel import col, func, select

from indigo.settings import Settings
from models import Database, Exchange
from schema.ids import decode_id
from tests.api import Api
from tests.economy import (
    exchange_of,
    members,
    move,
    post_listing,
    roomy_settings,
    wallet,
    wallet_of,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return roomy_settings(database_url)


async def exchange_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Exchange)) or 0


async def test_cannot_overspend_with_concurrent_requests(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)

    payloads = await asyncio.gather(
        *(move(api, "RequestExchange", requester, listingId=offer) for _ in range(50))
    )

    granted = [p for p in payloads if p["exchange"] is not None]
    refused = [p["userErrors"] for p in payloads if p["exchange"] is None]
    assert len(granted) == 5
    assert [[(e["code"], e["field"]) for e in errors] for errors in refused] == [
        [("INSUFFICIENT_DIGOS", None)]
    ] * 45
    assert await exchange_count(database) == 5
    assert await wallet(api, requester) == wallet_of(20, held=20)


async def test_one_key_sent_ten_times_at_once_gives_one_exchange(
    api: Api, database: Database
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)

    payloads = await asyncio.gather(
        *(
            move(api, "RequestExchange", requester, listingId=offer, idempotencyKey="once")
            for _ in range(10)
        )
    )

    assert [p["userErrors"] for p in payloads] == [[]] * 10
    assert len({p["exchange"]["id"] for p in payloads}) == 1
    assert await exchange_count(database) == 1
    assert await wallet(api, requester) == wallet_of(20, held=4)


# What each racing move needs and gives: (operation, sent by, from states, to state).
RACERS = [
    ("AcceptExchange", "author", {"REQUESTED"}, "ACCEPTED"),
    ("CancelExchange", "author", {"REQUESTED", "ACCEPTED"}, "CANCELLED"),
    ("CompleteExchange", "requester", {"ACCEPTED"}, "COMPLETED"),
]


def serial_outcomes(start: str) -> set[tuple[tuple[bool, ...], str]]:
    """Every (which moves succeeded, final state) that some order of the racers gives."""
    outcomes = set()
    for order in itertools.permutations(range(len(RACERS))):
        state, succeeded = start, [False] * len(RACERS)
        for i in order:
            _, _, sources, target = RACERS[i]
            if state in sources:
                state, succeeded[i] = target, True
        outcomes.add((tuple(succeeded), state))
    return outcomes


@pytest.mark.parametrize("start", ["REQUESTED", "ACCEPTED"])
async def test_accept_cancel_and_complete_racing_leave_one_outcome(
    api: Api, database: Database, start: str
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 5)
    ids = []
    for _ in range(4):
        exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
        if start == "ACCEPTED":
            await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
        ids.append(exchange["id"])
    who = {"author": author, "requester": requester}

    results = await asyncio.gather(
        *(
            move(api, operation, who[by], exchangeId=exchange_id)
            for exchange_id in ids
            for operation, by, _, _ in RACERS
        )
    )

    allowed = serial_outcomes(start)
    finals: dict[str, int] = {}
    for n, exchange_id in enumerate(ids):
        mine: list[dict[str, Any]] = list(results[n * len(RACERS) : (n + 1) * len(RACERS)])
        succeeded = tuple(p["exchange"] is not None for p in mine)
        for p in mine:
            if p["exchange"] is None:
                assert [e["code"] for e in p["userErrors"]] == ["INVALID_STATE"]
        final = await _status(database, exchange_id)
        assert (succeeded, final) in allowed, (succeeded, final)
        finals[final] = finals.get(final, 0) + 1
    completed, still_open = finals.get("COMPLETED", 0), finals.get("ACCEPTED", 0)
    assert await wallet(api, requester) == wallet_of(20 - 5 * completed, held=5 * still_open)
    assert await wallet(api, author) == wallet_of(20 + 5 * completed)


async def _status(database: Database, exchange_id: str) -> str:
    async with database.read() as session:
        status = await session.scalar(
            select(col(Exchange.status)).where(
                col(Exchange.id) == decode_id("Exchange", exchange_id)
            )
        )
    assert status is not None
    return str(status)
