"""Idempotency keys: the same key from the same member replays the first result.

A key is claimed by inserting it at the very start of the unit of work, before any other lock
is taken. Two units of work with the same key then queue on the unique index: the second
waits for the first to commit (or roll back) and sees its row, on every process.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import IdempotencyKey
from resolvers.errors import invalid
from resolvers.ledger import dialect
from resolvers.messages import N_
from resolvers.validation import Checks, has_control_characters

FIELD = "idempotencyKey"
MAX_KEY_LENGTH = 100


def check_key(checks: Checks, key: str | None) -> None:
    if key is None:
        return
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        checks.refuse(FIELD, N_("must be 1 to {max_length} characters"), max_length=MAX_KEY_LENGTH)
    elif has_control_characters(key):
        checks.refuse(FIELD, N_("must not contain control characters"))


async def claim(session: AsyncSession, member_id: int, key: str, request: str) -> int | None:
    """Claim `key` for `request`. None if this is its first use (go ahead, then `record` the
    exchange); the exchange of the first use if it is a repeat of the same request.

    The same key with another request is a VALIDATION error on `idempotencyKey`."""
    insert = postgresql_insert if dialect(session) == "postgresql" else sqlite_insert
    claimed = await session.scalar(
        insert(IdempotencyKey)
        .values(member_id=member_id, key=key, request=request)
        .on_conflict_do_nothing(index_elements=["member_id", "key"])
        .returning(col(IdempotencyKey.id))
    )
    if claimed is not None:
        return None
    first = (
        await session.scalars(
            select(IdempotencyKey).where(
                col(IdempotencyKey.member_id) == member_id, col(IdempotencyKey.key) == key
            )
        )
    ).one()
    if first.request != request or first.exchange_id is None:
        raise invalid(FIELD, N_("was already used for another request"))
    return first.exchange_id


async def record(session: AsyncSession, member_id: int, key: str, exchange_id: int) -> None:
    """Remember the exchange that the first use of `key` gave, in the same unit of work."""
    await session.execute(
        update(IdempotencyKey)
        .where(col(IdempotencyKey.member_id) == member_id, col(IdempotencyKey.key) == key)
        .values(exchange_id=exchange_id)
    )
