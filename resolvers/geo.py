"""Points on the Earth and what members may see of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float

    def rounded(self) -> GeoPoint:
        """About a kilometre of blur (0.01° of latitude is 1.1 km), shown to other members."""
        return GeoPoint(round(self.latitude, 2), round(self.longitude, 2))


def grid_of(degrees: float) -> int:
    """A coordinate as others see it (rounded to 0.01°), in whole hundredths of a degree."""
    return round(round(degrees, 2) * 100)
