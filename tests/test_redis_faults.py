"""Redis stopped and started again under a running server (a redis-server of the test's own):
mutations go on, /ready tells, and the live feed resumes by itself, missing nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from indigo.settings import Settings
from models import Database
from tests.economy import exchange_of, members, post_listing
from tests.live import (
    NEAR_PARIS,
    PARIS,
    Served,
    feed_variables,
    member_channel_of,
    post_appeal,
    served,
    subscribed,
)
from tests.polling import until
from tests.redis_server import RedisServer


@pytest.fixture
async def server(
    database_url: str, database: Database, redis: RedisServer
) -> AsyncIterator[Served]:
    settings = Settings(database_url=database_url, broadcast_url=redis.url, _env_file=None)
    async with served(settings) as running:
        yield running


async def readiness(server: Served) -> tuple[int, Any]:
    response = await server.api.http.get("/ready")
    return response.status_code, response.json()


def appeal_ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["appealCreated"]["appeal"]["id"] for event in events]


async def test_the_live_feed_resumes_by_itself_after_redis_restarts_and_misses_nothing(
    server: Served, redis: RedisServer
) -> None:
    first_asker, second_asker = await server.api.register(), await server.api.register()
    async with subscribed(server.url, "AppealFeed", feed_variables()) as feed:
        await server.listening(PARIS)
        await post_appeal(server.api, first_asker)
        cursor = (await feed.next())["appealCreated"]["cursor"]

        await redis.stop()
        await until(lambda: not server.hub.healthy)
        while_down = await readiness(server)
        missed = [
            await post_appeal(server.api, first_asker),
            await post_appeal(server.api, second_asker),
            await post_appeal(server.api, first_asker, location=NEAR_PARIS),
        ]
        await redis.start()
        await until(lambda: server.hub.healthy)
        back_up = await readiness(server)
        live = await post_appeal(server.api, second_asker)
        heard = [await feed.next() for _ in range(4)]

    assert while_down == (
        503,
        {"ready": False, "database": "ok", "broadcast": "unreachable"},
    )
    assert back_up == (200, {"ready": True, "database": "ok", "broadcast": "ok"})
    assert appeal_ids(heard) == [*missed, live]

    async with subscribed(server.url, "AppealFeed", feed_variables(after=cursor)) as again:
        replayed = [await again.next() for _ in range(4)]
    assert appeal_ids(replayed) == [*missed, live]


async def test_a_helper_who_subscribes_while_redis_is_down_hears_appeals_once_it_is_back(
    server: Served, redis: RedisServer
) -> None:
    asker = await server.api.register()
    await redis.stop()
    await until(lambda: not server.hub.healthy)
    async with subscribed(server.url, "AppealFeed", feed_variables()) as feed:
        await server.listening(PARIS)
        while_down = await post_appeal(server.api, asker)
        await redis.start()
        await until(lambda: server.hub.healthy)
        once_back = await post_appeal(server.api, asker)
        heard = [await feed.next(), await feed.next()]

    assert appeal_ids(heard) == [while_down, once_back]


async def test_exchanges_changed_while_redis_was_down_are_pushed_once_it_is_back(
    server: Served, redis: RedisServer
) -> None:
    author, requester = await members(server.api, 2)
    offer = await post_listing(server.api, author, "OFFER", 4)
    requested = await exchange_of(server.api, "RequestExchange", requester, listingId=offer)
    async with subscribed(server.url, "ExchangeUpdates", token=requester.token) as updates:
        await server.listening_to(member_channel_of(requester))
        await redis.stop()
        await until(lambda: not server.hub.healthy)
        await exchange_of(server.api, "AcceptExchange", author, exchangeId=requested["id"])
        await redis.start()
        heard = await updates.next()

    assert (heard["exchangeUpdated"]["id"], heard["exchangeUpdated"]["status"]) == (
        requested["id"],
        "ACCEPTED",
    )
