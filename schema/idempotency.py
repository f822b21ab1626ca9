"""The optional key every state-changing mutation takes, so a retry changes nothing twice."""

from __future__ import annotations

import strawberry

IDEMPOTENCY_KEY = strawberry.field(
    default=None,
    description="Any string of 1 to 100 characters: sent again with the same input, the "
    "first result is returned and nothing changes twice.",
)
