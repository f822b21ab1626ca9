"""The map: listings when a viewport holds few, clusters when it holds many, at several
zooms, across the antimeridian, and always from the rounded points."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from models import Database, Listing, ListingKind, ListingStatus, ListingType, Member
from resolvers.geo import GeoPoint
from resolvers.listings import ListingDraft, new_listing
from tests.api import Api, error_codes

FRANCE = {"south": 41.0, "west": -5.0, "north": 51.5, "east": 9.6}
WORLD = {"south": -90.0, "west": -180.0, "north": 90.0, "east": 180.0}
AUTHORS = itertools.count()
PARIS_BOX = {"south": 48.8, "west": 2.25, "north": 48.9, "east": 2.45}


async def add(
    database: Database,
    points: list[GeoPoint],
    *,
    type: ListingType = ListingType.OFFER,
    category: str = "repairs",
) -> list[int]:
    author = Member(
        email=f"author{next(AUTHORS)}@example.org", password_hash="-", display_name="A"
    )
    async with database.write() as session:
        session.add(author)
        await session.flush()
    assert author.id is not None
    rows = [
        new_listing(
            author.id,
            ListingDraft(type, ListingKind.SERVICE, category, "A listing", "", 3, p),
            ttl_days=60,
        )
        for p in points
    ]
    async with database.write() as session:
        session.add_all(rows)
        await session.flush()
    return [r.id for r in rows if r.id is not None]


def around(latitude: float, longitude: float, count: int) -> list[GeoPoint]:
    """`count` points that all round to (latitude, longitude)."""
    return [
        GeoPoint(latitude + (i % 7 - 3) * 0.001, longitude + (i % 5 - 2) * 0.001)
        for i in range(count)
    ]


async def view(api: Api, box: dict[str, float], zoom: int, **more: Any) -> dict[str, Any]:
    result = await api.client_op("ListingsOnMap", {"box": box, "zoom": zoom, **more})
    assert "errors" not in result, result["errors"]
    found: dict[str, Any] = result["data"]["listingsOnMap"]
    return found


def clusters(found: dict[str, Any]) -> list[tuple[float, float, int]]:
    assert found["listings"] == []
    return [
        (c["center"]["latitude"], c["center"]["longitude"], c["count"]) for c in found["clusters"]
    ]


async def test_a_few_listings_are_shown_as_they_are(api: Api, database: Database) -> None:
    [paris] = await add(database, [GeoPoint(48.85661, 2.35222)])
    await add(database, [GeoPoint(45.76404, 4.83566)])
    [need] = await add(database, [GeoPoint(48.87, 2.3)], type=ListingType.NEED, category="books")

    found = await view(api, PARIS_BOX, 12)
    needs = await view(api, PARIS_BOX, 12, types=["NEED"])
    books = await view(api, PARIS_BOX, 12, categories=["books"])

    assert found["clusters"] == []
    assert [(x["type"], x["location"]) for x in found["listings"]] == [
        ("OFFER", {"latitude": 48.86, "longitude": 2.35}),
        ("NEED", {"latitude": 48.87, "longitude": 2.3}),
    ]
    assert [x["type"] for x in needs["listings"]] == ["NEED"]
    assert [x["category"] for x in books["listings"]] == ["books"]
    assert paris != need


async def test_many_listings_are_clustered_by_zoom(api: Api, database: Database) -> None:
    await add(database, around(48.8612, 2.3498, 150))
    await add(database, around(45.7608, 4.8402, 100))

    country = await view(api, FRANCE, 5)
    # Narrow enough for its rounded points to be gathered into cells outside the database.
    region = await view(api, {"south": 45.0, "west": 2.0, "north": 49.0, "east": 5.0}, 5)
    world = await view(api, WORLD, 0)
    city = await view(api, PARIS_BOX, 14)

    assert clusters(country) == [(48.86, 2.35, 150), (45.76, 4.84, 100)]
    assert region == country
    # One cell holds both: its centre is the mean of the rounded points.
    assert clusters(world) == [(47.62, 3.346, 250)]
    assert len(city["listings"]) == 150
    assert city["clusters"] == []


async def test_a_viewport_at_the_highest_zoom_is_bounded(api: Api, database: Database) -> None:
    await add(database, around(48.8612, 2.3498, 120) + around(-33.8688, 151.2093, 120))

    found = await view(api, WORLD, 20)

    assert sorted(clusters(found)) == [(-33.87, 151.21, 120), (48.86, 2.35, 120)]


async def test_a_viewport_across_the_antimeridian(api: Api, database: Database) -> None:
    east = await add(database, [GeoPoint(-16.5, 179.996)])
    west = await add(database, [GeoPoint(-16.5, -179.994)])
    await add(database, [GeoPoint(-16.5, 178.0)])

    across = await view(api, {"south": -17, "west": 179.5, "north": -16, "east": -179.5}, 9)
    not_across = await view(api, {"south": -17, "west": -179.5, "north": -16, "east": 179.5}, 9)

    assert sorted(x["location"]["longitude"] for x in across["listings"]) == [-179.99, 180.0]
    assert [x["location"]["longitude"] for x in not_across["listings"]] == [178.0]
    assert east != west


async def test_the_box_is_applied_to_rounded_points(api: Api, database: Database) -> None:
    await add(database, [GeoPoint(48.8549, 2.35)])  # shown at 48.85
    await add(database, [GeoPoint(48.8451, 2.35)])  # shown at 48.85 too

    exact_inside_only = await view(
        api, {"south": 48.851, "west": 2.3, "north": 48.86, "east": 2.4}, 16
    )
    rounded_inside_only = await view(
        api, {"south": 48.846, "west": 2.3, "north": 48.85, "east": 2.4}, 16
    )

    assert exact_inside_only["listings"] == []
    assert [x["location"] for x in rounded_inside_only["listings"]] == [
        {"latitude": 48.85, "longitude": 2.35}
    ] * 2


async def test_only_open_listings_are_on_the_map(api: Api, database: Database) -> None:
    ids = await add(database, around(48.8612, 2.3498, 4))
    async with database.write() as session:
        for listing_id, status in zip(ids, ListingStatus, strict=True):
            await session.execute(
                update(Listing).where(col(Listing.id) == listing_id).values(status=status)
            )

    found = await view(api, PARIS_BOX, 12)

    assert len(found["listings"]) == 1


async def test_bad_viewports_are_refused(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"box": PARIS_BOX, "zoom": 21}, "zoom"),
        ({"box": PARIS_BOX, "zoom": -1}, "zoom"),
        ({"box": PARIS_BOX | {"south": 49.0}, "zoom": 3}, "box.north"),
        ({"box": PARIS_BOX | {"north": 91.0}, "zoom": 3}, "box.north"),
        ({"box": PARIS_BOX | {"west": -181.0}, "zoom": 3}, "box.west"),
        ({"box": PARIS_BOX, "zoom": 3, "categories": ["weapons"]}, "categories"),
    ]
    for variables, field in cases:
        result = await api.client_op("ListingsOnMap", variables)
        assert error_codes(result) == ["BAD_USER_INPUT"], variables
        assert result["errors"][0]["extensions"]["field"] == field
