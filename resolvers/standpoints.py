"""Who looks at a member's things (their card, their listings, their points): no one signed
in, another member, or their owner. Exact points and owner-only fields are for the owner
alone, so whatever is shown of a thing is the same from one standpoint to the next viewer on
it: a live event is rendered once per standpoint."""

from __future__ import annotations

from enum import StrEnum


class Standpoint(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    OWNER = "owner"


def standpoint_of(owner_id: int | None, viewer_id: int | None) -> Standpoint:
    """Where `viewer_id` (None: no one signed in) stands to what `owner_id` owns."""
    if viewer_id is None:
        return Standpoint.ANONYMOUS
    return Standpoint.OWNER if viewer_id == owner_id else Standpoint.MEMBER
