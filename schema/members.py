"""Members and wallets as the API shows them, and the queries that find them."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from models import Member as MemberRow
from resolvers import ledger, members
from resolvers.errors import DomainError, invalid
from resolvers.messages import N_
from schema.context import Info
from schema.errors import bad_user_input
from schema.geo import GeoPoint
from schema.ids import decode_id, encode_id
from schema.nodes import Node, node_kind
from schema.permissions import IsAuthenticated, require_owner, signed_in


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

    def _seen_by_owner(self, info: Info) -> bool:
        return self.shown_to_owner or info.context.viewer_id == self.row.id

    @strawberry.field(description="Exact for yourself, rounded to about 1 km for others.")
    def location(self, info: Info) -> GeoPoint | None:
        return GeoPoint.shown(members.location_of(self.row), exact=self._seen_by_owner(info))

    @strawberry.field(description="Visible to this member alone.")
    def email(self, info: Info) -> str | None:
        if not self.shown_to_owner:
            require_owner(info, self.row.id, N_("a member's email"))
        return self.row.email

    @strawberry.field(description="Visible to this member alone.")
    async def wallet(self, info: Info) -> Wallet | None:
        if not self.shown_to_owner:
            require_owner(info, self.row.id, N_("a member's wallet"))
        assert self.row.id is not None
        async with info.context.platform.db.read() as session:
            return Wallet.from_wallet(await ledger.wallet(session, self.row.id))


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
