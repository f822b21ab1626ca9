"""Waiting for a condition with a deadline, instead of sleeping "long enough"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

DEADLINE_SECONDS = 15.0


async def until(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = DEADLINE_SECONDS
) -> None:
    """Return as soon as `condition()` holds; fail if it does not within `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            outcome = condition()
            if outcome if isinstance(outcome, bool) else await outcome:
                return
            await asyncio.sleep(0.02)
