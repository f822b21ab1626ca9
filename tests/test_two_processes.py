"""Two uvicorn processes sharing PostgreSQL and Redis: what happens through one reaches the
helpers and members connected to the other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from indigo.settings import default_broadcast_prefix
from models import Database
from realtime.channels import cell_channel, member_channel
from schema.ids import decode_id
from tests.api import Api
from tests.economy import exchange_of, post_listing
from tests.live import PARIS, feed_variables, post_appeal, subscribed
from tests.polling import until
from tests.processes import uvicorn_process
from tests.redis_server import RedisServer

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def two_processes(
    database_url: str, database: Database, redis: RedisServer
) -> AsyncIterator[list[str]]:
    async with (
        uvicorn_process(database_url, redis.url) as first,
        uvicorn_process(database_url, redis.url) as second,
    ):
        yield [first.url, second.url]


async def subscribers_in_redis(
    redis: RedisServer, database_url: str, channel: str, count: int
) -> None:
    """Wait until `count` processes on `database_url` subscribe to `channel` in Redis."""
    channel = f"{default_broadcast_prefix(database_url)}:{channel}"
    client = Redis.from_url(redis.url)
    try:

        async def subscribed_enough() -> bool:
            return await client.pubsub_numsub(channel) == [(channel.encode(), count)]

        await until(subscribed_enough)
    finally:
        await client.aclose()


async def test_an_appeal_created_through_one_process_reaches_a_helper_on_the_other(
    two_processes: list[str], redis: RedisServer, database_url: str
) -> None:
    first, second = two_processes
    async with httpx.AsyncClient(base_url=first) as http:
        api = Api(http)
        asker = await api.register()
        async with (
            subscribed(second, "AppealFeed", feed_variables()) as on_second,
            subscribed(first, "AppealFeed", feed_variables()) as on_first,
        ):
            await subscribers_in_redis(redis, database_url, cell_channel(**PARIS), 2)
            appeal = await post_appeal(api, asker)
            heard = [await on_second.next(), await on_first.next()]

    assert [event["appealCreated"]["appeal"]["id"] for event in heard] == [appeal, appeal]


async def test_an_exchange_moved_on_one_process_reaches_its_members_on_the_other(
    two_processes: list[str], redis: RedisServer, database_url: str
) -> None:
    first, second = two_processes
    async with httpx.AsyncClient(base_url=first) as http:
        api = Api(http)
        author, requester = await api.register(), await api.register()
        offer = await post_listing(api, author, "OFFER", 4)
        async with subscribed(second, "ExchangeUpdates", token=author.token) as authors_feed:
            channel = member_channel(decode_id("Member", author.id))
            await subscribers_in_redis(redis, database_url, channel, 1)
            exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
            heard = (await authors_feed.next())["exchangeUpdated"]

    assert (heard["id"], heard["status"]) == (exchange["id"], "REQUESTED")
