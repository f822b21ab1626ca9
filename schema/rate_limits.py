"""Mutations rate-limited per member, or per client address when no one is signed in.

Counted in the database (resolvers/rate_limits), so every process shares the count. A refused
mutation answers its own payload with a RATE_LIMITED userError and a retry hint, and runs
nothing. Login is left out: it has its own, stricter limit per email and per address.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from resolvers.rate_limits import count_hit, rate_limited
from schema.context import Info
from schema.errors import Payload, user_errors

EXEMPT = frozenset({"login"})


@dataclass(frozen=True, slots=True)
class Root:
    """The root value of every operation: the app's own policy for its root fields."""

    mutations_per_minute: int


class MutationRateLimit(FieldExtension):
    def apply(self, field: StrawberryField) -> None:
        payload: object = field.type
        if isinstance(payload, StrawberryOptional):
            payload = payload.of_type
        # Every mutation answers a payload with userErrors (design.md): the refusal is one.
        assert isinstance(payload, type), field.name
        assert dataclasses.is_dataclass(payload), field.name
        assert "user_errors" in {f.name for f in dataclasses.fields(payload)}, field.name
        self.payload = cast("type[Payload]", payload)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if isinstance(source, Root):
            wait = await _count(info, source.mutations_per_minute)
            if wait is not None:
                return self.payload(user_errors=user_errors(rate_limited(wait)))
        return await next_(source, info, **kwargs)


async def _count(info: Info, limit: int) -> int | None:
    context = info.context
    who = (
        f"member:{context.viewer_id}"
        if context.viewer_id is not None
        else f"client:{context.client_address}"
    )
    async with context.services.db.autocommit() as session:
        return await count_hit(session, f"mutation:{who}", limit=limit)


def rate_limit_mutations(mutation: type) -> None:
    """Put the limit on every mutation of the root type, the ones added later included."""
    definition = strawberry.types.base.get_object_definition(mutation, strict=True)
    for field in definition.fields:
        if field.python_name in EXEMPT:
            continue
        if not any(isinstance(e, MutationRateLimit) for e in field.extensions):
            field.extensions.append(MutationRateLimit())
