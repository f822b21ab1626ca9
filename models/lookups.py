"""Rows looked up by id, as DataLoaders and `node(id:)` want them: in the order of the ids
asked, None where no row has one (or where the viewer may not see it)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select


class Identified(Protocol):
    @property
    def id(self) -> int | None: ...


T = TypeVar("T", bound=Identified)
M = TypeVar("M")


def in_order_of(ids: Sequence[int], rows: Iterable[T]) -> list[T | None]:
    """`rows` put in the order of `ids`, None for an id none of them has."""
    by_id = {row.id: row for row in rows}
    return [by_id.get(i) for i in ids]


async def rows_by_id(
    session: AsyncSession, table: type[T], ids: Sequence[int], *seen: ColumnElement[bool]
) -> list[T | None]:
    """The rows of `table` with these ids, among those `seen` lets through."""
    rows = await session.scalars(select(table).where(col(table.id).in_(ids), *seen))
    return in_order_of(ids, rows.all())


async def rows_held_or_read(
    session: AsyncSession, model: type[M], ids: Collection[int]
) -> dict[int, M]:
    """The rows of `model` with these ids, by id: those the session already holds as they
    are (a unit of work need not read a row twice), the others by one query."""
    found: dict[int, M] = {}
    for i in set(ids):
        if (row := session.identity_map.get(identity_key(model, i))) is not None:
            found[i] = row
    missing = set(ids) - found.keys()
    if missing:
        key = inspect(model).primary_key[0]
        for row in await session.scalars(select(model).where(key.in_(missing))):
            found[getattr(row, key.key)] = row
    return found
