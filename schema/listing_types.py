"""The listing enums as the schema names and describes them.

Every module that uses one imports it from here, so that it is registered with its
description before any type resolves it: a type resolved first would register a bare copy,
and the schema would hold two definitions of one enum.
"""

from __future__ import annotations

import strawberry

from models import ListingKind, ListingStatus, ListingType

strawberry.enum(
    ListingType,
    description="OFFER: provided at a price; NEED: asked for, "
    "paid in digos; APPEAL: asked for by a member short of digos, paid in goodvibes "
    "by the commons.",
)
strawberry.enum(ListingKind)
strawberry.enum(ListingStatus)

__all__ = ["ListingKind", "ListingStatus", "ListingType"]
