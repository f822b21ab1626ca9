"""The nearby search: radius, order, paging, filters, privacy, the poles and the antimeridian."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, update
from sqlmodel import col, select
from starlette.applications import Starlette

from indigo.app import SCHEDULED_JOBS
from models import Database, Listing, ListingKind, ListingStatus, ListingType, Member
from resolvers import nearby
from resolvers.geo import EARTH_RADIUS_KM, GeoPoint, grid_of, haversine_km
from resolvers.listings import ListingDraft, new_listing
from resolvers.nearby import bounding_box, cell_point
from schema.ids import decode_id, encode_id
from tests.api import Api, error_codes

PARIS = GeoPoint(48.85661, 2.35222)
# A point of the grid that others see points rounded to: its own rounded point.
GRID = GeoPoint(48.9, 2.35)


def north_of(point: GeoPoint, km: float) -> GeoPoint:
    return GeoPoint(point.latitude + math.degrees(km / EARTH_RADIUS_KM), point.longitude)


def at(point: GeoPoint) -> dict[str, float]:
    return {"latitude": point.latitude, "longitude": point.longitude}


async def add_members(database: Database, count: int) -> list[int]:
    members = [
        Member(email=f"m{i}@example.org", password_hash="-", display_name=f"Member {i}")
        for i in range(count)
    ]
    async with database.write() as session:
        session.add_all(members)
        await session.flush()
    return [m.id for m in members if m.id is not None]


async def add_listings(
    database: Database,
    author_id: int,
    points: list[GeoPoint],
    *,
    type: ListingType = ListingType.OFFER,
    category: str = "repairs",
    title: str = "Bike repair",
    description: str = "I fix bikes.",
) -> list[int]:
    rows = [
        new_listing(
            author_id,
            ListingDraft(type, ListingKind.SERVICE, category, title, description, 3, point),
            ttl_days=60,
        )
        for point in points
    ]
    async with database.write() as session:
        session.add_all(rows)
        await session.flush()
    return [r.id for r in rows if r.id is not None]


async def search(api: Api, near: GeoPoint, radius_km: float, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = (
        await api.data("Nearby", {"near": at(near), "radiusKm": radius_km} | more)
    )["nearby"]
    return found


def ids(page: dict[str, Any]) -> list[int]:
    return [decode_id("Listing", e["node"]["id"]) for e in page["edges"]]


async def test_a_search_holds_what_is_within_its_radius_edge_included(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    # Two points of the grid, 4.99 and 6.102 km north of where the search stands.
    inside, outside = await add_listings(database, author, [GRID, north_of(GRID, 1.11195)])
    here = north_of(GRID, -4.99)

    page = await search(api, here, 5)

    assert ids(page) == [inside]
    assert page["edges"][0]["distanceKm"] == 4.99
    assert page["pageInfo"] == {"hasNextPage": False, "endCursor": page["edges"][0]["cursor"]}
    assert ids(await search(api, here, 6.11)) == [inside, outside]


async def test_results_come_nearest_first_with_their_distance(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    east = GeoPoint(PARIS.latitude, PARIS.longitude + 0.02)  # 1.465 km
    west = GeoPoint(PARIS.latitude, PARIS.longitude - 0.03)
    far, near_, middle, same = await add_listings(
        database, author, [north_of(PARIS, 3), north_of(PARIS, 0.5), east, PARIS]
    )
    [farther_west] = await add_listings(database, author, [west])

    page = await search(api, PARIS, 10)

    # Measured to the rounded points: `near_` and `same` share one, and come in id order.
    assert ids(page) == [near_, same, middle, farther_west, far]
    assert [e["distanceKm"] for e in page["edges"]] == [0.41, 0.41, 1.354, 2.387, 2.606]
    assert page["edges"][0]["node"] == {
        "id": encode_id("Listing", near_),
        "type": "OFFER",
        "kind": "SERVICE",
        "category": "repairs",
        "title": "Bike repair",
        "digos": 3,
        "author": {"id": encode_id("Member", author), "displayName": "Member 0"},
    }


async def test_paging_through_250_results_repeats_and_skips_nothing(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    scatter = random.Random(3)
    points = [
        GeoPoint(
            PARIS.latitude + scatter.uniform(-0.02, 0.02),
            PARIS.longitude + scatter.uniform(-0.03, 0.03),
        )
        for _ in range(250)
    ]
    listing_ids = await add_listings(database, author, points)
    expected = [
        i
        for _, i in sorted(
            (haversine_km(PARIS, p.rounded()), i) for p, i in zip(points, listing_ids, strict=True)
        )
    ]

    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = await search(api, PARIS, 10, first=20, after=after)
        seen += ids(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == 13
    assert seen == expected


async def test_listings_added_between_pages_neither_repeat_nor_hide_the_rest(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    first_ids = await add_listings(database, author, [north_of(GRID, km) for km in (1, 2, 3, 4)])
    page1 = await search(api, GRID, 10, first=2)

    [nearer] = await add_listings(database, author, [north_of(GRID, 0.5)])
    [between] = await add_listings(database, author, [north_of(GRID, 3.5)])
    page2 = await search(api, GRID, 10, first=10, after=page1["pageInfo"]["endCursor"])

    assert ids(page1) == first_ids[:2]
    assert ids(page2) == [first_ids[2], between, first_ids[3]]
    assert nearer not in ids(page2)
    assert page2["pageInfo"]["hasNextPage"] is False


async def test_filters_by_type_category_and_text(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    offer = await add_listings(database, author, [north_of(PARIS, 1)], title="Cours d'ESPAÑOL")
    need = await add_listings(
        database,
        author,
        [north_of(PARIS, 2)],
        type=ListingType.NEED,
        category="childcare",
        title="Babysitter",
        description="Two evenings, 100% reliable",
    )
    appeal = await add_listings(
        database,
        author,
        [north_of(PARIS, 3)],
        type=ListingType.APPEAL,
        category="childcare",
        title="Help with kids",
        description="Español spoken",
    )

    assert ids(await search(api, PARIS, 5, types=["NEED", "APPEAL"])) == need + appeal
    assert ids(await search(api, PARIS, 5, categories=["childcare"])) == need + appeal
    assert ids(await search(api, PARIS, 5, categories=["repairs", "books"])) == offer
    assert ids(await search(api, PARIS, 5, text="español")) == offer + appeal
    assert ids(await search(api, PARIS, 5, text="  BABY ")) == need
    assert ids(await search(api, PARIS, 5, text="100%")) == need
    assert ids(await search(api, PARIS, 5, text="0%r")) == []
    assert ids(await search(api, PARIS, 5, text="kids", types=["NEED"])) == []
    assert ids(await search(api, PARIS, 5, text="", categories=[])) == offer + need + appeal


async def test_closed_listings_are_not_found(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    kept, closed = await add_listings(database, author, [north_of(PARIS, 1), north_of(PARIS, 2)])
    async with database.write() as session:
        await session.execute(
            update(Listing).where(col(Listing.id) == closed).values(status=ListingStatus.CLOSED)
        )

    assert ids(await search(api, PARIS, 5)) == [kept]


async def test_others_see_a_rounded_location_the_author_the_exact_one(api: Api) -> None:
    alice = await api.register()
    bob = await api.register()
    spot = {"latitude": 48.85661, "longitude": 2.35222}
    await api.data(
        "CreateListing",
        {
            "input": {
                "type": "OFFER",
                "kind": "GOOD",
                "category": "books",
                "title": "Novels",
                "description": "",
                "digos": 0,
                "location": spot,
            }
        },
        token=alice.token,
    )
    query = """query($near: GeoPointInput!) { nearby(near: $near, radiusKm: 1) {
        edges { distanceKm node { location { latitude longitude } } } } }"""
    near = {"latitude": 48.86, "longitude": 2.35}

    seen = {
        who: (await api.post(query, {"near": near}, token=token))["data"]["nearby"]["edges"][0]
        for who, token in [("alice", alice.token), ("bob", bob.token), ("nobody", None)]
    }

    # The distance is to the rounded point, for the author too: it is what a search is ordered by.
    assert seen["alice"] == {"distanceKm": 0.0, "node": {"location": spot}}
    rounded = {"distanceKm": 0.0, "node": {"location": near}}
    assert seen["bob"] == seen["nobody"] == rounded


async def test_a_search_at_the_pole_reaches_every_longitude(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    pole = GeoPoint(90, 0)
    around = await add_listings(
        database, author, [GeoPoint(89.5, lon) for lon in (-179.9, -90, 0, 90, 180)]
    )
    await add_listings(database, author, [GeoPoint(88.9, 0)])

    page = await search(api, pole, 100)

    assert sorted(ids(page)) == around
    assert {e["distanceKm"] for e in page["edges"]} == {55.598}
    south = await search(api, GeoPoint(-89.99, 45), 5)
    assert south["edges"] == []


async def test_a_search_reaches_across_the_antimeridian(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    fiji = GeoPoint(-16.5, 179.99)
    across, same_side, too_far = await add_listings(
        database,
        author,
        [GeoPoint(-16.5, -179.98), GeoPoint(-16.5, 179.95), GeoPoint(-16.5, -179.9)],
    )

    from_east = await search(api, fiji, 10)
    from_west = await search(api, GeoPoint(-16.5, -179.99), 10)

    assert ids(from_east) == [across, same_side]
    assert [e["distanceKm"] for e in from_east["edges"]] == [3.198, 4.265]
    assert ids(from_west) == [across, same_side, too_far]
    assert too_far not in ids(from_east)


async def test_a_wide_search_reaches_the_next_city(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    lyon, marseille = await add_listings(
        database, author, [GeoPoint(45.764, 4.8357), GeoPoint(43.2965, 5.3698)]
    )

    page = await search(api, PARIS, 500)

    assert ids(page) == [lyon]
    assert page["edges"][0]["distanceKm"] == 392.049
    assert ids(await search(api, PARIS, 1000)) == [lyon, marseille]


async def test_bad_searches_are_refused_with_a_clear_error(api: Api, database: Database) -> None:
    [author] = await add_members(database, 1)
    await add_listings(database, author, [PARIS])
    cursor = (await search(api, PARIS, 5))["pageInfo"]["endCursor"]
    forged = encode_id("Member", 1)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"near": {"latitude": 95, "longitude": 2}}, "near.latitude: must be between -90 and 90"),
        (
            {"near": {"latitude": 48, "longitude": -181}},
            "near.longitude: must be between -180 and 180",
        ),
        ({"radiusKm": 0}, "radiusKm: must be above 0 and at most 1000 km"),
        ({"radiusKm": 20000}, "radiusKm: must be above 0 and at most 1000 km"),
        ({"first": 0}, "first: must be a whole number from 1 to 100"),
        ({"after": "forged"}, "after: is not a cursor of this search"),
        ({"after": forged}, "after: is not a cursor of this search"),
        ({"after": cursor[:-3]}, "after: is not a cursor of this search"),
        ({"categories": ["weapons"]}, "categories: unknown categories: weapons"),
        ({"text": "x" * 101}, "text: must be at most 100 characters"),
    ]
    for overrides, message in cases:
        variables = {"near": at(PARIS), "radiusKm": 5} | overrides
        result = await api.client_op("Nearby", variables)
        assert result["data"] is None, overrides
        assert error_codes(result) == ["BAD_USER_INPUT"], overrides
        assert [e["message"] for e in result["errors"]] == [message]
    too_many = await api.client_op("Nearby", {"near": at(PARIS), "radiusKm": 5, "first": 1000})
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert too_many["errors"][0]["message"] == "first: must be a whole number from 1 to 100"


@contextmanager
def counted_selects(app: Starlette) -> Iterator[list[str]]:
    """The SELECTs the app runs meanwhile, but for its scheduled jobs' own."""
    statements: list[str] = []
    engine = app.state.services.db.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() == SCHEDULED_JOBS:
            return
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_page_of_100_costs_a_few_statements_whoever_wrote_them(
    api: Api, app: Starlette, database: Database
) -> None:
    authors = await add_members(database, 100)
    for i, author in enumerate(authors):
        await add_listings(database, author, [north_of(PARIS, 0.03 + i / 100_000)])
    await add_listings(database, authors[0], [north_of(PARIS, 0.05 + i / 100) for i in range(50)])

    with counted_selects(app) as few:
        ten = await search(api, PARIS.rounded(), 10, first=10)
    with counted_selects(app) as statements:
        page = await search(api, PARIS.rounded(), 10, first=100)

    assert len(page["edges"]) == 100
    assert len({e["node"]["author"]["id"] for e in page["edges"]}) == 100
    assert len(ten["edges"]) == 10
    # The page of the first circle, its listings and their authors with it.
    assert len(few) == len(statements) == 1


async def test_a_search_where_another_filled_a_page_starts_wide_enough_for_one(
    api: Api, app: Starlette, database: Database
) -> None:
    (author,) = await add_members(database, 1)
    # Five listings shown on a grid point, ten on the next one east (0.731 km away): from
    # the grid point, circles of 0.1, 0.2 and 0.4 km hold only the first five.
    east = GeoPoint(GRID.latitude, GRID.longitude + 0.01)
    await add_listings(database, author, [north_of(GRID, 0.05 * i) for i in range(5)])
    await add_listings(database, author, [north_of(east, 0.05 * i) for i in range(10)])
    here = GRID

    with counted_selects(app) as first_time:
        first = await search(api, here, 5, first=10)
    with counted_selects(app) as again:
        second = await search(api, here, 5, first=10)
    with counted_selects(app) as words:
        worded = await search(api, here, 5, first=10, text="bike")

    assert ids(first) == ids(second) == ids(worded)
    assert [e["distanceKm"] for e in first["edges"]] == [0.0] * 5 + [0.731] * 5
    # Rounds of widening circles, each with its page; next time one circle and its page.
    assert len(first_time) > 2
    assert len(again) == 1
    # A text search keeps no hint: its matches are as sparse as its words.
    assert len(words) == len(first_time)


async def test_a_vanishing_radius_finds_the_point_itself_and_misleads_no_later_search(
    api: Api, database: Database
) -> None:
    (author,) = await add_members(database, 1)
    (here,) = await add_listings(database, author, [GRID])
    await add_listings(database, author, [north_of(GRID, 0.6 + 0.05 * i) for i in range(40)])

    # Terminating is what is checked here, with a bound far above any search's time.
    async with asyncio.timeout(60):
        tiny = [await search(api, GRID, 1e-160, first=10) for _ in range(2)]
        wide = await search(api, GRID, 5, first=10)

    assert [ids(page) for page in tiny] == [[here], [here]]
    assert ids(wide)[0] == here
    assert len(wide["edges"]) == 10


def destination(start: GeoPoint, km: float, bearing: float) -> GeoPoint:
    """The point `km` from `start` along a great circle leaving at `bearing` (radians)."""
    angle = km / EARTH_RADIUS_KM
    lat = math.radians(start.latitude)
    end_lat = math.asin(
        math.sin(lat) * math.cos(angle) + math.cos(lat) * math.sin(angle) * math.cos(bearing)
    )
    end_lon = math.radians(start.longitude) + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat),
        math.cos(angle) - math.sin(lat) * math.sin(end_lat),
    )
    longitude = (math.degrees(end_lon) + 540) % 360 - 180
    return GeoPoint(math.degrees(end_lat), longitude)


@settings(max_examples=2000, deadline=None)
@given(
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    radius_km=st.floats(0.001, 1000),
    fraction=st.floats(0, 1),
    bearing=st.floats(0, 2 * math.pi),
)
def test_the_search_box_holds_every_point_of_the_circle(
    latitude: float, longitude: float, radius_km: float, fraction: float, bearing: float
) -> None:
    centre = GeoPoint(latitude, longitude)
    point = destination(centre, radius_km * fraction, bearing)
    box = bounding_box(centre, radius_km)

    assert haversine_km(centre, point) <= radius_km + 1e-6
    assert box.south <= point.latitude <= box.north
    assert any(west <= point.longitude <= east for west, east in box.longitudes)


# Points near grid points of the dense case, so that many share a cell (and a distance).
near_grid = st.tuples(st.integers(-6, 6), st.integers(-8, 8), st.floats(-0.004, 0.004))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    points=st.lists(near_grid, min_size=1, max_size=40),
    centre=st.tuples(st.floats(-0.03, 0.03), st.floats(-0.04, 0.04)),
    radius_km=st.floats(0.05, 6.0),
    first=st.integers(1, 7),
)
async def test_every_page_in_turn_is_the_whole_answer_nearest_first(
    app: Starlette,
    database: Database,
    points: list[tuple[int, int, float]],
    centre: tuple[float, float],
    radius_km: float,
    first: int,
) -> None:
    author = await a_member(database)
    await add_listings(
        database,
        author,
        [
            GeoPoint(GRID.latitude + a / 100 + j, GRID.longitude + o / 100 - j)
            for a, o, j in points
        ],
    )
    here = GeoPoint(GRID.latitude + centre[0], GRID.longitude + centre[1])
    async with database.read() as session:
        every = (
            await session.execute(select(col(Listing.id), Listing.latitude, Listing.longitude))
        ).all()
    # Small circles list their cells, wide ones (over 6 km across) read boxes of cells.
    expected = sorted(
        (haversine_km(here, GeoPoint(latitude, longitude).rounded()), listing_id)
        for listing_id, latitude, longitude in every
        if haversine_km(here, GeoPoint(latitude, longitude).rounded()) <= radius_km
    )

    found: list[tuple[float, int]] = []
    after = None
    # As many pages as listings at most: a cursor that does not move is a failure, not a hang.
    for _ in range(len(every) + 1):
        page = await nearby.nearby(
            app.state.services,
            nearby.Search(near=here, radius_km=radius_km, first=first, after=after),
        )
        found += [(f.position.distance_km, f.position.listing_id) for f in page.items]
        if not page.has_next:
            break
        assert len(page.items) == first
        after = page.items[-1].position

    assert not page.has_next
    assert found == expected


_authors = itertools.count()


async def a_member(database: Database) -> int:
    """A member with an email of their own, however many examples ran on this database."""
    member = Member(
        email=f"pager{next(_authors)}@example.org", password_hash="-", display_name="P"
    )
    async with database.write() as session:
        session.add(member)
        await session.flush()
    assert member.id is not None
    return member.id


def test_a_cell_is_shown_at_the_very_point_a_listing_of_it_is_rounded_to() -> None:
    for degrees in (48.9, 48.905, -0.004, 0.0049, 2.345, 179.996, -179.999, -90.0, 90.0):
        for other in (degrees, -degrees):
            assert cell_point(grid_of(other), grid_of(other)) == GeoPoint(other, other).rounded()
