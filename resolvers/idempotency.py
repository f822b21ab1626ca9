"""Idempotency keys: the same key from the same member replays the first result.

A key is claimed by inserting it at the very start of the unit of work, before any other lock
is taken. Two units of work with the same key then queue on the unique index: the second
waits for the first to commit (or roll back) and sees its row, on every process.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import IdempotencyKey
from models.database import upsert
from resolvers.errors import invalid
from resolvers.translations import N_
from resolvers.validation import Checks, has_control_characters

T = TypeVar("T")

FIELD = "idempotencyKey"
MAX_KEY_LENGTH = 100

# What the first use of a key gave, and its column.


def check_key(checks: Checks, key: str | None) -> None:
    if key is None:
        return
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        checks.refuse(FIELD, N_("must be 1 to {max_length} characters"), max_length=MAX_KEY_LENGTH)
    elif has_control_characters(key):
        checks.refuse(FIELD, N_("must not contain control characters"))


async def claim(session: AsyncSession, member_id: int, key: str, request: str) -> int | None:
    """Claim `key` for `request`. None if this is its first use (go ahead, then `record` its
    result); the id of the first use's result if it is a repeat of the same request.

    The same key with another request is a VALIDATION error on `idempotencyKey`."""
    insert = upsert(session)
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
    if first.request != request or first.result_id is None:
        raise invalid(FIELD, N_("was already used for another request"))
    return first.result_id


async def replayed(
    session: AsyncSession, member_id: int, key: str | None, request: str, kind: type[T]
) -> T | None:
    """The first result of a repeated key (a row of `kind`), or None when this request is to
    be carried out (and its result recorded)."""
    if key is None:
        return None
    first = await claim(session, member_id, key, request)
    return None if first is None else await session.get(kind, first)


async def record(session: AsyncSession, member_id: int, key: str, result_id: int) -> None:
    """Remember what the first use of `key` gave, in the same unit of work."""
    await session.execute(
        update(IdempotencyKey)
        .where(col(IdempotencyKey.member_id) == member_id, col(IdempotencyKey.key) == key)
        .values(result_id=result_id)
    )


def request_of(mutation: str, **fields: Any) -> str:
    """A short name for one request: the mutation and a digest of its input, however long."""
    canonical = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return f"{mutation} {hashlib.sha256(canonical.encode()).hexdigest()}"
