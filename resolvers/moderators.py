"""Who moderates: members granted the role from the command line (`indigo moderators`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, exists
from sqlmodel import col, select

from models import Database, Member, Moderator
from resolvers.services import Services
from resolvers.validation import normalise_email


class UnknownMember(LookupError):
    """No member has this email."""


async def _member_id(database: Database, email: str) -> int:
    async with database.read() as session:
        member_id = await session.scalar(
            select(col(Member.id)).where(col(Member.email) == normalise_email(email))
        )
    if member_id is None:
        raise UnknownMember(email)
    return member_id


async def grant(database: Database, email: str) -> bool:
    """Make the member with this email a moderator; False if they already were."""
    member_id = await _member_id(database, email)
    async with database.write() as session:
        if await session.get(Moderator, member_id) is not None:
            return False
        session.add(Moderator(member_id=member_id))
    return True


async def revoke(database: Database, email: str) -> bool:
    """Take the role back; False if they were not a moderator."""
    member_id = await _member_id(database, email)
    async with database.write() as session:
        removed = await session.execute(
            delete(Moderator).where(col(Moderator.member_id) == member_id)
        )
    return bool(getattr(removed, "rowcount", 0))


async def is_moderator(services: Services, member_id: int) -> bool:
    async with services.db.lookups() as session:
        return await session.get(Moderator, member_id) is not None


def moderates(member_id: int) -> ColumnElement[bool]:
    """A condition true when `member_id` is a moderator, to filter a query by it at once."""
    return exists().where(col(Moderator.member_id) == member_id)
