"""broadcaster's Redis backend as this project needs it.

broadcaster 0.3.1's own backend starts its listener before any channel is registered (with
redis-py 8 the first subscription's messages are never read) and never reconnects. This one
keeps one subscriber connection per process under a supervisor task: `subscribe` returns
only once Redis has confirmed the channel, so whatever is published afterwards arrives; when
Redis goes away the supervisor reconnects with backoff and subscribes every channel again.

What was published while the connection was down is lost to this process, so after each
(re)connection every channel first receives a local `{"resync": n}` message, before anything
that arrives on the new connection: subscribers then catch up from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from typing import Any

from broadcaster import BroadcastBackend, Event
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

log = logging.getLogger("indigo.realtime.redis")

FIRST_RETRY_SECONDS = 0.1
LAST_RETRY_SECONDS = 2.0
PING_SECONDS = 1.0
# A connection that answers no ping for this long is dead even if the socket looks open.
SILENCE_SECONDS = 3 * PING_SECONDS
COMMAND_TIMEOUT_SECONDS = 2.0


class RedisBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        timeouts: dict[str, Any] = {
            "socket_connect_timeout": COMMAND_TIMEOUT_SECONDS,
            "socket_timeout": COMMAND_TIMEOUT_SECONDS,
        }
        self._publisher = Redis.from_url(url, **timeouts)
        # RESP2, so that messages come back as plain replies on the connection we read,
        # rather than as RESP3 pushes that redis-py hands to a callback of its own.
        self._pool = ConnectionPool.from_url(url, protocol=2, **timeouts)
        self._received: asyncio.Queue[Event] = asyncio.Queue()
        self._channels: set[str] = set()
        # Channels sent to Redis on the current connection, awaiting its confirmation.
        self._unconfirmed: dict[str, asyncio.Event] = {}
        self._connection: AbstractConnection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self.connections = 0

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    async def connect(self) -> None:
        """Start the subscriber connection; Redis being down now is survived, not fatal."""
        first_try: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise(first_try))
        await first_try

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        connection = self._connection
        if connection is None:
            return  # the supervisor subscribes it on the next connection
        confirmed = self._unconfirmed[channel] = asyncio.Event()
        try:
            await connection.send_command("SUBSCRIBE", channel)
            await asyncio.wait_for(confirmed.wait(), COMMAND_TIMEOUT_SECONDS)
        except (RedisError, OSError, TimeoutError) as error:
            # The supervisor notices the broken connection and subscribes again.
            log.warning("subscribing to %s failed: %s", channel, error)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._unconfirmed.pop(channel, None)
        connection = self._connection
        if connection is None:
            return
        try:
            await connection.send_command("UNSUBSCRIBE", channel)
        except (RedisError, OSError) as error:
            log.warning("unsubscribing from %s failed: %s", channel, error)

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(channel, message)

    async def publish_in_order(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publish these (channel, message) pairs in this order, in one round trip."""
        async with self._publisher.pipeline(transaction=False) as pipeline:
            for channel, message in messages:
                pipeline.publish(channel, message)
            await pipeline.execute()

    async def next_published(self) -> Event:
        return await self._received.get()

    async def _supervise(self, first_try: asyncio.Future[None]) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            connection = self._pool.connection_class(**self._pool.connection_kwargs)
            try:
                await connection.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                early = await self._resubscribe(connection)
                self.connections += 1
                resync = json.dumps({"resync": self.connections})
                for event in [Event(c, resync) for c in self._channels] + early:
                    self._received.put_nowait(event)
                self._up.set()
                log.info("redis %s: listening on %d channels", self._address, len(self._channels))
                delay = FIRST_RETRY_SECONDS
                if not first_try.done():
                    first_try.set_result(None)
                await self._listen(connection)
            except (RedisError, OSError, TimeoutError) as error:
                if self._up.is_set():
                    log.warning("redis %s lost (%s): reconnecting", self._address, error)
                else:
                    log.warning(
                        "redis %s unreachable (%s): retrying in %.1fs", self._address, error, delay
                    )
            finally:
                self._up.clear()
                self._connection = None
                await connection.disconnect(nowait=True)
            if not first_try.done():
                first_try.set_result(None)
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY_SECONDS)

    async def _resubscribe(self, connection: AbstractConnection) -> list[Event]:
        """Subscribe every channel this process listens to, and wait for Redis to confirm;
        the messages that arrive meanwhile are returned, to be passed on after the resync.

        Channels that local subscribers add meanwhile are sent too, before the connection is
        handed to `subscribe`, so none falls between the two.
        """
        sent: set[str] = set()
        early: list[Event] = []
        async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
            while missing := self._channels - sent:
                self._unconfirmed = {channel: asyncio.Event() for channel in missing}
                await connection.send_command("SUBSCRIBE", *missing)
                sent |= missing
                while self._unconfirmed:
                    response = await connection.read_response(timeout=math.inf)
                    if event := self._receive(response):
                        early.append(event)
        self._connection = connection
        return early

    async def _listen(self, connection: AbstractConnection) -> None:
        heard = asyncio.Event()
        pinger = asyncio.create_task(self._ping(connection, heard))
        try:
            while True:
                # math.inf: block until Redis speaks; silence is the pinger's business.
                response = await connection.read_response(timeout=math.inf)
                heard.set()
                if event := self._receive(response):
                    self._received.put_nowait(event)
        finally:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)

    async def _ping(self, connection: AbstractConnection, heard: asyncio.Event) -> None:
        while True:
            heard.clear()
            await connection.send_command("PING")
            try:
                await asyncio.wait_for(heard.wait(), SILENCE_SECONDS)
            except TimeoutError:
                log.warning("redis %s silent for %.0fs", self._address, SILENCE_SECONDS)
                await connection.disconnect(nowait=True)
                return
            await asyncio.sleep(PING_SECONDS)

    def _receive(self, response: Any) -> Event | None:
        """The message in a response; a subscription's confirmation is noted, a PONG ignored."""
        if not isinstance(response, list) or len(response) < 2:
            return None
        kind, channel = _text(response[0]), _text(response[1])
        if kind == "message":
            return Event(channel=channel, message=_text(response[2]))
        if kind == "subscribe" and (confirmed := self._unconfirmed.pop(channel, None)):
            confirmed.set()
        return None

    @property
    def _address(self) -> str:
        kwargs = self._pool.connection_kwargs
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
