"""What every cursor connection says about the page it returned (Relay's PageInfo)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import strawberry


class Edge(Protocol):
    @property
    def cursor(self) -> str: ...


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass it as `after` to read the next page."
    )
    has_previous_page: bool = False
    start_cursor: str | None = strawberry.field(
        default=None, description="Pass it as `before` to read the previous page."
    )

    @classmethod
    def forward(cls, has_next: bool, edges: Sequence[Edge]) -> PageInfo:
        """Of a page read forward: `after` its last edge reads on."""
        return cls(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None)
