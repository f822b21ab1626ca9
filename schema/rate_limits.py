"""Every mutation counted against the rate limit of resolvers.rate_limits, per member or per
client address when no one is signed in.

A refused mutation answers its own payload with a RATE_LIMITED userError and a retry hint,
and runs nothing. Login is left out: it has its own, stricter limit per email and per address.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from resolvers.errors import DomainError
from resolvers.rate_limits import count_mutation
from schema.context import Info
from schema.errors import Payload, user_errors

EXEMPT = frozenset({"login"})


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
        context = info.context
        try:
            await count_mutation(context.services, context.viewer_id, context.client_address)
        except DomainError as error:
            return self.payload(user_errors=user_errors(error))
        return await next_(source, info, **kwargs)


def rate_limit_mutations(mutation: type) -> None:
    """Put the limit on every mutation of the root type, the ones added later included."""
    definition = strawberry.types.base.get_object_definition(mutation, strict=True)
    for field in definition.fields:
        if field.python_name in EXEMPT:
            continue
        if not any(isinstance(e, MutationRateLimit) for e in field.extensions):
            field.extensions.append(MutationRateLimit())
