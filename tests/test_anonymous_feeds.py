"""Anonymous feeds are allowed, and bounded: per client address, sockets and subscriptions
are capped; a feed listens to a few dozen cells at most, shared with the feeds around it;
and what a closed socket held is freed, in the process and in Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from indigo.settings import Settings
from models import Database
from realtime.channels import MAX_CELLS, WIDE
from tests.api import CLIENT_DOCUMENTS
from tests.live import PARIS, Served, feed_variables, post_appeal, served, ws_url
from tests.polling import until
from tests.redis_server import RedisServer

# Twenty places 50 km apart, west to east across France.
PLACES = [{"latitude": 47.0 + (i % 4) * 0.45, "longitude": -1.0 + i * 0.3} for i in range(20)]


@pytest.fixture
async def server(
    settings: Settings, database: Database, redis: RedisServer
) -> AsyncIterator[Served]:
    crowded = settings.model_copy(
        update={
            "broadcast_url": redis.url,
            "max_anonymous_sockets_per_address": 5,
            "max_anonymous_subscriptions_per_address": 6,
        }
    )
    async with served(crowded) as running:
        yield running


async def open_socket(server: Served, token: str | None = None) -> ClientConnection:
    socket = await connect(ws_url(server.url), subprotocols=[Subprotocol("graphql-transport-ws")])
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await socket.recv()) == {"type": "connection_ack"}
    return socket


async def subscribe(socket: ClientConnection, operation_id: str, near: dict[str, float]) -> None:
    document = {
        "query": CLIENT_DOCUMENTS["AppealFeed"],
        "operationName": "AppealFeed",
        "variables": feed_variables(near, 100),
    }
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": document}))


async def message(socket: ClientConnection) -> dict[str, Any]:
    received: dict[str, Any] = json.loads(await socket.recv())
    return received


async def closed_with(socket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_an_address_holds_a_few_anonymous_sockets_and_members_are_not_counted(
    server: Served,
) -> None:
    member = await server.api.register()
    async with AsyncExitStack() as stack:
        held = [stack.push_async_callback((await open_socket(server)).close) for _ in range(5)]
        refused = await open_socket(server)
        signed_in = await open_socket(server, member.token)

        assert await closed_with(refused) == (
            1013,
            "Too many anonymous sockets from this address",
        )
        await signed_in.close()
    assert len(held) == 5
    # Closed, they count no more.
    again = await open_socket(server)
    await again.close()


async def test_an_address_runs_a_few_anonymous_subscriptions_over_all_its_sockets(
    server: Served,
) -> None:
    first, second = await open_socket(server), await open_socket(server)
    try:
        for n in range(3):
            await subscribe(first, f"a{n}", PLACES[n])
            await subscribe(second, f"b{n}", PLACES[n + 3])
        west = WIDE.cell(**PLACES[0])  # within 100 km of all six places
        await until(lambda: server.hub.fanout.listeners(west) == 6)
        await subscribe(second, "over", PARIS)
        refused = await message(second)
        await first.send(json.dumps({"id": "a0", "type": "complete"}))
        await until(lambda: server.hub.fanout.listeners(west) == 5)
        paris = WIDE.cell(**PARIS)
        others = server.hub.fanout.listeners(paris)
        await subscribe(second, "room", PARIS)
        asker = await server.api.register()
        await until(lambda: server.hub.fanout.listeners(paris) == others + 1)
        appeal = await post_appeal(server.api, asker)
        heard = await message(second)
    finally:
        await first.close()
        await second.close()

    assert refused["id"] == "over"
    assert refused["type"] == "error"
    assert [(e["message"], e["extensions"]) for e in refused["payload"]] == [
        ("Too many anonymous subscriptions from this address", {"code": "RATE_LIMITED"})
    ]
    assert heard["id"] == "room"
    assert heard["payload"]["data"]["appealCreated"]["appeal"]["id"] == appeal


async def test_wide_feeds_listen_to_a_few_shared_cells_freed_when_they_close(
    settings: Settings, database: Database, redis: RedisServer
) -> None:
    roomy = settings.model_copy(
        update={
            "broadcast_url": redis.url,
            "max_anonymous_sockets_per_address": 20,
            "max_anonymous_subscriptions_per_address": 400,
        }
    )
    observer = Redis.from_url(redis.url)
    async with served(roomy) as server:
        # What the process listens to for itself (the outbox's wake-ups), feeds aside.
        own = server.hub.fanout.channel_count
        own_in_redis = await observer.pubsub_channels()
        sockets = [await open_socket(server) for _ in range(20)]
        try:
            # Twenty sockets, each following the twenty places within 100 km.
            for n, socket in enumerate(sockets):
                for i, place in enumerate(PLACES):
                    await subscribe(socket, f"{n}-{i}", place)
            await until(lambda: server.hub.fanout.listeners(WIDE.cell(**PLACES[-1])) >= 20)
            listened = server.hub.fanout.channel_count - own
            in_redis = len(await observer.pubsub_channels()) - len(own_in_redis)
        finally:
            for socket in sockets:
                await socket.close()
        await until(lambda: server.hub.fanout.channel_count == own)
        await until(lambda: _only(observer, own_in_redis))
    await observer.aclose()

    # 400 feeds of 100 km: 20 regions of France between them, not thousands of cells each.
    assert listened <= len(PLACES) * MAX_CELLS // 4
    assert in_redis == listened


async def _only(observer: Redis, channels: list[bytes | str]) -> bool:
    return sorted(await observer.pubsub_channels()) == sorted(channels)
