"""The nearby search: open listings within a radius, nearest first, a page at a time.

Distances are measured to the point others are shown (rounded to the grid: resolvers.geo),
and the radius, the order and the cursor with them, so that a search tells nothing finer
than the grid. So every listing of a grid cell stands as far as the cell's point, and among
them the order is by id: the index (grid_latitude, grid_longitude, id) over open listings
gives a cell's listings in the search's order. A search starts with a circle sized by the
density the last search in the area met (`resolvers.rings`), or a small one, and widens it
until it holds a page (or reaches the radius). A circle of a few cells reads at most a page
of listings from each cell within it (a dense city's cell holds hundreds), so a page of 20
reads a few dozen index entries, not thousands; a wider one reads, per row of cells
crossing its bounding box, the cells in its longitude range. Distances are exact haversine
from each cell's point, computed here in Python, so both databases order results
identically.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import chain, product
from typing import Any

import sqlalchemy
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    bindparam,
    func,
    literal_column,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from models import Listing, ListingType, Member
from resolvers import blocks
from resolvers.categories import SLUGS
from resolvers.geo import EARTH_RADIUS_KM, GRID_DIGITS, GeoPoint, haversine_km
from resolvers.pages import DEFAULT_PAGE, MAX_PAGE, Page
from resolvers.rings import area_of
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

BAND_DEGREES = 0.01
MAX_RADIUS_KM = 1000.0
MAX_TEXT = 100
CELLS_PER_DEGREE = 10**GRID_DIGITS
# Most cells a circle reads a page from each of; a wider one reads its box of cells whole.
MAX_LISTED_CELLS = 36
# Widest IN list of rows of cells; a wider box scans the range of rows instead.
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
            found = await _round(session, search, outer, hidden)
            if found.matched >= need or outer >= search.radius_km:
                break
            outer = min(search.radius_km, _wider(start, outer, found.matched, need))
        if search.after is None:
            services.rings.learn(area, found.matched, within_km=outer)
        shown = found.positions[: search.first]
        if not found.rows:
            connection = await session.connection()
            rows = await connection.execute(_PAGE, {"ids": [p.listing_id for p in shown]})
            found.rows.update(_rows_of(row) for row in rows)
    return Page(
        items=[Found(p, *found.rows[p.listing_id]) for p in shown],
        has_next=found.matched > search.first,
    )


# A page's listings and their authors are read as plain rows of their columns and made into
# `Listing` and `Member` here: the ORM's loading (its compiled context, an identity map entry
# per object) was about a fifth of the search's CPU, for objects the schema only reads.
_LISTING = sqlalchemy.inspect(Listing)
_MEMBER = sqlalchemy.inspect(Member)
_LISTING_COLUMNS = tuple(_LISTING.columns)
_MEMBER_COLUMNS = tuple(_MEMBER.columns)
_LISTING_KEYS = tuple(column.key for column in _LISTING_COLUMNS)
_MEMBER_KEYS = tuple(column.key for column in _MEMBER_COLUMNS)
_AUTHOR_AT = len(_LISTING_KEYS)
_END_OF_AUTHOR = _AUTHOR_AT + len(_MEMBER_KEYS)


def _rows_of(row: Sequence[Any]) -> tuple[int, tuple[Listing, Member]]:
    """A listing and its author from a row of `_LISTING_COLUMNS` then `_MEMBER_COLUMNS`:
    objects as the ORM would have loaded them, every column loaded, attached to nothing."""
    listing = _LISTING.class_manager.new_instance()
    listing.__dict__.update(zip(_LISTING_KEYS, row[:_AUTHOR_AT], strict=True))
    author = _MEMBER.class_manager.new_instance()
    author.__dict__.update(zip(_MEMBER_KEYS, row[_AUTHOR_AT:_END_OF_AUTHOR], strict=True))
    assert listing.id is not None
    return listing.id, (listing, author)


# Their authors in the same statement: every page shows them.
_PAGE = (
    sqlalchemy.select(*_LISTING_COLUMNS, *_MEMBER_COLUMNS)
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


Cell = tuple[int, int]  # (grid_latitude, grid_longitude)


@dataclass(frozen=True, slots=True)
class _Found:
    """What a round found within its circle."""

    # The matching listings after the cursor within it, counting at most a page and one
    # from each cell it listed: enough to tell whether there is a next page.
    matched: int
    # In order: all of them, or the first page of them when `rows` holds their listings and
    # authors (fetched with them).
    positions: list[Position]
    rows: dict[int, tuple[Listing, Member]]


async def _round(
    session: AsyncSession, search: Search, outer_km: float, hidden: frozenset[int]
) -> _Found:
    """The matching listings after the cursor within `outer_km`, in order."""
    box = bounding_box(search.near, outer_km)
    latitudes = _cells_between(box.south, box.north)
    longitudes = [_cells_between(west, east) for west, east in box.longitudes]
    if len(latitudes) * sum(map(len, longitudes)) <= MAX_LISTED_CELLS:
        after = search.after
        cells = {}
        for cell in product(latitudes, chain.from_iterable(longitudes)):
            distance_km = haversine_km(search.near, cell_point(*cell))
            if distance_km <= outer_km and (after is None or distance_km >= after.distance_km):
                cells[cell] = distance_km
        return await _page_of_cells(session, search, cells, hidden)
    return await _in_box(session, search, outer_km, latitudes, longitudes, hidden)


async def _page_of_cells(
    session: AsyncSession, search: Search, cells: dict[Cell, float], hidden: frozenset[int]
) -> _Found:
    """The first page of listings in `cells` (by their distance), with their authors, in
    one statement: cells listed by rank of distance, the order is in SQL."""
    if not cells:
        return _Found(0, [], {})
    distances = sorted(set(cells.values()))
    rank = {distance_km: i for i, distance_km in enumerate(distances)}
    after = search.after
    values = _filter_values(search, hidden)
    values.update(first=search.first, need=search.first + 1)
    for i, (cell, distance_km) in enumerate(cells.items()):
        values[f"latitude{i}"], values[f"longitude{i}"] = cell
        values[f"rank{i}"] = rank[distance_km]
        # The cursor's cell (and any as far) goes on after its listing; farther ones start
        # at their first. (Ids start at 1.)
        at_cursor = after is not None and distance_km == after.distance_km
        values[f"after{i}"] = after.listing_id if after is not None and at_cursor else 0
    statement = _cells_query(_shape(search, hidden, cells=len(cells), bands=0))
    connection = await session.connection()
    rows = (await connection.execute(statement, values)).all()
    positions = []
    found = {}
    for row in rows:
        listing_id, listed = _rows_of(row)
        positions.append(Position(distances[row[_END_OF_AUTHOR]], listing_id))
        found[listing_id] = listed
    return _Found(
        matched=rows[0][_END_OF_AUTHOR + 1] if rows else 0,
        positions=positions,
        rows=found,
    )


async def _in_box(
    session: AsyncSession,
    search: Search,
    outer_km: float,
    latitudes: range,
    longitudes: list[range],
    hidden: frozenset[int],
) -> _Found:
    """Every matching listing after the cursor in the cells of a box, within `outer_km`."""
    distances: dict[Cell, float] = {}
    positions: list[Position] = []
    values = _filter_values(search, hidden)
    listed = len(latitudes) <= MAX_LISTED_BANDS
    if listed:
        values.update(_named("band", latitudes))
    else:
        values.update(first_band=latitudes[0], last_band=latitudes[-1])
    statement = _box_query(_shape(search, hidden, cells=0, bands=len(latitudes) if listed else 0))
    # Plain Core rows: the ORM would cost more than the query for a few dozen points.
    connection = await session.connection()
    for span in filter(None, longitudes):
        values.update(west=span.start, east=span.stop - 1)
        for listing_id, *cell in (await connection.execute(statement, values)).all():
            assert listing_id is not None
            key = cell[0], cell[1]
            if key not in distances:
                distances[key] = haversine_km(search.near, cell_point(*key))
            position = Position(distances[key], listing_id)
            if position.distance_km <= outer_km and (
                search.after is None or position > search.after
            ):
                positions.append(position)
    positions.sort()
    return _Found(len(positions), positions, {})


def cell_point(grid_latitude: int, grid_longitude: int) -> GeoPoint:
    """The point others are shown for every listing of a cell: the same floats as
    `GeoPoint.rounded`, each the double nearest to its hundredths."""
    return GeoPoint(grid_latitude / CELLS_PER_DEGREE, grid_longitude / CELLS_PER_DEGREE)


def _cells_between(low: float, high: float) -> range:
    """The cells whose coordinate lies between two (`low` and `high` in degrees)."""
    return range(math.ceil(low * CELLS_PER_DEGREE), math.floor(high * CELLS_PER_DEGREE) + 1)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the SQL of a points query depends on; everything else is a bound value."""

    cells: int  # how many cells it reads a page from; 0 when it reads a box of cells
    bands: int  # how many rows of cells a box lists; 0 when it takes a range of them
    types: int
    categories: int
    text: bool
    hidden: int  # how many authors are left out (blocks)


@functools.lru_cache(maxsize=1024)
def _box_query(shape: _Shape) -> Select[int | None, int, int]:
    """Built once per shape, as every query here: building, caching and expanding a
    statement for every round of every search cost more CPU than running it."""
    latitude = col(Listing.grid_latitude)
    return select(col(Listing.id), latitude, col(Listing.grid_longitude)).where(
        *_matching(shape),
        latitude.in_(_params("band", shape.bands))
        if shape.bands
        else latitude.between(bindparam("first_band"), bindparam("last_band")),
        col(Listing.grid_longitude).between(bindparam("west"), bindparam("east")),
    )


@functools.lru_cache(maxsize=1024)
def _cells_query(shape: _Shape) -> sqlalchemy.Select[*tuple[Any, ...]]:
    # Each cell's first listings after the cursor, in the index's order: a page at most, as
    # a dense city's cell holds hundreds. Subqueries, as SQLite limits no member of a UNION.
    need = bindparam("need", type_=Integer)
    pages = [
        select(
            select(
                col(Listing.id).label("id"),
                bindparam(f"rank{i}", type_=Integer).label("rank"),
            )
            .where(
                *_matching(shape),
                col(Listing.grid_latitude) == bindparam(f"latitude{i}"),
                col(Listing.grid_longitude) == bindparam(f"longitude{i}"),
                col(Listing.id) > bindparam(f"after{i}"),
            )
            .order_by(col(Listing.id))
            .limit(need)
            .subquery(f"cell{i}")
        )
        for i in range(shape.cells)
    ]
    found = union_all(*pages).subquery("found") if len(pages) > 1 else pages[0].subquery("found")
    # The page is cut before the join, so that only its own rows are fetched.
    page = (
        select(found.c.id, found.c.rank, func.count().over().label("matched"))
        .order_by(found.c.rank, found.c.id)
        .limit(bindparam("first", type_=Integer))
        .subquery("page")
    )
    return (
        sqlalchemy.select(*_LISTING_COLUMNS, *_MEMBER_COLUMNS, page.c.rank, page.c.matched)
        .select_from(page)
        .join(Listing, col(Listing.id) == page.c.id)
        .join(Member, col(Member.id) == col(Listing.author_id))
        .order_by(page.c.rank, page.c.id)
    )


def _matching(shape: _Shape) -> list[ColumnElement[bool]]:
    return [
        # A literal, not a parameter, so that the planner may use the partial index.
        col(Listing.status) == literal_column("'OPEN'"),
        *_filters_of(shape),
    ]


def _filters_of(shape: _Shape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.types:
        conditions.append(col(Listing.type).in_(_params("type", shape.types)))
    if shape.categories:
        conditions.append(col(Listing.category).in_(_params("category", shape.categories)))
    if shape.text:
        conditions.append(col(Listing.search_text).like(bindparam("pattern"), escape="\\"))
    if shape.hidden:
        conditions.append(col(Listing.author_id).not_in(_params("hidden", shape.hidden)))
    return conditions


def _params(name: str, count: int) -> list[BindParameter[Any]]:
    return [bindparam(f"{name}{i}") for i in range(count)]


def _filter_values(search: Search, hidden: frozenset[int]) -> dict[str, Any]:
    types, categories = _filters(search)
    values = _named("type", types) | _named("category", categories)
    if text := _words(search):
        values["pattern"] = _pattern(text)
    values.update(_named("hidden", sorted(hidden)))
    return values


def _shape(search: Search, hidden: frozenset[int], *, cells: int, bands: int) -> _Shape:
    types, categories = _filters(search)
    return _Shape(cells, bands, len(types), len(categories), bool(_words(search)), len(hidden))


def _words(search: Search) -> str:
    return search.text.strip() if search.text else ""


def _named(name: str, items: Sequence[Any]) -> dict[str, Any]:
    return {f"{name}{i}": item for i, item in enumerate(items)}


def _pattern(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\")
    return "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
