"""Rows looked up by id, as DataLoaders and `node(id:)` want them: in the order of the ids
asked, None where no row has one (or where the viewer may not see it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select


class Identified(Protocol):
    @property
    def id(self) -> int | None: ...


T = TypeVar("T", bound=Identified)


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
