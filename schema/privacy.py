"""A member's data: all of it exported, or the account deleted."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from resolvers import erasure, export
from schema.context import Info
from schema.credentials import DonePayload
from schema.errors import payload_or_user_errors
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.input
class DeleteAccountInput:
    password: str


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Everything the server holds about you, as one JSON document.",
        permission_classes=[IsAuthenticated],
    )
    async def export_my_data(self, info: Info) -> JSON | None:
        data = await export.export_member_data(info.context.services, signed_in_id(info))
        return cast("JSON", data)


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Delete your account: signed out everywhere, listings closed, open "
        "exchanges cancelled, digos and goodvibes returned to the commons, personal data "
        "erased. Others' history keeps you as a former member.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DonePayload | None:
        async def deleted() -> DonePayload:
            await erasure.delete_account(info.context.services, signed_in_id(info), input.password)
            return DonePayload(ok=True)

        return await payload_or_user_errors(DonePayload, deleted())
