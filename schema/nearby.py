"""The home screen's question: what is offered, needed or appealed for around me."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Annotated

import strawberry

from resolvers import nearby
from resolvers.errors import DomainError, invalid
from resolvers.geo import told_km
from resolvers.pages import DEFAULT_PAGE
from resolvers.translations import N_
from schema.context import Info
from schema.errors import bad_user_input
from schema.geo import GeoPointInput
from schema.ids import MAX_PRIMARY_KEY
from schema.listing_types import ListingType
from schema.listings import Listing
from schema.pages import PageInfo

_CURSOR = "Nearby"


def encode_cursor(position: nearby.Position) -> str:
    # float.hex is exact, so the next page starts precisely after this listing.
    keyset = f"{_CURSOR}:{position.distance_km.hex()}:{position.listing_id}"
    return base64.urlsafe_b64encode(keyset.encode()).decode()


def decode_cursor(cursor: str) -> nearby.Position:
    try:
        kind, distance, listing_id = (
            base64.urlsafe_b64decode(cursor.encode("ascii")).decode().split(":")
        )
        position = nearby.Position(float.fromhex(distance), int(listing_id))
    except (binascii.Error, UnicodeError, ValueError, OverflowError):
        raise invalid("after", N_("is not a cursor of this search")) from None
    if (
        kind != _CURSOR
        or not math.isfinite(position.distance_km)
        or not 0 <= position.listing_id <= MAX_PRIMARY_KEY
    ):
        raise invalid("after", N_("is not a cursor of this search"))
    return position


@strawberry.type
class NearbyEdge:
    cursor: str
    distance_km: float = strawberry.field(
        description="From the search's point to the listing's point as others are shown it "
        "(rounded to about 1 km), in km."
    )
    node: Listing


@strawberry.type
class NearbyConnection:
    edges: list[NearbyEdge]
    page_info: PageInfo


@strawberry.type
class NearbyQuery:
    @strawberry.field(description="Open listings within radiusKm of near, nearest first.")
    async def nearby(
        self,
        info: Info,
        near: GeoPointInput,
        radius_km: float,
        types: list[ListingType] | None = None,
        categories: list[str] | None = None,
        text: Annotated[
            str | None, strawberry.argument(description="Matched in title and description.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="1 to 100; 20 when not given.")
        ] = None,
        after: str | None = None,
    ) -> NearbyConnection:
        try:
            page = await nearby.nearby(
                info.context.services,
                nearby.Search(
                    near=near.to_point(),
                    radius_km=radius_km,
                    types=types,
                    categories=categories,
                    text=text,
                    first=DEFAULT_PAGE if first is None else first,
                    after=decode_cursor(after) if after is not None else None,
                    viewer_id=info.context.viewer_id,
                ),
            )
        except DomainError as error:
            raise bad_user_input(error) from None
        edges = [
            NearbyEdge(
                cursor=encode_cursor(found.position),
                distance_km=told_km(found.position.distance_km),
                node=Listing(row=found.listing, author_row=found.author),
            )
            for found in page.items
        ]
        return NearbyConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )
