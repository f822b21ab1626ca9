"""Signing up, in and out, and editing one's profile."""

from __future__ import annotations

import strawberry

from models.columns import BIO_LENGTH, DISPLAY_NAME_LENGTH
from resolvers import auth, members
from resolvers.members import KEEP, MAX_SKILL_LENGTH, MAX_SKILLS, ProfileChanges
from schema.context import Info
from schema.errors import UserError, payload_or_user_errors
from schema.geo import GeoPointInput
from schema.idempotency import IDEMPOTENCY_KEY
from schema.members import Member
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.input
class RegisterInput:
    email: str
    password: str = strawberry.field(description="10 to 128 characters.")
    display_name: str = strawberry.field(description=f"1 to {DISPLAY_NAME_LENGTH} characters.")
    location: GeoPointInput | None = None


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input(description="Only the fields given change; null clears bio, skills, location.")
class UpdateProfileInput:
    display_name: str | None = strawberry.UNSET
    bio: str | None = strawberry.field(
        default=strawberry.UNSET, description=f"At most {BIO_LENGTH:,}."
    )
    skills: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"At most {MAX_SKILLS}, each at most {MAX_SKILL_LENGTH} characters.",
    )
    location: GeoPointInput | None = strawberry.UNSET
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class SignInPayload:
    token: str | None = strawberry.field(
        default=None, description="Send it as `Authorization: Bearer <token>`."
    )
    member: Member | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateProfilePayload:
    member: Member | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _signed_in(sign_in: auth.SignIn) -> SignInPayload:
    return SignInPayload(
        token=sign_in.token, member=Member(row=sign_in.member, shown_to_owner=True)
    )


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Join Indigo: the commons welcomes you with digos.")
    async def register(self, info: Info, input: RegisterInput) -> SignInPayload:
        async def registered() -> SignInPayload:
            return _signed_in(
                await members.register(
                    info.context.services,
                    email=input.email,
                    password=input.password,
                    display_name=input.display_name,
                    location=input.location.to_point() if input.location else None,
                    language=info.context.language,
                )
            )

        return await payload_or_user_errors(SignInPayload, registered())

    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> SignInPayload:
        async def signed_in_() -> SignInPayload:
            return _signed_in(
                await auth.login(
                    info.context.services,
                    email=input.email,
                    password=input.password,
                    client=info.context.client_address,
                )
            )

        return await payload_or_user_errors(SignInPayload, signed_in_())

    @strawberry.mutation(
        description="Revoke the token this request was sent with.",
        permission_classes=[IsAuthenticated],
    )
    async def logout(self, info: Info) -> LogoutPayload | None:
        assert info.context.token is not None
        await auth.logout(info.context.services, signed_in_id(info), info.context.token)
        return LogoutPayload(ok=True)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_profile(
        self, info: Info, input: UpdateProfileInput
    ) -> UpdateProfilePayload | None:
        changes = ProfileChanges(
            display_name=KEEP if input.display_name is strawberry.UNSET else input.display_name,
            bio=KEEP if input.bio is strawberry.UNSET else input.bio,
            skills=KEEP if input.skills is strawberry.UNSET else input.skills,
            location=(
                KEEP
                if input.location is strawberry.UNSET
                else input.location.to_point()
                if input.location
                else None
            ),
        )

        async def updated() -> UpdateProfilePayload:
            row = await members.update_profile(
                info.context.services, signed_in_id(info), changes, input.idempotency_key
            )
            return UpdateProfilePayload(member=Member(row=row))

        return await payload_or_user_errors(UpdateProfilePayload, updated())
