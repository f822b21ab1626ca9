"""Rows looked up by id, as DataLoaders and `node(id:)` want them: in the order of the ids
asked, None where no row has one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select


class Identified(Protocol):
    id: int | None


T = TypeVar("T", bound=Identified)


async def rows_by_id(session: AsyncSession, table: type[T], ids: Sequence[int]) -> list[T | None]:
    rows = await session.scalars(select(table).where(col(table.id).in_(ids)))
    by_id = {row.id: row for row in rows.all()}
    return [by_id.get(i) for i in ids]
