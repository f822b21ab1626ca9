"""The nearby search: open listings within a radius, nearest first, a page at a time.

Listings carry `lat_band`, their latitude cut into 0.01° bands (about 1.1 km), and the
index (lat_band, longitude, latitude, id) over open listings. A search reads, per band
crossing the circle's bounding box, only the index entries in its longitude range, so it
fetches the points of a small box rather than of a city. It starts with a circle sized by
the density the last search in the area met (`resolvers.rings`), or a small one, and
widens it until it holds a page (or reaches the radius), so a page of 20 in a dense city
reads a few dozen points, not thousands. Distances are exact haversine, computed here in
Python, so both databases order results identically, and they are measured to the point
others are shown (rounded: resolvers.geo), the radius, the order and the cursor with them, so
that a search tells nothing finer than the grid. The box read is widened by how far a point
may lie from its rounded one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, literal_column
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from models import Listing, ListingType, Member
from resolvers import blocks
from resolvers.categories import SLUGS
from resolvers.geo import EARTH_RADIUS_KM, GRID_REACH_KM, GeoPoint, distance_to_shown_km
from resolvers.pages import DEFAULT_PAGE, MAX_PAGE, Page
from resolvers.rings import area_of
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

BAND_DEGREES = 0.01
MAX_RADIUS_KM = 1000.0
MAX_TEXT = 100
# Widest IN list of bands; a wider box scans the band range instead.
MAX_LISTED_BANDS = 100
# Keeps points on the very edge of a circle inside its box despite rounding.
BOX_MARGIN_DEGREES = 1e-6


def lat_band(latitude: float) -> int:
    # Division by a constant is monotonic in floating point, so a point between two
    # latitudes always falls between their bands.
    return math.floor(latitude / BAND_DEGREES)


@dataclass(frozen=True, slots=True)
class Box:
    """Every point within a distance of a centre: a latitude range and one or two
    longitude ranges (two when the circle crosses the antimeridian)."""

    south: float
    north: float
    longitudes: tuple[tuple[float, float], ...]


def bounding_box(centre: GeoPoint, radius_km: float) -> Box:
    angle = radius_km / EARTH_RADIUS_KM
    latitude = math.radians(centre.latitude)
    south, north = latitude - angle, latitude + angle
    if south <= -math.pi / 2 or north >= math.pi / 2:
        # The circle holds a pole: every longitude is within reach.
        south, north = max(south, -math.pi / 2), min(north, math.pi / 2)
        spans = [(-math.pi, math.pi)]
    else:
        # Rounding may push the ratio past 1 when the circle all but touches a pole.
        reach = math.asin(min(1.0, math.sin(angle) / math.cos(latitude)))
        west = math.radians(centre.longitude) - reach
        east = math.radians(centre.longitude) + reach
        if west < -math.pi:
            spans = [(west + 2 * math.pi, math.pi), (-math.pi, east)]
        elif east > math.pi:
            spans = [(west, math.pi), (-math.pi, east - 2 * math.pi)]
        else:
            spans = [(west, east)]
    m = BOX_MARGIN_DEGREES
    return Box(
        south=math.degrees(south) - m,
        north=math.degrees(north) + m,
        longitudes=tuple((math.degrees(w) - m, math.degrees(e) + m) for w, e in spans),
    )


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a listing stands in a search: the keyset of its cursor."""

    distance_km: float
    listing_id: int


@dataclass(frozen=True, slots=True)
class Search:
    near: GeoPoint
    radius_km: float
    types: Sequence[ListingType] | None = None
    categories: Sequence[str] | None = None
    text: str | None = None
    first: int = DEFAULT_PAGE
    after: Position | None = None
    viewer_id: int | None = None  # a signed-in viewer does not see members blocked either way


@dataclass(frozen=True, slots=True)
class Found:
    position: Position
    listing: Listing
    author: Member


def check_search(search: Search) -> None:
    checks = Checks()
    checks.point("near", search.near)
    if not (math.isfinite(search.radius_km) and 0 < search.radius_km <= MAX_RADIUS_KM):
        checks.refuse(
            "radiusKm", N_("must be above 0 and at most {max_km:g} km"), max_km=MAX_RADIUS_KM
        )
    checks.whole_number("first", search.first, minimum=1, maximum=MAX_PAGE)
    if search.text is not None:
        checks.text("text", search.text, max_length=MAX_TEXT)
    unknown = sorted(set(search.categories or ()) - SLUGS)
    if unknown:
        checks.refuse("categories", N_("unknown categories: {slugs}"), slugs=", ".join(unknown))
    if search.after is not None and not (
        math.isfinite(search.after.distance_km) and search.after.distance_km >= 0
    ):
        checks.refuse("after", N_("is not a cursor of this search"))
    checks.done()


def searchable(title: str, description: str) -> str:
    """What `text` is matched against: case folded here, so that both databases agree."""
    return f"{title}\n{description}".casefold()


async def nearby(services: Services, search: Search) -> Page[Found]:
    check_search(search)
    need = search.first + 1
    start = search.after.distance_km if search.after else 0.0
    area = _area(search)
    outer = min(search.radius_km, start + services.rings.first_ring_km(area, need))
    hidden = await blocks.hidden_from(services, search.viewer_id)
    async with services.db.lookups() as session:
        while True:
            positions = await _positions_within(session, search, outer, hidden)
            if len(positions) >= need or outer >= search.radius_km:
                break
            outer = min(search.radius_km, _wider(start, outer, len(positions), need))
        if search.after is None:
            services.rings.learn(area, len(positions), within_km=outer)
        shown = positions[: search.first]
        rows = await session.execute(_PAGE, {"ids": [p.listing_id for p in shown]})
        by_id = {listing.id: (listing, author) for listing, author in rows}
    return Page(
        items=[Found(p, *by_id[p.listing_id]) for p in shown],
        has_next=len(positions) > search.first,
    )


# Their authors in the same statement: every page shows them.
_PAGE = (
    select(Listing, Member)
    .join(Member, col(Member.id) == col(Listing.author_id))
    .where(col(Listing.id).in_(bindparam("ids", expanding=True)))
)


def _area(search: Search) -> Hashable | None:
    """What a density hint is kept under; None for a text search, whose matches are as
    sparse as its words are rare."""
    if search.text:
        return None
    return area_of(search.near), *_filters(search)


def _filters(search: Search) -> tuple[tuple[ListingType, ...], tuple[str, ...]]:
    """The types and categories asked for, each once, in one order."""
    return tuple(sorted(set(search.types or ()))), tuple(sorted(set(search.categories or ())))


def _wider(start: float, outer: float, found: int, need: int) -> float:
    """The next circle: grown as the density seen so far says a page needs, within reason."""
    # At least doubling keeps the number of rounds logarithmic in the radius.
    growth = 8.0 if found == 0 else min(8.0, max(2.0, 1.2 * math.sqrt(need / found)))
    return start + (outer - start) * growth


async def _positions_within(
    session: AsyncSession, search: Search, outer_km: float, hidden: frozenset[int]
) -> list[Position]:
    """The positions after the cursor of the matching listings within `outer_km`, in order."""
    box = bounding_box(search.near, outer_km + GRID_REACH_KM)
    positions: list[Position] = []
    # Plain Core rows: the ORM would cost more than the query for a few dozen points.
    connection = await session.connection()
    for west, east in box.longitudes:
        points = await connection.execute(*_points_in(search, box, west, east, hidden))
        for listing_id, latitude, longitude in points.all():
            assert listing_id is not None
            distance = distance_to_shown_km(search.near, GeoPoint(latitude, longitude))
            position = Position(distance, listing_id)
            if position.distance_km <= outer_km and (
                search.after is None or position > search.after
            ):
                positions.append(position)
    positions.sort()
    return positions


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the SQL of a points query depends on; everything else is a bound value."""

    bands: int  # how many latitude bands it lists; 0 when it takes a range of bands
    types: int
    categories: int
    text: bool
    hidden: int  # how many authors are left out (blocks)


@functools.lru_cache(maxsize=1024)
def _points_query(shape: _Shape) -> Select[int | None, float, float]:
    """Built once per shape: building, caching and expanding a statement for every round of
    every search cost more CPU than running it."""
    band = col(Listing.lat_band)
    conditions: list[ColumnElement[bool]] = [
        # A literal, not a parameter, so that the planner may use the partial index.
        col(Listing.status) == literal_column("'OPEN'"),
        band.in_(_params("band", shape.bands))
        if shape.bands
        else band.between(bindparam("first_band"), bindparam("last_band")),
        col(Listing.longitude).between(bindparam("west"), bindparam("east")),
        col(Listing.latitude).between(bindparam("south"), bindparam("north")),
    ]
    if shape.types:
        conditions.append(col(Listing.type).in_(_params("type", shape.types)))
    if shape.categories:
        conditions.append(col(Listing.category).in_(_params("category", shape.categories)))
    if shape.text:
        conditions.append(col(Listing.search_text).like(bindparam("pattern"), escape="\\"))
    if shape.hidden:
        conditions.append(col(Listing.author_id).not_in(_params("hidden", shape.hidden)))
    return select(col(Listing.id), col(Listing.latitude), col(Listing.longitude)).where(
        *conditions
    )


def _params(name: str, count: int) -> list[BindParameter[Any]]:
    return [bindparam(f"{name}{i}") for i in range(count)]


def _points_in(
    search: Search, box: Box, west: float, east: float, hidden: frozenset[int]
) -> tuple[Select[int | None, float, float], dict[str, Any]]:
    """The statement for the points of `box` between `west` and `east`, and its values."""
    bands = range(lat_band(box.south), lat_band(box.north) + 1)
    types, categories = _filters(search)
    text = search.text.strip() if search.text else ""
    listed = len(bands) <= MAX_LISTED_BANDS
    values: dict[str, Any] = {"west": west, "east": east, "south": box.south, "north": box.north}
    if listed:
        values.update(_named("band", bands))
    else:
        values.update(first_band=bands[0], last_band=bands[-1])
    values.update(_named("type", types))
    values.update(_named("category", categories))
    if text:
        values["pattern"] = _pattern(text)
    values.update(_named("hidden", sorted(hidden)))
    shape = _Shape(
        len(bands) if listed else 0, len(types), len(categories), bool(text), len(hidden)
    )
    return _points_query(shape), values


def _named(name: str, items: Sequence[Any]) -> dict[str, Any]:
    return {f"{name}{i}": item for i, item in enumerate(items)}


def _pattern(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\")
    return "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
