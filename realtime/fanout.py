"""The per-process fan-out: one broadcaster subscription per channel, shared by every local
subscriber of that channel, each with a bounded queue of its own.

A message is decoded once per process into a `Notice` that all its local subscribers share;
`Notice.once` lets them share what they load for it too (a row read once, not once each). A
subscriber whose queue is full has fallen too far behind: it is dropped (told through its
`on_overflow` callback, and by `TooSlow` when it next reads) while the others keep receiving.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from broadcaster import Broadcast
from broadcaster._base import Subscriber
from prometheus_client import Counter

from realtime.once import Once

log = logging.getLogger("indigo.realtime.fanout")
SLOW_SUBSCRIBERS_DROPPED = Counter(
    "indigo_slow_subscribers_dropped", "Subscribers dropped for falling too far behind"
)

T = TypeVar("T")


class TooSlow(Exception):
    """The subscriber fell more than its queue's capacity behind and was dropped."""


@dataclass(eq=False)
class Notice:
    """One message as it arrived on a channel, decoded once for the whole process."""

    channel: str
    body: dict[str, Any]
    # What its local subscribers load for it, loaded once for all of them (a row read once,
    # not once each).
    loaded: Once = field(default_factory=Once, repr=False)

    def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> Coroutine[Any, Any, T]:
        """`load()`'s result, loaded by the first subscriber that asks and shared by all."""
        return self.loaded.get(key, load)


class Listener:
    """One local subscriber over one or more channels, with at most `capacity` waiting."""

    __slots__ = ("_capacity", "_on_overflow", "_waiting", "_wake", "dropped")

    def __init__(self, capacity: int, on_overflow: Callable[[], None]) -> None:
        assert capacity > 0, "a listener must be able to hold a notice"
        # A list and one waiter rather than an asyncio.Queue: this is paid per helper, per
        # appeal, thousands of times over. Not a deque, which takes 600 bytes empty: a
        # listener idles with none waiting, once per helper, and rarely holds more than one.
        self._waiting: list[Notice] = []
        self._capacity = capacity
        self._wake: asyncio.Future[None] | None = None
        self._on_overflow = on_overflow
        self.dropped = False

    def offer(self, notice: Notice) -> None:
        if self.dropped:
            return
        if len(self._waiting) >= self._capacity:
            self.dropped = True
            self._on_overflow()
            return
        self._waiting.append(notice)
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> Notice:
        while not self._waiting and not self.dropped:
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            finally:
                self._wake = None
        if self.dropped:
            raise TooSlow()
        return self._waiting.pop(0)


@dataclass(eq=False)
class _Channel:
    name: str
    listeners: set[Listener] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pump: asyncio.Task[None] | None = None


class Fanout:
    """Channels are named here without `prefix`, which the broadcaster's names carry."""

    def __init__(self, broadcast: Broadcast, *, capacity: int, prefix: str = "") -> None:
        self._broadcast = broadcast
        self._prefix = prefix
        self.capacity = capacity
        self._channels: dict[str, _Channel] = {}
        self.dropped = 0

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    def listeners(self, name: str) -> int:
        """How many local subscribers receive what is published on `name` from now on."""
        channel = self._channels.get(name)
        return len(channel.listeners) if channel is not None and channel.ready.is_set() else 0

    def listen(
        self, channels: Collection[str], on_overflow: Callable[[], None]
    ) -> AbstractAsyncContextManager[Listener]:
        """A listener on `channels`, subscribed (for whatever the backend confirms) on entry."""
        # The names of channels already open, rather than each subscriber's own copies, which
        # it would keep for as long as it listens.
        return self._listen(tuple(self._shared_name(name) for name in channels), on_overflow)

    def _shared_name(self, name: str) -> str:
        channel = self._channels.get(name)
        return name if channel is None else channel.name

    @asynccontextmanager
    async def _listen(
        self, channels: tuple[str, ...], on_overflow: Callable[[], None]
    ) -> AsyncIterator[Listener]:
        def dropped() -> None:
            self.dropped += 1
            SLOW_SUBSCRIBERS_DROPPED.inc()
            on_overflow()

        listener = Listener(self.capacity, dropped)
        try:
            joined = [self._join(channel, listener) for channel in channels]
            await asyncio.gather(*(channel.ready.wait() for channel in joined))
            yield listener
        finally:
            for channel in channels:
                self._leave(channel, listener)

    def _join(self, name: str, listener: Listener) -> _Channel:
        channel = self._channels.get(name)
        if channel is None:
            channel = self._channels[name] = _Channel(name)
            channel.pump = asyncio.create_task(self._pump(name, channel))
        channel.listeners.add(listener)
        return channel

    def _leave(self, name: str, listener: Listener) -> None:
        channel = self._channels.get(name)
        if channel is None:
            return
        channel.listeners.discard(listener)
        if not channel.listeners:
            del self._channels[name]
            # A pump still subscribing is left to notice it is gone and leave by itself:
            # cancelled inside the backend's subscribe, it could be left subscribed.
            if channel.pump is not None and channel.ready.is_set():
                channel.pump.cancel()

    async def _pump(self, name: str, channel: _Channel) -> None:
        try:
            async with self._broadcast.subscribe(self._prefix + name) as subscriber:
                if self._channels.get(name) is not channel:
                    return  # every listener left while it was subscribing
                channel.ready.set()
                await self._deliver(name, channel, subscriber)
        finally:
            channel.ready.set()  # never leave a listener waiting on a pump that died

    async def _deliver(self, name: str, channel: _Channel, subscriber: Subscriber) -> None:
        while True:
            event = await subscriber.get()
            try:
                body = json.loads(event.message)
            except ValueError:
                log.warning("undecodable message on %s dropped: %.80r", name, event.message)
                continue
            if not isinstance(body, dict):
                continue
            notice = Notice(name, body)
            for listener in list(channel.listeners):
                listener.offer(notice)
