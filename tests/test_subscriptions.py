"""exchangeUpdated and walletUpdated: each member hears of their own exchanges and wallet,
and no one else does. Real WebSockets against a real uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from indigo.settings import Settings
from models import Database
from realtime.channels import OUTBOX_CHANNEL
from tests.economy import exchange_of, post_listing
from tests.live import Served, Subscription, member_channel_of, served, subscribed


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


def errors_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    if message["type"] == "next":
        errors: list[dict[str, Any]] = message["payload"]["errors"]
        return errors
    assert message["type"] == "error", message
    payload: list[dict[str, Any]] = message["payload"]
    return payload


async def statuses(subscription: Subscription, count: int) -> list[tuple[str, str]]:
    events = [(await subscription.next())["exchangeUpdated"] for _ in range(count)]
    return [(e["id"], e["status"]) for e in events]


async def test_exchange_updates_reach_both_parties_and_no_one_else(server: Served) -> None:
    api = server.api
    author, requester, outsider = [await api.register() for _ in range(3)]
    offer = await post_listing(api, author, "OFFER", 4)
    outsiders_offer = await post_listing(api, outsider, "OFFER", 2)
    async with (
        subscribed(server.url, "ExchangeUpdates", token=author.token) as to_author,
        subscribed(server.url, "ExchangeUpdates", token=requester.token) as to_requester,
        subscribed(server.url, "ExchangeUpdates", token=outsider.token) as to_outsider,
    ):
        for member in (author, requester, outsider):
            await server.listening_to(member_channel_of(member))
        exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
        await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
        # The outsider's first news is of their own exchange, which comes after the others'.
        own = await exchange_of(api, "RequestExchange", requester, listingId=outsiders_offer)
        heard_by_author = await statuses(to_author, 2)
        heard_by_requester = await statuses(to_requester, 3)
        heard_by_outsider = await statuses(to_outsider, 1)

    both = [(exchange["id"], "REQUESTED"), (exchange["id"], "ACCEPTED")]
    assert heard_by_author == both
    assert heard_by_requester == [*both, (own["id"], "REQUESTED")]
    assert heard_by_outsider == [(own["id"], "REQUESTED")]


async def test_the_wallet_is_pushed_after_each_ledger_move(server: Served) -> None:
    api = server.api
    author, requester = await api.register(), await api.register()
    offer = await post_listing(api, author, "OFFER", 4)
    async with (
        subscribed(server.url, "WalletUpdates", token=author.token) as authors_wallet,
        subscribed(server.url, "WalletUpdates", token=requester.token) as requesters_wallet,
    ):
        for member in (author, requester):
            await server.listening_to(member_channel_of(member))
        exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
        await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
        await exchange_of(api, "CompleteExchange", requester, exchangeId=exchange["id"])
        requester_heard = [(await requesters_wallet.next())["walletUpdated"] for _ in range(2)]
        author_heard = (await authors_wallet.next())["walletUpdated"]

    def wallet(digos: int, held: int) -> dict[str, int]:
        return {
            "digos": digos,
            "heldDigos": held,
            "availableDigos": digos - held,
            "goodvibes": 0,
            "heldGoodvibes": 0,
        }

    assert requester_heard == [wallet(20, 4), wallet(16, 0)]
    assert author_heard == wallet(24, 0)


@pytest.mark.parametrize("operation", ["ExchangeUpdates", "WalletUpdates"])
async def test_a_subscriber_without_a_token_gets_nothing_private(
    server: Served, operation: str
) -> None:
    async with subscribed(server.url, operation) as anonymous:
        message = await anonymous.message()

    assert [e["extensions"]["code"] for e in errors_of(message)] == ["UNAUTHENTICATED"]
    # The one channel left is the outbox's, which wakes the mail sender.
    assert server.hub.fanout.channel_count == 1
    assert server.hub.fanout.listeners(OUTBOX_CHANNEL) == 1
