"""Each member's feed order: what is told to one member commits in id order.

The feeds `messageAdded` and `notificationAdded` use the row id as their cursor. Were two
rows for one member to commit out of id order, a feed resuming after the later id would
skip the earlier one. So a transaction takes the member's feed turn before inserting such a
row, and holds it until it commits: rows for one member then get their ids, and commit, one
transaction after the other, while other members' rows go on in parallel (no lock shared by
the whole network). On SQLite, BEGIN IMMEDIATE already serialises every write.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from models.database import dialect

# The first key of PostgreSQL's two-key advisory locks that the feed turns use.
FEED_TURNS = 7_101


async def take_feed_turns(session: AsyncSession, member_ids: Iterable[int]) -> None:
    """Hold these members' feed turns until the transaction ends, taken in id order so two
    transactions never wait on each other. A transaction takes them once, or a second time
    for members it already holds."""
    if dialect(session) != "postgresql":
        return
    for member_id in sorted(set(member_ids)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:turns, :member)"),
            {"turns": FEED_TURNS, "member": member_id},
        )
