"""Pages of a list read by keyset, in the list's own order: what comes after the last one
seen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Mapped

from resolvers.validation import Checks

DEFAULT_PAGE = 20
MAX_PAGE = 100

T = TypeVar("T")
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def newest_first(query: Q, key: Mapped[int | None], first: int, before: int | None) -> Q:
    """`query` as a page read newest first by `key`, after the cursor `before` (the key of
    the last row already seen), with one row more than `first` to tell whether there is
    more."""
    query = query.order_by(key.desc()).limit(first + 1)
    return query if before is None else query.where(key < before)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool

    @classmethod
    def of(cls, rows: list[T], first: int) -> Page[T]:
        """The page from `rows` read with a limit of `first + 1`: one more says there is more."""
        return cls(items=rows[:first], has_next=len(rows) > first)


def check_first(first: int | None) -> int:
    """How many items a page holds: `first`, 1 to MAX_PAGE, or DEFAULT_PAGE when not given."""
    if first is None:
        return DEFAULT_PAGE
    checks = Checks()
    checks.whole_number("first", first, minimum=1, maximum=MAX_PAGE)
    checks.done()
    return first
