"""No number of searches from chosen places locates a listing more precisely than the grid:
`nearby` and the live feed measure distances (and order, filter and make cursors) from the
rounded point that others are shown, never from the exact one."""

from __future__ import annotations

import base64
import itertools
import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indigo.settings import Settings
from models import Database, Member
from resolvers.geo import EARTH_RADIUS_KM, GeoPoint, haversine_km
from tests.api import Api
from tests.live import Served, feed_variables, post_appeal, served, subscribed
from tests.test_community_feeds import post
from tests.test_nearby import add_listings, add_members, at, destination, ids

# 411 m north and 314 m east of the grid point (48.85, 2.35) it is shown at.
EXACT = GeoPoint(48.8537, 2.3543)
SHOWN = EXACT.rounded()
# Three places about 2 km around it, as an attacker would choose them.
PROBES = [destination(EXACT, 2.0, math.radians(bearing)) for bearing in (0, 120, 240)]


def trilaterate(points: list[GeoPoint], distances: list[float]) -> GeoPoint:
    """The point at these distances from these three points (on a plane around the first:
    a few kilometres are flat enough for metres)."""
    origin = points[0]
    scale = math.radians(1) * EARTH_RADIUS_KM
    cos = math.cos(math.radians(origin.latitude))

    def plane(p: GeoPoint) -> tuple[float, float]:
        return (p.longitude - origin.longitude) * scale * cos, (
            p.latitude - origin.latitude
        ) * scale

    (x1, y1), (x2, y2), (x3, y3) = (plane(p) for p in points)
    d1, d2, d3 = distances
    a, b = 2 * (x2 - x1), 2 * (y2 - y1)
    c, d = 2 * (x3 - x1), 2 * (y3 - y1)
    e = d1**2 - d2**2 + x2**2 - x1**2 + y2**2 - y1**2
    f = d1**2 - d3**2 + x3**2 - x1**2 + y3**2 - y1**2
    determinant = a * d - b * c
    x, y = (e * d - b * f) / determinant, (a * f - e * c) / determinant
    return GeoPoint(origin.latitude + y / scale, origin.longitude + x / (scale * cos))


async def distances_found(api: Api, listing_id: int, probes: list[GeoPoint]) -> list[float]:
    found = []
    for probe in probes:
        page = (await api.data("Nearby", {"near": at(probe), "radiusKm": 10, "first": 100}))[
            "nearby"
        ]
        [edge] = [e for e, i in zip(page["edges"], ids(page), strict=True) if i == listing_id]
        found.append(edge["distanceKm"])
    return found


async def test_three_searches_locate_a_listing_no_better_than_the_grid(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    [listing] = await add_listings(database, author, [EXACT])

    guess = trilaterate(PROBES, await distances_found(api, listing, PROBES))

    # The searches point at the grid point, 0.52 km from the listing, not at the listing.
    assert haversine_km(guess, SHOWN) < 0.01
    assert haversine_km(guess, EXACT) == pytest.approx(haversine_km(SHOWN, EXACT), abs=0.01)


def cursor_distance(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor).decode().split(":")[1]


async def test_a_cursor_holds_the_distance_to_the_grid_point_alone(
    api: Api, database: Database
) -> None:
    [author] = await add_members(database, 1)
    listing, twin = await add_listings(database, author, [EXACT, SHOWN])

    page = (await api.data("Nearby", {"near": at(PROBES[0]), "radiusKm": 10}))["nearby"]

    # Ordered by the distance others may know, then by id.
    assert ids(page) == [listing, twin]
    first, second = page["edges"]
    assert first["distanceKm"] == second["distanceKm"]
    assert cursor_distance(first["cursor"]) == cursor_distance(second["cursor"])
    assert float.fromhex(cursor_distance(first["cursor"])) == haversine_km(PROBES[0], SHOWN)


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


async def test_three_feeds_locate_an_appeal_no_better_than_the_grid(server: Served) -> None:
    asker = await server.api.register()
    async with AsyncExitStack() as stack:
        feeds = [
            await stack.enter_async_context(
                subscribed(server.url, "AppealFeed", feed_variables(at(probe), 5))
            )
            for probe in PROBES
        ]
        for probe in PROBES:
            await server.listening(at(probe), 3)
        await post_appeal(server.api, asker, location=at(EXACT))
        heard = [(await feed.next())["appealCreated"]["distanceKm"] for feed in feeds]

    guess = trilaterate(PROBES, heard)

    assert haversine_km(guess, SHOWN) < 0.001
    assert haversine_km(guess, EXACT) > 0.5


async def test_three_listing_feeds_locate_an_offer_no_better_than_the_grid(
    server: Served,
) -> None:
    author = await server.api.register()
    async with AsyncExitStack() as stack:
        feeds = [
            await stack.enter_async_context(
                subscribed(server.url, "ListingFeed", {"near": at(probe), "radiusKm": 5})
            )
            for probe in PROBES
        ]
        for probe in PROBES:
            await server.listening(at(probe), 3)
        await post(server.api, author, at(EXACT))
        heard = [(await feed.next())["listingCreated"]["distanceKm"] for feed in feeds]

    guess = trilaterate(PROBES, heard)

    assert haversine_km(guess, SHOWN) < 0.001
    assert haversine_km(guess, EXACT) > 0.5


# Listings anywhere in a city, probed from three places around them, as well spread as an
# attacker would place them.
latitudes = st.floats(48.80, 48.92)
longitudes = st.floats(2.25, 2.45)
reaches = st.floats(0.3, 5.0)
turns = st.floats(0, 2 * math.pi)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    latitude=latitudes,
    longitude=longitudes,
    reach=st.tuples(reaches, reaches, reaches),
    turn=turns,
)
async def test_no_three_searches_place_a_listing_closer_than_the_grid_allows(
    api: Api,
    database: Database,
    latitude: float,
    longitude: float,
    reach: tuple[float, float, float],
    turn: float,
) -> None:
    exact = GeoPoint(latitude, longitude)
    shown = exact.rounded()
    author = await a_member(database)
    listing, twin = await add_listings(database, author, [exact, shown])
    probes = [destination(exact, km, turn + k * 2 * math.pi / 3) for k, km in enumerate(reach)]

    found = await distances_found(api, listing, probes)

    # Whatever the searches say of the listing, they say of a listing on the grid point.
    assert found == await distances_found(api, twin, probes)
    guess = trilaterate(probes, found)
    # Distances come to the metre: the guess is the grid point, give or take a few metres.
    assert haversine_km(guess, exact) >= haversine_km(shown, exact) - 0.02


async def a_member(database: Database) -> int:
    """A member with an email of their own, however many examples ran on this database."""
    member = Member(email=f"probe{next(_probes)}@example.org", password_hash="-", display_name="P")
    async with database.write() as session:
        session.add(member)
        await session.flush()
    assert member.id is not None
    return member.id


_probes = itertools.count()
