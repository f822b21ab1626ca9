"""What every cursor connection says about the page it returned (Relay's PageInfo)."""

from __future__ import annotations

import strawberry


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
