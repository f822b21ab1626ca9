"""Values computed once, by the first task that asks for them, and shared with every other."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class Once:
    def __init__(self) -> None:
        self._futures: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """`compute()`'s result, computed by the first task that asks and shared by all."""
        shared = self._futures.get(key)
        if shared is None:
            shared = self._futures[key] = asyncio.ensure_future(compute())
            # Its askers may all be gone (a socket cut) when it fails: its failure is theirs
            # to see, and must not be reported again as never retrieved.
            shared.add_done_callback(_retrieved)
        if shared.done():  # the common case, once the first task has computed it
            return cast(T, shared.result())
        return cast(T, await asyncio.shield(shared))

    async def computed(self, key: Hashable) -> Any | None:
        """What a task computed for `key` through `get`, None if none did or it failed."""
        shared = self._futures.get(key)
        if shared is None:
            return None
        if not shared.done():
            try:
                await asyncio.shield(shared)
            except Exception:  # its first asker saw the failure; this one computes its own
                return None
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not shared.cancelled() or (task is not None and task.cancelling()):
                    raise  # this task was cancelled, not (only) the computation
        if shared.cancelled() or shared.exception() is not None:
            return None
        return shared.result()


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
