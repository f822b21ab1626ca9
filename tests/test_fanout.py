"""The per-process fan-out: shared channel subscriptions, bounded queues, slow subscribers
dropped while the others keep receiving (in process, then over real WebSockets)."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from indigo.settings import Settings
from models import Database
from realtime.channels import cell_channel
from realtime.fanout import Listener, Notice, TooSlow
from realtime.hub import Hub
from schema.ids import decode_id
from tests.api import CLIENT_DOCUMENTS
from tests.live import PARIS, Served, feed_variables, post_appeal, served, subscribed, ws_url

CHANNEL = "cell:1:1"


async def take(listener: Listener) -> object:
    return (await anext(listener)).body


async def test_local_subscribers_of_a_channel_share_one_subscription_and_each_notice(
    hub: Hub,
) -> None:
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        return 42

    async with (
        hub.listen([CHANNEL], lambda: None) as first,
        hub.listen([CHANNEL, "cell:2:2"], lambda: None) as second,
    ):
        channels_while_listening = hub.fanout.channel_count
        await hub.publish(CHANNEL, '{"appeal": 7}')
        one, two = await anext(first), await anext(second)
        shared = [await one.once("row", load), await two.once("row", load)]

    assert channels_while_listening == 2
    assert one is two
    assert one.body == {"appeal": 7}
    assert shared == [42, 42]
    assert loads == [1]
    assert hub.fanout.channel_count == 0


async def test_a_subscriber_that_falls_behind_is_dropped_while_others_keep_receiving(
    hub: Hub,
) -> None:
    told: list[str] = []
    async with (
        hub.listen([CHANNEL], lambda: told.append("too slow")) as slow,
        hub.listen([CHANNEL], lambda: told.append("fast is too slow")) as fast,
    ):
        heard = []
        for n in range(6):
            await hub.publish(CHANNEL, json.dumps({"appeal": n}))
            heard.append(await take(fast))
        with pytest.raises(TooSlow):
            await anext(slow)

    assert heard == [{"appeal": n} for n in range(6)]
    assert told == ["too slow"]
    assert hub.fanout.dropped == 1


async def test_messages_that_are_not_json_objects_are_skipped(hub: Hub) -> None:
    async with hub.listen([CHANNEL], lambda: None) as listener:
        for message in ("not json", "[1, 2]", '{"appeal": 3}'):
            await hub.publish(CHANNEL, message)
        heard = await take(listener)

    assert heard == {"appeal": 3}


async def read_until_closed(socket: ClientConnection) -> tuple[int, ConnectionClosed]:
    """How many messages a socket still had to read, and how it was closed."""
    count = 0
    while True:
        try:
            await socket.recv()
        except ConnectionClosed as closed:
            return count, closed
        count += 1


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


async def test_a_slow_helper_is_cut_off_with_a_reason_while_others_keep_receiving(
    server: Served,
) -> None:
    asker = await server.api.register()
    # A client that reads nothing, with a small receive buffer so that it backs up soon.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    port = int(server.url.rsplit(":", 1)[1])
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
    async with (
        connect(
            ws_url(server.url),
            sock=raw,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_queue=1,
            compression=None,
        ) as slow,
        subscribed(server.url, "AppealFeed", feed_variables()) as fast,
    ):
        await slow.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await slow.recv()) == {"type": "connection_ack"}
        document = {"query": CLIENT_DOCUMENTS["AppealFeed"], "variables": feed_variables()}
        await slow.send(json.dumps({"id": "1", "type": "subscribe", "payload": document}))
        await server.listening(PARIS, count=2)
        # A long appeal, announced again and again: the socket buffers fill after a thousand.
        first = await post_appeal(server.api, asker, title="x" * 120, description="y" * 4000)
        cursor = (await fast.next())["appealCreated"]["cursor"]

        channel = cell_channel(PARIS["latitude"], PARIS["longitude"])
        position = decode_id("ListingFeed", cursor)
        message = json.dumps({"listing": position, "id": decode_id("Listing", first)})
        published = 0
        while server.hub.fanout.dropped == 0:
            assert published < 5_000, "the slow helper was never dropped"
            await server.hub.publish(channel, message)
            published += 1
            await fast.next()

        later = await post_appeal(server.api, asker)
        heard_later = (await fast.next())["appealCreated"]["appeal"]["id"]
        received_by_slow, closed = await read_until_closed(slow)

    assert heard_later == later
    assert closed.rcvd is not None
    assert closed.rcvd.code == 4008
    assert closed.rcvd.reason.startswith("too slow")
    assert received_by_slow < published


async def test_a_shared_load_failing_after_its_subscribers_left_is_not_reported_as_lost() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    notice = Notice(CHANNEL, {"listing": 7})
    started, fail, failed = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def load() -> int:
        started.set()
        await fail.wait()
        try:
            raise LookupError("the row went away")
        finally:
            failed.set()

    # The only subscriber waiting for the load is cut off (its socket was too slow).
    waiting = asyncio.create_task(notice.once("row", load))
    await started.wait()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    fail.set()
    await failed.wait()
    await asyncio.sleep(0)  # one turn of the loop: the load's task takes its exception
    del notice, waiting
    gc.collect()
    loop.set_exception_handler(None)

    assert reported == []
