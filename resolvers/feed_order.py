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

from sqlalchemy import TextClause, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models.database import dialect

# The first key of PostgreSQL's two-key advisory locks that the feed turns use.
FEED_TURNS = 7_101


def turns_taken(member_ids: Iterable[int]) -> TextClause:
    """A condition, for PostgreSQL, true once these members' feed turns are held until the
    transaction ends: in the WHERE clause of a statement, the turns are taken (an InitPlan,
    run once) before the statement reads or writes any row, so a statement that needs them
    need not be a round trip of its own. Taken in id order, so two transactions never wait on
    each other."""
    return text(
        "(SELECT count(pg_advisory_xact_lock(:feed_turns, member))"
        " FROM unnest(CAST(:feed_turn_members AS integer[])) AS member) >= 0"
    ).bindparams(feed_turns=FEED_TURNS, feed_turn_members=sorted(set(member_ids)))


async def take_feed_turns(session: AsyncSession, member_ids: Iterable[int]) -> None:
    """Hold these members' feed turns until the transaction ends. A transaction takes them
    once, or a second time for members it already holds."""
    if dialect(session) != "postgresql":
        return
    await session.execute(select(literal(1)).where(turns_taken(member_ids)))
