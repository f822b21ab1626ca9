"""The one order of row locks (models/locks.py): listings, exchanges, accounts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlmodel import col

from models import Asset, Database, Exchange, Listing
from models.locks import (
    LockOrderError,
    lock_accounts,
    lock_accounts_to_change,
    lock_exchange,
    lock_exchange_after_its_appeal,
    lock_exchanges,
    lock_listing,
    lock_listings,
)
from schema.ids import decode_id
from tests.api import Api
from tests.economy import exchange_of, members, move, post_listing
from tests.polling import until

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def test_a_listing_is_never_locked_after_an_exchange(database: Database) -> None:
    async with database.write() as session:
        assert await lock_exchange(session, 1) is None
        with pytest.raises(LockOrderError, match="listing locked after exchange"):
            await lock_listing(session, 1)


async def test_an_exchange_is_never_locked_after_an_account(database: Database) -> None:
    async with database.write() as session:
        assert await lock_accounts(session, [(None, Asset.DIGO)]) != {}
        with pytest.raises(LockOrderError, match="exchange locked after account"):
            await lock_exchanges(session, col(Exchange.id) == 1)


async def test_an_exchange_on_an_offer_is_locked_without_its_listing(
    api: Api, database: Database
) -> None:
    """Completing takes an appeal's lock first; an offer's exchange is locked alone, and a
    listing may not be locked after it."""
    provider, beneficiary = await members(api, 2)
    offer = await post_listing(api, provider, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", beneficiary, listingId=offer)
    exchange_id, offer_id = decode_id("Exchange", exchange["id"]), decode_id("Listing", offer)
    async with database.write() as session:
        locked = await lock_exchange_after_its_appeal(session, exchange_id)
        assert locked is not None
        assert (locked.exchange.id, locked.listing.id) == (exchange_id, offer_id)
        with pytest.raises(LockOrderError, match="listing locked after exchange"):
            await lock_listing(session, offer_id)
    async with database.write() as session:
        assert await lock_exchange_after_its_appeal(session, exchange_id + 1) is None
        with pytest.raises(LockOrderError, match="listing locked after exchange"):
            await lock_listing(session, 1)


async def test_an_account_changed_by_its_own_statement_counts_as_locked(
    database: Database,
) -> None:
    async with database.write() as session:
        await lock_accounts_to_change(session, [[(None, Asset.DIGO)]])
        with pytest.raises(LockOrderError, match="exchange locked after account"):
            await lock_exchange(session, 1)


async def test_locks_of_one_kind_or_of_a_later_one_may_follow(database: Database) -> None:
    async with database.write() as session:
        assert await lock_listings(session, col(Listing.id) == 1) == []
        assert await lock_listing(session, 2, shared=True) is None
        assert await lock_exchanges(session, col(Exchange.id) == 1) == []
        commons = await lock_accounts(session, [(None, Asset.DIGO)])
        assert await lock_accounts(session, [(None, Asset.DIGO)]) == commons


@on_postgresql
async def test_completing_help_on_an_appeal_waits_for_the_appeal_before_the_exchange(
    api: Api, database: Database
) -> None:
    """Whoever holds an appeal (its author closing it, say) may go on to lock an exchange on
    it while a completion waits: the completion takes the appeal's lock before the
    exchange's, never the other way round."""
    helper, short = await members(api, 2)
    appeal = await post_listing(api, short, "APPEAL", 30)
    exchange = await exchange_of(api, "RequestExchange", helper, listingId=appeal)
    await exchange_of(api, "AcceptExchange", short, exchangeId=exchange["id"])
    appeal_id, exchange_id = decode_id("Listing", appeal), decode_id("Exchange", exchange["id"])

    async with database.write() as session:
        await lock_listing(session, appeal_id)
        completing = asyncio.create_task(
            move(api, "CompleteExchange", short, exchangeId=exchange["id"])
        )
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )

        async def completion_waits() -> bool:
            return bool(await session.scalar(text(waiting)))

        await until(completion_waits)
        # NOWAIT: an error at once, were the completion holding the exchange.
        locked = await session.scalar(
            text("SELECT id FROM exchange WHERE id = :id FOR UPDATE NOWAIT"), {"id": exchange_id}
        )
        assert locked == exchange_id
    completed = await completing
    assert completed["userErrors"] == []
    assert completed["exchange"]["status"] == "COMPLETED"
