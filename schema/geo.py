"""Points on the map, as clients send and read them.

A point read is a `resolvers.geo.GeoPoint`, already as the viewer may see it (the resolvers
decide: exact for its owner, rounded for anyone else); `GeoPoint` here declares its GraphQL
type, and fields of that type answer the resolvers' point, whose attributes it reads.
"""

from __future__ import annotations

import strawberry

from resolvers.geo import GeoPoint as Point


@strawberry.input(description="A point in decimal degrees (WGS 84).")
class GeoPointInput:
    latitude: float = strawberry.field(description="-90 to 90")
    longitude: float = strawberry.field(description="-180 to 180")

    def to_point(self) -> Point:
        return Point(self.latitude, self.longitude)


@strawberry.type(description="A point; rounded to about 1 km unless it is your own.")
class GeoPoint:
    latitude: float
    longitude: float
