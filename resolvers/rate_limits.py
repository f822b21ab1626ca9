"""Fixed-window rate limits counted in the database, so every process shares them: sign-in
attempts, messages, and every other mutation, per member or per client address."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from sqlalchemy import Executable, bindparam, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from models import RateLimitCounter
from models.database import UPSERTS, dialect
from resolvers.errors import DomainError, ErrorCode, Problem
from resolvers.translations import N_

if TYPE_CHECKING:
    from resolvers.services import Services

WINDOW_SECONDS = 60
REFUSALS = Counter(
    "indigo_rate_limit_refusals", "Calls refused by a rate limit, by limit", ["limit"]
)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Hits allowed per minute, as configured."""

    # Per email and per client address.
    login_attempts_per_minute: int = 10
    messages_per_minute: int = 20
    # Any other mutation, per member or per client address when no one is signed in.
    mutations_per_minute: int = 60


def _hit(insert: Callable[[Any], Any]) -> Executable:
    statement: Executable = (
        insert(RateLimitCounter)
        .values(key=bindparam("key"), window=bindparam("window"), hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window"], set_={"hits": col(RateLimitCounter.hits) + 1}
        )
        .returning(col(RateLimitCounter.hits))
    )
    return statement


# Built once, per dialect: every mutation counts a hit, and building the statement cost more
# CPU than running it.
_HIT = {name: _hit(insert) for name, insert in UPSERTS.items()}
_SWEEP = delete(RateLimitCounter).where(col(RateLimitCounter.window) < bindparam("window"))


async def count_hit(
    session: AsyncSession | AsyncConnection, key: str, *, limit: int
) -> int | None:
    """Count one hit on `key`. Past `limit` in the current minute, the seconds to wait.

    The caller commits the count before refusing, so refused attempts count too.
    """
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    hits = await session.scalar(_HIT[dialect(session)], {"key": key, "window": window})
    if hits == 1:
        # The first hit of a window sweeps every key's past windows (an index range, empty
        # most of the time), so keys that never come back do not pile up.
        await session.execute(_SWEEP, {"window": window})
    if hits is None or hits <= limit:
        return None
    REFUSALS.labels(key.partition(":")[0]).inc()
    return max(1, int((window + 1) * WINDOW_SECONDS - now))


def rate_limited(retry_after_seconds: int) -> DomainError:
    return DomainError(
        Problem(
            ErrorCode.RATE_LIMITED,
            N_("too many attempts: try again in {seconds} s"),
            retry_after_seconds=retry_after_seconds,
            params={"seconds": retry_after_seconds},
        )
    )


async def count_mutation(services: Services, viewer_id: int | None, client_address: str) -> None:
    """Count one mutation of the viewer, or of the client address when no one is signed in;
    past the limit, RATE_LIMITED. The count is committed first, so refusals count too."""
    who = f"member:{viewer_id}" if viewer_id is not None else f"client:{client_address}"
    limit = services.rate_limits.mutations_per_minute
    async with services.db.autocommit() as connection:
        wait = await count_hit(connection, f"mutation:{who}", limit=limit)
    if wait is not None:
        raise rate_limited(wait)
