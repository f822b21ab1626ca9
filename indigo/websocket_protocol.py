"""uvicorn's WebSocket protocol (websockets-sansio, what `auto` picks), lighter per socket.

A live feed's subscriber keeps its socket open for hours and mostly idle, and a process holds
thousands of them (docs/benchmarks.md, live appeal fan-out), so what uvicorn keeps per
socket counts: an asyncio.Queue of received messages and an asyncio.Event for the write
buffer hold five deques between them, about 3.7 KiB, empty; and the handshake's request and
response, headers parsed, are kept after it though nothing reads them again (the app has its
own copy of the headers, in its scope), as is the last frame read. Here the queue and the
event are a list and a future or two, and the handshake and the frames go once read.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame

T = TypeVar("T")


class _Waiters:
    """Futures to wake, made only while someone waits."""

    __slots__ = ("_futures",)

    def __init__(self) -> None:
        self._futures: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._futures.append(waiter)
        try:
            await waiter
        finally:
            self._futures.remove(waiter)

    def wake(self) -> None:
        for waiter in self._futures:
            if not waiter.done():
                waiter.set_result(None)


class Inbox(Generic[T]):
    """What the protocol asks of its asyncio.Queue (unbounded): put_nowait, get and empty."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiters = _Waiters()

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._waiters.wake()

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> T:
        while not self._items:
            await self._waiters.wait()
        return self._items.pop(0)


class Flag:
    """What the protocol asks of its asyncio.Event: set, clear, is_set and wait."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters = _Waiters()

    def set(self) -> None:
        self._set = True
        self._waiters.wake()

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> None:
        # As asyncio.Event: a waiter woken by `set` goes on, even if cleared meanwhile.
        if not self._set:
            await self._waiters.wait()


class LightWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: Any = Inbox[ASGIReceiveEvent]()
        self.writable: Any = Flag()
        self.writable.set()

    # websockets' parser keeps the last frame it read until the next one comes: for a live
    # feed's subscriber, the frame of its `subscribe`, for hours. Its data is the app's by the
    # time these return (uvicorn keeps what it still needs of a message in `frames`).
    def handle_text(self, event: Frame) -> None:
        super().handle_text(event)
        event.data = b""

    def handle_cont(self, event: Frame) -> None:
        super().handle_cont(event)
        event.data = b""

    async def send(self, message: ASGISendEvent) -> None:
        accepting = not self.handshake_complete
        await super().send(message)
        if accepting and self.handshake_complete:
            # Read by nothing once the handshake is over, on any path. websockets' parser
            # keeps the request as long as the socket lives: its headers go.
            self.request.headers.clear()
            del self.request, self.response
