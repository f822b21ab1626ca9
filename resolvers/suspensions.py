"""Who is suspended now: a suspended member cannot sign in, nor be written to.
What a suspension does, and what a restore undoes, is in resolvers/sanctions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Suspension
from models.columns import utcnow
from resolvers.errors import DomainError, ErrorCode
from resolvers.services import Services
from resolvers.translations import N_


def suspended(until: datetime) -> DomainError:
    return DomainError.of(
        ErrorCode.SUSPENDED,
        N_("this account is suspended until {until}"),
        until=until.isoformat(),
    )


async def active(session: AsyncSession, member_id: int) -> Suspension | None:
    """The suspension that keeps the member out now, if any."""
    return await session.scalar(
        select(Suspension)
        .where(
            col(Suspension.member_id) == member_id,
            col(Suspension.lifted_at).is_(None),
            col(Suspension.until) > utcnow(),
        )
        .order_by(col(Suspension.until).desc())
        .limit(1)
    )


async def refuse_if_other_suspended(session: AsyncSession, member_id: int, field: str) -> None:
    """SUSPENDED if `member_id`, whom someone wants to reach, is suspended."""
    if await active(session, member_id) is not None:
        raise DomainError.of(ErrorCode.SUSPENDED, N_("this member is suspended"), field)


async def refuse_if_suspended(services: Services, member_id: int) -> None:
    async with services.db.lookups() as session:
        suspension = await active(session, member_id)
    if suspension is not None:
        raise suspended(suspension.until)
