"""Points on the Earth and what members may see of them.

A listing's or member's point is shown to anyone but its owner rounded to a grid of 0.01°
(about 1 km), and everything computed for others (a distance, whether it lies within a
radius, the order of a search, a cursor) starts from that rounded point, never from the exact
one: then no number of searches from chosen places tells more than the grid does.
"""

from __future__ import annotations

from dataclasses import dataclass

GRID_DIGITS = 2
# How far a point can lie from where it is shown: half a cell of 0.01° (0.556 km) in latitude
# and at most as much in longitude, so about 0.786 km along the diagonal; with room to spare.
GRID_REACH_KM = 0.8


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def rounded(self) -> GeoPoint:
        """About a kilometre of blur (0.01° of latitude is 1.1 km), shown to other members."""
        return GeoPoint(round(self.latitude, GRID_DIGITS), round(self.longitude, GRID_DIGITS))

    def shown(self, *, to_owner: bool) -> GeoPoint:
        """The point as its owner sees it (exact), or as anyone else does (rounded)."""
        return self if to_owner else self.rounded()


def grid_of(degrees: float) -> int:
    """A coordinate as others see it (rounded to 0.01°), in whole hundredths of a degree."""
    return round(round(degrees, GRID_DIGITS) * 100)
