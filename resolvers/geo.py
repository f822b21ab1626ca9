"""Points on the Earth and what members may see of them.

A listing's or member's point is shown to anyone but its owner rounded to a grid of 0.01°
(about 1 km), and everything computed for others (a distance, whether it lies within a
radius, the order of a search, a cursor) starts from that rounded point, never from the exact
one: then no number of searches from chosen places tells more than the grid does. A distance
is told to the metre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from resolvers.standpoints import Standpoint

EARTH_RADIUS_KM = 6371.0088
GRID_DIGITS = 2
# How far a point can lie from where it is shown: half a cell of 0.01° (0.556 km) in latitude
# and at most as much in longitude, so about 0.786 km along the diagonal; with room to spare.
GRID_REACH_KM = 0.8
DISTANCE_DIGITS = 3  # kilometres to the metre


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def rounded(self) -> GeoPoint:
        """About a kilometre of blur (0.01° of latitude is 1.1 km), shown to other members."""
        return GeoPoint(round(self.latitude, GRID_DIGITS), round(self.longitude, GRID_DIGITS))

    def seen_from(self, standpoint: Standpoint) -> GeoPoint:
        """The point as its owner sees it (exact), or as anyone else does (rounded)."""
        return self if standpoint is Standpoint.OWNER else self.rounded()


def grid_of(degrees: float) -> int:
    """A coordinate as others see it (rounded to 0.01°), in whole hundredths of a degree."""
    return round(round(degrees, GRID_DIGITS) * 100)


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    half_dlat = (lat_b - lat_a) / 2
    half_dlon = math.radians(b.longitude - a.longitude) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_to_shown_km(near: GeoPoint, point: GeoPoint) -> float:
    """How far `point` lies from `near` for anyone but its owner: to its rounded point. What
    a radius, an order and a cursor are measured with."""
    return haversine_km(near, point.rounded())


def told_km(distance_km: float) -> float:
    """A distance as a client is told it (`distanceKm`): to the metre."""
    return round(distance_km, DISTANCE_DIGITS)
