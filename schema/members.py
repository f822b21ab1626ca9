"""Members and wallets as the API shows them, and the queries that find them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import Member as MemberRow
from resolvers import conversations, ledger, members, notifications
from resolvers.errors import DomainError, invalid
from resolvers.geo import GeoPoint as Point
from resolvers.standpoints import Standpoint, standpoint_of
from resolvers.translations import N_
from schema.context import Info
from schema.errors import bad_user_input
from schema.geo import GeoPoint
from schema.ids import decode_id, encode_id
from schema.nodes import Node, node_kind
from schema.permissions import IsAuthenticated, require_owner, signed_in

if TYPE_CHECKING:
    from schema.reviews import Recognition, ReviewConnection

# schema.reviews shows members (a review's author), so the card's fields load it lazily.
REVIEWS = strawberry.lazy("schema.reviews")


@strawberry.type(description="A member's digos and goodvibes. Visible to that member alone.")
class Wallet:
    digos: int = strawberry.field(description="The balance, held part included.")
    held_digos: int = strawberry.field(description="Promised to open exchanges.")
    available_digos: int = strawberry.field(description="digos - heldDigos: what can be spent.")
    goodvibes: int
    held_goodvibes: int

    @classmethod
    def from_wallet(cls, wallet: ledger.Wallet) -> Wallet:
        return cls(
            digos=wallet.digos,
            held_digos=wallet.held_digos,
            available_digos=wallet.available_digos,
            goodvibes=wallet.goodvibes,
            held_goodvibes=wallet.held_goodvibes,
        )


@strawberry.type
class Member(Node):
    row: strawberry.Private[MemberRow]
    # Register and login answer the member who just proved who they are, before the
    # request carries their token.
    shown_to_owner: strawberry.Private[bool] = False
    # Plain attributes, copied from the row once: Strawberry resolves them without building
    # an Info per field, and a page of listings shows an author on every edge.
    id: strawberry.ID = dataclasses.field(init=False)
    display_name: str = dataclasses.field(init=False)
    bio: str = dataclasses.field(init=False)
    skills: list[str] = dataclasses.field(init=False)
    member_since: datetime = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Member", self.row.id)
        self.display_name = self.row.display_name
        self.bio = self.row.bio
        self.skills = list(self.row.skills)
        self.member_since = self.row.created_at

    def _standpoint(self, info: Info) -> Standpoint:
        viewer_id = self.row.id if self.shown_to_owner else info.context.viewer_id
        return standpoint_of(self.row.id, viewer_id)

    @strawberry.field(
        description="Exact for yourself, rounded to about 1 km for others.",
        graphql_type=GeoPoint | None,
    )
    def location(self, info: Info) -> Point | None:
        return members.location_seen_from(self.row, self._standpoint(info))

    @strawberry.field(description="Visible to this member alone.")
    def email(self, info: Info) -> str | None:
        require_owner(self._standpoint(info), N_("a member's email"))
        return self.row.email

    @strawberry.field(
        description="Whether the address mailed at registration is confirmed. "
        "Visible to this member alone."
    )
    def email_confirmed(self, info: Info) -> bool | None:
        require_owner(self._standpoint(info), N_("whether a member's email is confirmed"))
        return self.row.email_confirmed_at is not None

    @strawberry.field(description="Messages to you not read yet; null for anyone else.")
    async def unread_messages(self, info: Info) -> int | None:
        if self._standpoint(info) is not Standpoint.OWNER:
            return None
        assert self.row.id is not None
        return await conversations.unread_messages(info.context.services, self.row.id)

    @strawberry.field(description="Your notifications not read yet; null for anyone else.")
    async def unread_notifications(self, info: Info) -> int | None:
        if self._standpoint(info) is not Standpoint.OWNER:
            return None
        assert self.row.id is not None
        return await notifications.unread_count(info.context.services, self.row.id)

    @strawberry.field(description="Visible to this member alone.")
    async def wallet(self, info: Info) -> Wallet | None:
        require_owner(self._standpoint(info), N_("a member's wallet"))
        assert self.row.id is not None
        return Wallet.from_wallet(await members.wallet_of(info.context.services, self.row.id))

    @strawberry.field(description="What this member did for others.")
    async def recognition(self, info: Info) -> Annotated[Recognition, REVIEWS]:
        from schema.reviews import recognition_of

        assert self.row.id is not None
        return await recognition_of(info, self.row.id)

    @strawberry.field(description="What others said of this member, the latest first.")
    async def reviews(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> Annotated[ReviewConnection, REVIEWS]:
        from schema.reviews import reviews_of

        assert self.row.id is not None
        return await reviews_of(info, self.row.id, first, after)


async def load_member(info: Info, member_id: int) -> Member:
    """A member that a row refers to: one that must exist."""
    member = await info.context.loaders.member.load(member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    return Member(row=member)


async def _member_cards(info: Info, member_ids: list[int]) -> list[Member | None]:
    found = await info.context.loaders.member.load_many(member_ids)
    return [None if row is None else Member(row=row) for row in found]


node_kind("Member", _member_cards)


@strawberry.type
class MemberQuery:
    @strawberry.field(description="The signed-in member.", permission_classes=[IsAuthenticated])
    def me(self, info: Info) -> Member | None:
        return Member(row=signed_in(info))

    @strawberry.field(description="A member's public card.")
    async def member(self, info: Info, id: strawberry.ID) -> Member | None:
        try:
            member = await info.context.loaders.member.load(decode_id("Member", id))
        except DomainError as error:
            raise bad_user_input(error) from None
        if member is None:
            raise bad_user_input(invalid("id", N_("no member has this id")))
        return Member(row=member)
