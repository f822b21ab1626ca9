"""A member's password and address: change, reset with a mailed link, confirm."""

from __future__ import annotations

import strawberry

from resolvers import credentials
from schema.context import Info
from schema.errors import UserError, payload_or_user_errors
from schema.members import Member
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str = strawberry.field(description="10 to 128 characters.")


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="From the link mailed by requestPasswordReset.")
    new_password: str = strawberry.field(description="10 to 128 characters.")


@strawberry.input
class ConfirmEmailInput:
    token: str = strawberry.field(description="From the link mailed at registration.")


@strawberry.type
class ChangePasswordPayload:
    token: str | None = strawberry.field(
        default=None, description="Replaces this device's token; every other is revoked."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DonePayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmEmailPayload:
    member: Member | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CredentialsMutation:
    @strawberry.mutation(
        description="Revokes every sign-in; the token returned replaces this device's.",
        permission_classes=[IsAuthenticated],
    )
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload | None:
        async def changed() -> ChangePasswordPayload:
            token = await credentials.change_password(
                info.context.services,
                signed_in_id(info),
                current_password=input.current_password,
                new_password=input.new_password,
            )
            return ChangePasswordPayload(token=token)

        return await payload_or_user_errors(ChangePasswordPayload, changed())

    @strawberry.mutation(
        description="Mails a link valid one hour. Answers the same whether or not the address "
        "is a member's."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> DonePayload:
        async def requested() -> DonePayload:
            await credentials.request_password_reset(info.context.services, input.email)
            return DonePayload(ok=True)

        return await payload_or_user_errors(DonePayload, requested())

    @strawberry.mutation(
        description="Set a new password with a mailed link; signs out everywhere."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> DonePayload:
        async def reset() -> DonePayload:
            await credentials.reset_password(
                info.context.services, token=input.token, new_password=input.new_password
            )
            return DonePayload(ok=True)

        return await payload_or_user_errors(DonePayload, reset())

    @strawberry.mutation(description="Confirm your address with the link mailed at registration.")
    async def confirm_email(self, info: Info, input: ConfirmEmailInput) -> ConfirmEmailPayload:
        async def confirmed() -> ConfirmEmailPayload:
            row = await credentials.confirm_email(info.context.services, input.token)
            return ConfirmEmailPayload(member=Member(row=row, shown_to_owner=True))

        return await payload_or_user_errors(ConfirmEmailPayload, confirmed())
