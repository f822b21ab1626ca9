"""Where a nearby search starts: the density of listings the last search met, area by area.

A search widens its circle until the circle holds a page. From a fixed small start, a page in
a dense city takes two or three rounds; from a circle sized by the density the previous
search met in the same area, it usually takes one. A hint only changes how many rounds a
search takes, never what it finds, so a stale or odd one costs a round, nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

from resolvers.geo import GeoPoint

# Where a search with no hint starts: a few listings in a dense city.
FIRST_RING_KM = 0.1
# A hint moves the start at most this far either way. Below, a circle is too small to say
# anything of an area (and its density could overflow); above, a sparse outskirt's hint
# would make a search in the dense centre read thousands of points in its first round.
SMALLEST_RING_KM = FIRST_RING_KM / 10
LARGEST_RING_KM = FIRST_RING_KM * 8
# About 11 km north to south: a city's centre, not a whole region.
AREA_DEGREES = 0.1
# A hint is a few dozen bytes; past this many areas the process starts learning afresh.
MAX_AREAS = 10_000
# Widens the estimated circle, so that an area a little sparser than last seen still
# fills a page in one round.
MARGIN = 1.25


def area_of(point: GeoPoint) -> tuple[int, int]:
    return (
        math.floor(point.latitude / AREA_DEGREES),
        math.floor(point.longitude / AREA_DEGREES),
    )


class RingHints:
    """Listings per km², by area and filters, as the latest search there found them."""

    def __init__(self) -> None:
        self._densities: dict[Hashable, float] = {}

    def first_ring_km(self, key: Hashable | None, need: int) -> float:
        """The circle expected to hold `need` listings, within bounds; FIRST_RING_KM with no
        hint (and with no key: a search that keeps no hint)."""
        density = None if key is None else self._densities.get(key)
        if density is None:
            return FIRST_RING_KM
        estimate = MARGIN * math.sqrt(need / (math.pi * density))
        return min(LARGEST_RING_KM, max(SMALLEST_RING_KM, estimate))

    def learn(self, key: Hashable | None, found: int, *, within_km: float) -> None:
        """`found` listings lay within `within_km` of a search's point."""
        if key is None or found == 0 or within_km < SMALLEST_RING_KM:
            return
        if len(self._densities) >= MAX_AREAS and key not in self._densities:
            self._densities.clear()
        self._densities[key] = found / (math.pi * within_km**2)
