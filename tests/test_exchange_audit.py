"""The audit's exchange checks: holds match open exchanges, completions paid as agreed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import Database
from resolvers.audit import audit
from tests.api import Api
from tests.economy import exchange_of, members, post_listing

HELD = "account whose held differs from the holds of its exchanges"
PAID = "exchange whose provider was not paid exactly its reward on completion"
TERMS = "completed exchange not paid as its terms say (who paid what)"


@pytest.mark.parametrize(
    ("damage", "repair", "checks"),
    [
        (
            "UPDATE account SET held = held + 1 WHERE held > 0",
            "UPDATE account SET held = held - 1 WHERE held > 0",
            {HELD},
        ),
        (
            "UPDATE exchange SET held_digos = held_digos - 1 WHERE status = 'REQUESTED'",
            "UPDATE exchange SET held_digos = held_digos + 1 WHERE status = 'REQUESTED'",
            {HELD},
        ),
        (
            "UPDATE exchange SET digos = digos + 1 WHERE status = 'COMPLETED'",
            "UPDATE exchange SET digos = digos - 1 WHERE status = 'COMPLETED'",
            {PAID, TERMS},
        ),
        (  # the commons paid the price: every balance still adds up
            "UPDATE transfer SET kind = 'DISCOUNT' WHERE kind = 'EXCHANGE_PAYMENT'",
            "UPDATE transfer SET kind = 'EXCHANGE_PAYMENT' WHERE kind = 'DISCOUNT'",
            {TERMS},
        ),
        (
            "UPDATE exchange SET discount_digos = 1 WHERE status = 'COMPLETED'",
            "UPDATE exchange SET discount_digos = 0 WHERE status = 'COMPLETED'",
            {TERMS},
        ),
        (
            "UPDATE exchange SET status = 'CANCELLED' WHERE status = 'COMPLETED'",
            "UPDATE exchange SET status = 'COMPLETED' WHERE status = 'CANCELLED'",
            {PAID},
        ),
    ],
)
async def test_the_audit_names_each_kind_of_exchange_damage(
    api: Api, database: Database, damage: str, repair: str, checks: set[str]
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 5)
    done = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=done["id"])
    await exchange_of(api, "CompleteExchange", requester, exchangeId=done["id"])
    await exchange_of(api, "RequestExchange", requester, listingId=offer)
    async with database.read() as session:
        assert await audit(session) == []

    async with database.write() as session:
        await session.execute(text(damage))
    async with database.read() as session:
        violations = await audit(session)
    async with database.write() as session:
        await session.execute(text(repair))

    assert {v.partition(": ")[0] for v in violations} == checks
