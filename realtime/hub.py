"""The broadcaster wiring: one object per process that publishes and reports its health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from broadcaster import Broadcast


class Hub:
    def __init__(self, url: str) -> None:
        self.url = url
        self._broadcast = Broadcast(url)
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
        return self._connected

    async def publish(self, channel: str, message: str) -> None:
        await self._broadcast.publish(channel=channel, message=message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Any]:
        async with self._broadcast.subscribe(channel=channel) as subscriber:
            yield subscriber
