"""The broadcaster wiring: one object per process that publishes, fans out to local
subscribers, keeps what they share of live events, and reports its health."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager

from broadcaster import Broadcast

from realtime.fanout import Fanout, Listener
from realtime.live_results import LiveResults
from realtime.redis_backend import RedisBackend

log = logging.getLogger("indigo.realtime.hub")

# Events a subscriber may have waiting before it counts as too slow and is dropped.
SUBSCRIBER_QUEUE_SIZE = 256


class Hub:
    """`prefix` names the deployment: every channel it publishes or listens to on the
    broadcaster starts with it, so deployments sharing a Redis never hear each other."""

    def __init__(
        self, url: str, *, prefix: str = "indigo", queue_size: int = SUBSCRIBER_QUEUE_SIZE
    ) -> None:
        self._redis = RedisBackend(url) if url.startswith(("redis://", "rediss://")) else None
        self._broadcast = Broadcast(url, backend=self._redis)
        self._prefix = f"{prefix}:"
        self.fanout = Fanout(self._broadcast, capacity=queue_size, prefix=self._prefix)
        # Kept for as many events as a subscriber may have waiting: while the slowest one
        # still receiving may need them.
        self.live_results = LiveResults(keep=queue_size)
        self._connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self._broadcast.disconnect()

    @property
    def healthy(self) -> bool:
        if self._redis is not None:
            return self._connected and self._redis.connected
        return self._connected

    async def publish(self, channel: str, message: str) -> None:
        """Publish, or log why not: a mutation that already committed must not fail here.

        What a subscriber misses this way it recovers by subscribing again with `after`.
        """
        try:
            await self._broadcast.publish(channel=self._prefix + channel, message=message)
        except Exception as error:  # any failure of the broadcaster: report it, carry on
            log.warning("publishing to %s failed: %s", channel, error)

    async def publish_in_order(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publish these (channel, message) pairs in this order, as `publish` does: over Redis
        in one round trip, which matters to whoever publishes while the network waits."""
        prefixed = [(self._prefix + channel, message) for channel, message in messages]
        try:
            if self._redis is not None:
                await self._redis.publish_in_order(prefixed)
                return
            for channel, message in prefixed:
                await self._broadcast.publish(channel=channel, message=message)
        except Exception as error:  # any failure of the broadcaster: report it, carry on
            log.warning("publishing %d messages failed: %s", len(messages), error)

    def listen(
        self, channels: Collection[str], on_overflow: Callable[[], None]
    ) -> AbstractAsyncContextManager[Listener]:
        return self.fanout.listen(channels, on_overflow)
