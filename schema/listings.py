"""Offers, needs and appeals: the Listing type, the categories, posting and closing."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from datetime import datetime

import strawberry

from models import Listing as ListingRow
from models import Member as MemberRow
from models.columns import DESCRIPTION_LENGTH, TITLE_LENGTH
from resolvers import listings
from resolvers.categories import CATEGORIES
from resolvers.errors import DomainError, invalid
from resolvers.geo import GeoPoint as Point
from resolvers.translations import N_
from schema.context import Info
from schema.errors import LocalisedError, UserError, bad_user_input, payload_or_user_errors
from schema.geo import GeoPoint, GeoPointInput
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listing_types import ListingKind, ListingStatus, ListingType
from schema.members import Member
from schema.nodes import Node, node_kind
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.type(description="A kind of thing members trade.")
class Category:
    slug: str = strawberry.field(description="Stable: what `category` fields hold.")
    label: str = strawberry.field(description="In the language of `Accept-Language`.")


@strawberry.type(
    description="An offer, need or appeal. `category` is a slug from `categories`; `digos` is "
    "the price (OFFER, NEED) or the value of the help (APPEAL)."
)
class Listing(Node):
    row: strawberry.Private[ListingRow]
    # Given when the listing's own query fetched its author: `author` then answers at once
    # rather than with an awaitable, which spares graphql-core a task per edge of a page.
    author_row: strawberry.Private[MemberRow | None] = None
    # Plain attributes, copied from the row once: Strawberry resolves them without building
    # an Info per field, and a page of nearby listings resolves hundreds of them.
    id: strawberry.ID = dataclasses.field(init=False)
    type: ListingType = dataclasses.field(init=False)
    kind: ListingKind = dataclasses.field(init=False)
    category: str = dataclasses.field(init=False)
    title: str = dataclasses.field(init=False)
    description: str = dataclasses.field(init=False)
    digos: int = dataclasses.field(init=False)
    status: ListingStatus = dataclasses.field(init=False)
    created_at: datetime = dataclasses.field(init=False)
    updated_at: datetime = dataclasses.field(init=False)
    expires_at: datetime = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        row = self.row
        self.id = encode_id("Listing", row.id)
        self.type = ListingType(row.type)
        self.kind = ListingKind(row.kind)
        self.category = row.category
        self.title = row.title
        self.description = row.description
        self.digos = row.digos
        self.status = ListingStatus(row.status)
        self.created_at = row.created_at
        self.updated_at = row.updated_at
        self.expires_at = row.expires_at

    @strawberry.field(
        description="Exact for its author, rounded to about 1 km for others.",
        graphql_type=GeoPoint,
    )
    def location(self, info: Info) -> Point:
        return listings.location_seen_by(self.row, info.context.viewer_id)

    @strawberry.field(graphql_type=Member)
    def author(self, info: Info) -> Member | Awaitable[Member]:
        if self.author_row is not None:
            return Member(row=self.author_row)
        return self._loaded_author(info)

    async def _loaded_author(self, info: Info) -> Member:
        author = await info.context.loaders.member.load(self.row.author_id)
        if author is None:
            raise LookupError(f"listing {self.row.id} has no author {self.row.author_id}")
        return Member(row=author)


async def _listings(info: Info, listing_ids: list[int]) -> list[Listing | None]:
    found = await info.context.loaders.listing.load_many(listing_ids)
    seen = [listings.seen_by(row, info.context.viewer_id) for row in found]
    return [None if row is None else Listing(row=row) for row in seen]


node_kind("Listing", _listings)


@strawberry.input
class CreateListingInput:
    type: ListingType
    kind: ListingKind
    category: str = strawberry.field(description="A slug from `categories`.")
    title: str = strawberry.field(description=f"1 to {TITLE_LENGTH} characters.")
    description: str = strawberry.field(description=f"At most {DESCRIPTION_LENGTH:,} characters.")
    digos: int = strawberry.field(description="0 (a gift) to INDIGO_MAX_PRICE.")
    location: GeoPointInput
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.input
class CloseListingInput:
    listing_id: strawberry.ID
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class ListingPayload:
    listing: Listing | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def load_listing(info: Info, listing_id: strawberry.ID) -> ListingRow:
    """The listing of an ID argument; BAD_USER_INPUT for a malformed or unknown one."""
    try:
        row = await info.context.loaders.listing.load(decode_id("Listing", listing_id))
    except DomainError as error:
        raise bad_user_input(error) from None
    if row is None:
        raise _no_listing()
    return row


def _no_listing() -> LocalisedError:
    return bad_user_input(invalid("id", N_("no listing has this id")))


@strawberry.type
class ListingQuery:
    @strawberry.field(
        description="A listing, open or closed; one hidden by a moderator to its author alone."
    )
    async def listing(self, info: Info, id: strawberry.ID) -> Listing | None:
        row = listings.seen_by(await load_listing(info, id), info.context.viewer_id)
        if row is None:
            raise _no_listing()
        return Listing(row=row)

    @strawberry.field(description="Every category, labelled in the request's language.")
    def categories(self, info: Info) -> list[Category]:
        return [Category(slug=c.slug, label=c.label(info.context.language)) for c in CATEGORIES]


@strawberry.type
class ListingMutation:
    @strawberry.mutation(
        description="Post an offer, a need, or (short of digos) an appeal.",
        permission_classes=[IsAuthenticated],
    )
    async def create_listing(self, info: Info, input: CreateListingInput) -> ListingPayload | None:
        draft = listings.ListingDraft(
            type=input.type,
            kind=input.kind,
            category=input.category,
            title=input.title,
            description=input.description,
            digos=input.digos,
            location=input.location.to_point(),
        )

        async def created() -> ListingPayload:
            row = await listings.create_listing(
                info.context.services, signed_in_id(info), draft, input.idempotency_key
            )
            return ListingPayload(listing=Listing(row=row))

        return await payload_or_user_errors(ListingPayload, created())

    @strawberry.mutation(
        description="Close one of your listings: it leaves the search.",
        permission_classes=[IsAuthenticated],
    )
    async def close_listing(self, info: Info, input: CloseListingInput) -> ListingPayload | None:
        async def closed() -> ListingPayload:
            listing_id = decode_id("Listing", input.listing_id, "listingId")
            row = await listings.close_listing(
                info.context.services, signed_in_id(info), listing_id, input.idempotency_key
            )
            return ListingPayload(listing=Listing(row=row))

        return await payload_or_user_errors(ListingPayload, closed())
