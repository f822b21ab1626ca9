"""A member's own listings: the list of them, editing one, renewing one."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models import ListingStatus
from resolvers import own_listings
from resolvers.members import KEEP
from resolvers.own_listings import ListingChanges
from schema.context import Info
from schema.errors import payload_or_user_errors
from schema.exchanges import after_id, page_size
from schema.geo import GeoPointInput
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listings import Listing, ListingPayload
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.input(description="Only the fields given change.")
class UpdateListingInput:
    listing_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    category: str | None = None
    digos: int | None = strawberry.field(
        default=None, description="Only while no exchange on it is requested or accepted."
    )
    location: GeoPointInput | None = None
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.input
class RenewListingInput:
    listing_id: strawberry.ID
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class ListingEdge:
    cursor: str
    node: Listing


@strawberry.type
class ListingConnection:
    edges: list[ListingEdge]
    page_info: PageInfo


def _listing_id(value: strawberry.ID) -> int:
    return decode_id("Listing", value, "listingId")


@strawberry.type
class OwnListingQuery:
    @strawberry.field(
        description="Your listings in any status, newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def my_listings(
        self,
        info: Info,
        status: list[ListingStatus] | None = None,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> ListingConnection | None:
        size, before = page_size(first), after_id("Listing", after)
        page = await own_listings.my_listings(
            info.context.services, signed_in_id(info), statuses=status, first=size, before=before
        )
        edges = [
            ListingEdge(cursor=encode_id("Listing", row.id), node=Listing(row=row))
            for row in page.items
        ]
        return ListingConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )


@strawberry.type
class OwnListingMutation:
    @strawberry.mutation(
        description="Edit one of your listings; the price only while no exchange on it is "
        "requested or accepted.",
        permission_classes=[IsAuthenticated],
    )
    async def update_listing(self, info: Info, input: UpdateListingInput) -> ListingPayload | None:
        changes = ListingChanges(
            title=KEEP if input.title is None else input.title,
            description=KEEP if input.description is None else input.description,
            category=KEEP if input.category is None else input.category,
            digos=KEEP if input.digos is None else input.digos,
            location=KEEP if input.location is None else input.location.to_point(),
        )

        async def updated() -> ListingPayload:
            row = await own_listings.update_listing(
                info.context.services,
                signed_in_id(info),
                _listing_id(input.listing_id),
                changes,
                input.idempotency_key,
            )
            return ListingPayload(listing=Listing(row=row))

        return await payload_or_user_errors(ListingPayload, updated())

    @strawberry.mutation(
        description="Give one of your open or expired listings another full period.",
        permission_classes=[IsAuthenticated],
    )
    async def renew_listing(self, info: Info, input: RenewListingInput) -> ListingPayload | None:
        async def renewed() -> ListingPayload:
            row = await own_listings.renew_listing(
                info.context.services,
                signed_in_id(info),
                _listing_id(input.listing_id),
                input.idempotency_key,
            )
            return ListingPayload(listing=Listing(row=row))

        return await payload_or_user_errors(ListingPayload, renewed())
