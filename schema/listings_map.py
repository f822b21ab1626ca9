"""The map view of a viewport: listings when few, clusters otherwise."""

from __future__ import annotations

import strawberry

from resolvers import listings_map
from resolvers.errors import DomainError
from resolvers.geo import GeoPoint as Point
from schema.context import Info
from schema.errors import bad_user_input
from schema.geo import GeoPoint
from schema.listing_types import ListingType
from schema.listings import Listing


@strawberry.input(
    description="A viewport in decimal degrees; west > east crosses the antimeridian."
)
class BoxInput:
    south: float
    west: float
    north: float
    east: float


@strawberry.type(description="Listings near each other, counted from their rounded points.")
class MapCluster:
    center: Point = strawberry.field(graphql_type=GeoPoint)
    count: int


@strawberry.type
class MapView:
    listings: list[Listing] = strawberry.field(
        description=f"The open listings in view, when there are at most "
        f"{listings_map.MAX_LISTINGS}; else empty."
    )
    clusters: list[MapCluster] = strawberry.field(description="Else: the listings, clustered.")


@strawberry.type
class ListingsMapQuery:
    @strawberry.field(description="What a map shows of a viewport at a zoom level (0 to 20).")
    async def listings_on_map(
        self,
        info: Info,
        box: BoxInput,
        zoom: int,
        types: list[ListingType] | None = None,
        categories: list[str] | None = None,
    ) -> MapView:
        try:
            view = await listings_map.listings_on_map(
                info.context.services,
                listings_map.Box(box.south, box.west, box.north, box.east),
                zoom,
                types=types,
                categories=categories,
                viewer_id=info.context.viewer_id,
            )
        except DomainError as error:
            raise bad_user_input(error) from None
        return MapView(
            listings=[Listing(row=row) for row in view.listings],
            clusters=[
                MapCluster(center=Point(c.latitude, c.longitude), count=c.count)
                for c in view.clusters
            ],
        )
