"""The project's Redis backend for broadcaster, against a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from broadcaster import Broadcast, Event
from redis.asyncio import Redis

from realtime.hub import Hub
from realtime.redis_backend import RedisBackend
from tests.conftest import required_env
from tests.polling import until
from tests.redis_server import RedisServer, free_port

RECEIVE_SECONDS = 5


@pytest.fixture
def redis_url() -> str:
    return required_env("INDIGO_TEST_REDIS_URL")


@pytest.fixture
async def broadcast(redis_url: str) -> AsyncIterator[Broadcast]:
    async with Broadcast(backend=RedisBackend(redis_url)) as connected:
        yield connected


def unique_channel() -> str:
    return f"test:{uuid.uuid4().hex}"


async def test_the_first_subscription_receives_what_is_published_right_after(
    broadcast: Broadcast, redis_url: str
) -> None:
    channel = unique_channel()
    publisher = Redis.from_url(redis_url)
    try:
        async with broadcast.subscribe(channel) as subscriber:
            receivers = await publisher.publish(channel, '{"appeal": 1}')
            event = await asyncio.wait_for(subscriber.get(), RECEIVE_SECONDS)
    finally:
        await publisher.aclose()

    assert receivers == 1
    assert event == Event(channel, '{"appeal": 1}')


async def test_each_channel_receives_only_its_own_messages(broadcast: Broadcast) -> None:
    first, second = unique_channel(), unique_channel()
    async with broadcast.subscribe(first) as one, broadcast.subscribe(second) as two:
        await broadcast.publish(second, "for two")
        await broadcast.publish(first, "for one")
        received = [
            await asyncio.wait_for(one.get(), RECEIVE_SECONDS),
            await asyncio.wait_for(two.get(), RECEIVE_SECONDS),
        ]

    assert received == [Event(first, "for one"), Event(second, "for two")]


async def test_an_unsubscribed_channel_is_released_in_redis(
    broadcast: Broadcast, redis_url: str
) -> None:
    channel = unique_channel()
    observer = Redis.from_url(redis_url)
    try:
        async with broadcast.subscribe(channel):
            assert await observer.pubsub_numsub(channel) == [(channel.encode(), 1)]
        await until(lambda: _numsub_is(observer, channel, 0))  # UNSUBSCRIBE is sent, not awaited
    finally:
        await observer.aclose()


async def _numsub_is(observer: Redis, channel: str, count: int) -> bool:
    return await observer.pubsub_numsub(channel) == [(channel.encode(), count)]


async def test_starting_while_redis_is_down_survives_and_connects_when_it_comes_up() -> None:
    server = RedisServer(free_port())
    backend = RedisBackend(server.url)
    async with Broadcast(backend=backend) as broadcast:
        assert backend.connected is False
        channel = unique_channel()
        async with broadcast.subscribe(channel) as subscriber:
            await server.start()
            try:
                await until(lambda: backend.connected)
                await broadcast.publish(channel, "hello")
                events = [
                    await asyncio.wait_for(subscriber.get(), RECEIVE_SECONDS) for _ in range(2)
                ]
            finally:
                await server.stop()

    # First word that messages may have been missed, then what was published.
    assert events == [Event(channel, '{"resync": 1}'), Event(channel, "hello")]


@pytest.mark.parametrize("turns", range(6))
async def test_a_listener_gone_while_its_channel_subscribes_leaves_no_subscription(
    redis_url: str, turns: int
) -> None:
    hub = Hub(redis_url)
    await hub.connect()
    channel = unique_channel()

    async def listen_for_ever() -> None:
        async with hub.listen([channel], lambda: None):
            await asyncio.Event().wait()

    listening = asyncio.create_task(listen_for_ever())
    for _ in range(turns):
        await asyncio.sleep(0)  # let the subscription get that far, then leave
    listening.cancel()
    async with Redis.from_url(redis_url) as observer:
        try:
            await until(lambda: not any(_is_pump(task) for task in asyncio.all_tasks()))
            await until(lambda: _numsub_is(observer, channel, 0))
        finally:
            await hub.disconnect()

    assert hub.fanout.channel_count == 0


def _is_pump(task: asyncio.Task[object]) -> bool:
    return getattr(task.get_coro(), "__qualname__", "") == "Fanout._pump"
