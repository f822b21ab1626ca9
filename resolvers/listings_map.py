"""The map: what a viewport holds. A few listings (at most MAX_LISTINGS) are answered as
they are; more, as clusters with a centre and a count.

Everything here is computed from the point others see, rounded to 0.01° (the listing's
`grid_latitude` and `grid_longitude`, in hundredths of a degree): which listings fall in the
box, which cluster each joins and where its centre lies. No viewport, however chosen, says
more of a listing than its rounded point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, or_
from sqlmodel import col, select

from models import Listing, ListingType
from resolvers import blocks
from resolvers.categories import SLUGS
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

MAX_LISTINGS = 200
MAX_ZOOM = 20
# A cluster is an eighth of a map tile wide (a tile spans 360 / 2**zoom degrees), in
# hundredths of a degree...
TILE_EIGHTH_AT_ZOOM_0 = 36_000 // 8
# ... and a box holds at most this many cells a side, whatever zoom is asked with it.
MAX_CELLS_A_SIDE = 64
GRID = 100  # grid units per degree
# Up to this many grid points in view (about 5° a side), the database counts listings per
# rounded point, reading its index in order, and the points are gathered into cells here:
# several times faster than grouping by cell, which sorts every listing in view. Wider
# boxes are grouped by cell in the database, so no number of points comes back.
MAX_POINTS_GATHERED = 250_000


@dataclass(frozen=True, slots=True)
class Box:
    """A viewport; `west` > `east` when it crosses the antimeridian."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True, slots=True)
class Cluster:
    latitude: float
    longitude: float
    count: int


@dataclass(frozen=True, slots=True)
class MapView:
    listings: list[Listing]
    clusters: list[Cluster]


def check_view(box: Box, zoom: int, categories: Sequence[str] | None) -> None:
    checks = Checks()
    for field, value, limit in (
        ("box.south", box.south, 90),
        ("box.north", box.north, 90),
        ("box.west", box.west, 180),
        ("box.east", box.east, 180),
    ):
        if not (math.isfinite(value) and -limit <= value <= limit):
            checks.refuse(field, N_("must be between -{limit} and {limit}"), limit=limit)
    if not checks.problems and box.south > box.north:
        checks.refuse("box.north", N_("must not be south of box.south"))
    checks.whole_number("zoom", zoom, minimum=0, maximum=MAX_ZOOM)
    unknown = sorted(set(categories or ()) - SLUGS)
    if unknown:
        checks.refuse("categories", N_("unknown categories: {slugs}"), slugs=", ".join(unknown))
    checks.done()


def _grid_range(low: float, high: float) -> tuple[int, int]:
    """The grid units whose rounded point lies between `low` and `high` degrees."""
    # Rounded first, so that 48.8 (4880.000000000001 units) is not pushed to 4881.
    return math.ceil(round(low * GRID, 6)), math.floor(round(high * GRID, 6))


def _longitude_ranges(box: Box) -> list[tuple[int, int]]:
    if box.west <= box.east:
        return [_grid_range(box.west, box.east)]
    return [_grid_range(box.west, 180), _grid_range(-180, box.east)]


def _extent(box: Box) -> tuple[int, int]:
    """How many grid points the box spans: north to south, and west to east."""
    south, north = _grid_range(box.south, box.north)
    width = sum(east - west + 1 for west, east in _longitude_ranges(box))
    return max(0, north - south + 1), max(0, width)


def _cell(box: Box, zoom: int) -> int:
    """The side of a cluster's cell, in grid units."""
    widest = max(_extent(box))
    return max(1, TILE_EIGHTH_AT_ZOOM_0 >> zoom, math.ceil(widest / MAX_CELLS_A_SIDE))


def _in_view(
    box: Box,
    types: Sequence[ListingType] | None,
    categories: Sequence[str] | None,
    hidden: frozenset[int],
) -> list[ColumnElement[bool]]:
    south, north = _grid_range(box.south, box.north)
    grid_longitude = col(Listing.grid_longitude)
    conditions = [
        # A literal, not a parameter, so that the planner may use the partial index.
        col(Listing.status) == literal_column("'OPEN'"),
        col(Listing.grid_latitude).between(south, north),
        or_(*(grid_longitude.between(w, e) for w, e in _longitude_ranges(box))),
    ]
    if types:
        conditions.append(col(Listing.type).in_(sorted(set(types))))
    if categories:
        conditions.append(col(Listing.category).in_(sorted(set(categories))))
    if hidden:
        conditions.append(col(Listing.author_id).not_in(sorted(hidden)))
    return conditions


async def listings_on_map(
    services: Services,
    box: Box,
    zoom: int,
    *,
    types: Sequence[ListingType] | None = None,
    categories: Sequence[str] | None = None,
    viewer_id: int | None = None,
) -> MapView:
    """A signed-in viewer sees neither the listings nor the clusters of members blocked either
    way."""
    check_view(box, zoom, categories)
    hidden = await blocks.hidden_from(services, viewer_id)
    conditions = _in_view(box, types, categories, hidden)
    async with services.db.lookups() as session:
        ids = (
            await session.scalars(
                select(col(Listing.id)).where(*conditions).limit(MAX_LISTINGS + 1)
            )
        ).all()
        if len(ids) <= MAX_LISTINGS:
            rows = await session.scalars(
                select(Listing).where(col(Listing.id).in_(ids)).order_by(col(Listing.id))
            )
            return MapView(listings=list(rows.all()), clusters=[])
        cell = _cell(box, zoom)
        grid_latitude, grid_longitude = col(Listing.grid_latitude), col(Listing.grid_longitude)
        # Shifted to be positive, so that both databases divide whole numbers alike.
        row, column = (grid_latitude + 90 * GRID) // cell, (grid_longitude + 180 * GRID) // cell
        height, width = _extent(box)
        if height * width <= MAX_POINTS_GATHERED:
            points = await session.execute(
                select(func.count(), grid_latitude, grid_longitude)
                .where(*conditions)
                .group_by(grid_latitude, grid_longitude)
            )
            return MapView(
                listings=[],
                clusters=_gathered([(n, lat, lon) for n, lat, lon in points.all()], cell),
            )
        groups = await session.execute(
            select(func.count(), func.sum(grid_latitude), func.sum(grid_longitude))
            .where(*conditions)
            .group_by(row, column)
        )
        return MapView(
            listings=[], clusters=_ordered([(n, lat, lon) for n, lat, lon in groups.all()])
        )


def _gathered(points: Sequence[tuple[int, int, int]], cell: int) -> list[Cluster]:
    """The cells of `cell` grid units a side that hold these (count, latitude, longitude)."""
    cells: dict[tuple[int, int], list[int]] = {}
    for count, latitude, longitude in points:
        key = ((latitude + 90 * GRID) // cell, (longitude + 180 * GRID) // cell)
        sums = cells.setdefault(key, [0, 0, 0])
        sums[0] += count
        sums[1] += count * latitude
        sums[2] += count * longitude
    return _ordered([(count, lat, lon) for count, lat, lon in cells.values()])


def _ordered(cells: Sequence[tuple[int, Any, Any]]) -> list[Cluster]:
    """Clusters from (count, sum of latitudes, sum of longitudes), largest first."""
    clusters = [_cluster(count, latitudes, longitudes) for count, latitudes, longitudes in cells]
    return sorted(clusters, key=lambda c: (-c.count, c.latitude, c.longitude))


def _cluster(count: int, latitudes: Any, longitudes: Any) -> Cluster:
    """Centred on the mean of its rounded points. PostgreSQL sums as exact decimals."""
    return Cluster(
        latitude=round(int(latitudes) / count / GRID, 4),
        longitude=round(int(longitudes) / count / GRID, 4),
        count=count,
    )
