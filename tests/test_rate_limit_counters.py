"""The rate-limit counters: counted per minute, and past minutes swept for every key."""

from __future__ import annotations

import time

import pytest
from sqlmodel import col, select

from models import Database, RateLimitCounter
from resolvers.rate_limits import WINDOW_SECONDS, count_hit


async def counters(database: Database) -> list[tuple[str, int]]:
    async with database.read() as session:
        rows = await session.execute(
            select(col(RateLimitCounter.key), col(RateLimitCounter.hits)).order_by(
                col(RateLimitCounter.key)
            )
        )
    return [(key, hits) for key, hits in rows.all()]


@pytest.mark.usefixtures("fresh_rate_window")
async def test_past_minutes_of_keys_that_never_come_back_are_swept(database: Database) -> None:
    now = int(time.time() // WINDOW_SECONDS)
    async with database.write() as session:
        session.add(RateLimitCounter(key="gone", window=now - 5, hits=9))
        session.add(RateLimitCounter(key="current", window=now + 1, hits=2))

    async with database.write() as session:
        waits = [await count_hit(session, "new", limit=1) for _ in range(2)]

    assert waits[0] is None
    assert waits[1] is not None
    assert 1 <= waits[1] <= WINDOW_SECONDS
    assert await counters(database) == [("current", 2), ("new", 2)]
