"""Blocks between members, and the one rule every search, feed and exchange asks of them: a
blocked pair (whoever blocked whom) does not see or deal with each other."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Block, Member
from models.database import upsert
from models.safety import blocked_between
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.services import Services
from resolvers.translations import N_

FIELD = "memberId"
# Shared by every feed that hides no one, which keeps its set for as long as it listens: an
# empty frozenset is a new object of 216 bytes.
NOBODY: frozenset[int] = frozenset()


def blocked_pair(field: str | None = None) -> DomainError:
    return DomainError.of(
        ErrorCode.BLOCKED, N_("one of you has blocked the other: you cannot deal together"), field
    )


async def between(session: AsyncSession, one: int, other: int) -> bool:
    """Whether either of the two members has blocked the other."""
    found = await session.scalar(select(col(Block.blocker_id)).where(blocked_between(one, other)))
    return found is not None


async def refuse_if_blocked(
    session: AsyncSession, one: int, other: int, field: str | None = None
) -> None:
    if await between(session, one, other):
        raise blocked_pair(field)


async def hidden_from(services: Services, viewer_id: int | None) -> frozenset[int]:
    """The members whose listings `viewer_id` does not see: those they blocked and those who
    blocked them. Nobody is hidden from an anonymous viewer."""
    if viewer_id is None:
        return NOBODY
    async with services.db.lookups() as session:
        return await blocked_either_way(session, viewer_id)


async def blocked_either_way(session: AsyncSession, member_id: int) -> frozenset[int]:
    """The members `member_id` blocked, and those who blocked them."""
    rows = await session.execute(
        select(col(Block.blocker_id), col(Block.blocked_id)).where(
            (col(Block.blocker_id) == member_id) | (col(Block.blocked_id) == member_id)
        )
    )
    return (
        frozenset(blocked if blocker == member_id else blocker for blocker, blocked in rows.all())
        or NOBODY
    )


async def _member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise DomainError.of(ErrorCode.NOT_FOUND, N_("no member has this id"), FIELD)
    return member


async def block(services: Services, member_id: int, blocked_id: int) -> Member:
    """Block a member; blocking them again changes nothing."""
    if blocked_id == member_id:
        raise invalid(FIELD, N_("you cannot block yourself"))
    async with services.unit_of_work() as work:
        blocked = await _member(work.session, blocked_id)
        insert = upsert(work.session)
        await work.session.execute(
            insert(Block)
            .values(blocker_id=member_id, blocked_id=blocked_id)
            .on_conflict_do_nothing(index_elements=["blocker_id", "blocked_id"])
        )
    return blocked


async def unblock(services: Services, member_id: int, blocked_id: int) -> Member:
    """Lift a block of one's own; lifting one that is not there changes nothing."""
    async with services.unit_of_work() as work:
        blocked = await _member(work.session, blocked_id)
        await work.session.execute(
            delete(Block).where(
                col(Block.blocker_id) == member_id, col(Block.blocked_id) == blocked_id
            )
        )
    return blocked


async def my_blocks(services: Services, member_id: int) -> list[Member]:
    """The members this member blocked, the latest first."""
    async with services.db.lookups() as session:
        rows = await session.scalars(
            select(Member)
            .join(Block, col(Block.blocked_id) == col(Member.id))
            .where(col(Block.blocker_id) == member_id)
            .order_by(col(Block.created_at).desc(), col(Member.id).desc())
        )
        return list(rows.all())
