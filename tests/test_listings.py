"""Offers, needs and appeals: posting, the appeal rules, closing, reading, the categories."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette

from models import Database, Listing
from realtime.channels import cell_channel
from schema.ids import decode_id, encode_id
from tests.api import Api, SignedIn, error_codes

PARIS = {"latitude": 48.85661, "longitude": 2.35222}
LISTING_FIELDS = "id type kind category title description digos status createdAt"


def listing_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "OFFER",
        "kind": "SERVICE",
        "category": "languages",
        "title": "  Spanish conversation  ",
        "description": "An hour of conversation in Spanish, any level.",
        "digos": 5,
        "location": PARIS,
    }
    return {"input": values | overrides}


async def create(api: Api, member: SignedIn, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.data("CreateListing", listing_input(**overrides), token=member.token)
    )["createListing"]
    return payload


async def listing_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Listing)) or 0


async def test_a_member_posts_an_offer_and_anyone_reads_it(api: Api) -> None:
    alice = await api.register(display_name="Alice")

    created = await create(api, alice)
    read = (await api.data("Listing", {"id": created["listing"]["id"]}))["listing"]

    assert created["userErrors"] == []
    listing = created["listing"]
    assert {k: v for k, v in listing.items() if k not in ("id", "createdAt")} == {
        "type": "OFFER",
        "kind": "SERVICE",
        "category": "languages",
        "title": "Spanish conversation",
        "description": "An hour of conversation in Spanish, any level.",
        "digos": 5,
        "status": "OPEN",
        "location": PARIS,
        "author": {"id": alice.id, "displayName": "Alice"},
    }
    assert read == listing | {"location": {"latitude": 48.86, "longitude": 2.35}}


async def test_posting_needs_a_signed_in_member(api: Api, database: Database) -> None:
    result = await api.client_op("CreateListing", listing_input())

    assert result["data"] == {"createListing": None}
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await listing_count(database) == 0


async def test_bad_listings_are_refused_and_create_nothing(api: Api, database: Database) -> None:
    alice = await api.register()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"category": "weapons"}, "category"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "x" * 4001}, "description"),
        ({"digos": -1}, "digos"),
        ({"digos": 101}, "digos"),
        ({"location": {"latitude": 95, "longitude": 2}}, "location.latitude"),
        ({"location": {"latitude": 48, "longitude": 180.5}}, "location.longitude"),
    ]
    for overrides, field in cases:
        payload = await create(api, alice, **overrides)
        assert payload["listing"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("VALIDATION", field)
        ], overrides
    assert await listing_count(database) == 0


async def test_every_problem_of_a_listing_is_reported_at_once(api: Api) -> None:
    alice = await api.register()

    payload = await create(api, alice, category="nope", title="", digos=1000)

    assert [e["field"] for e in payload["userErrors"]] == ["category", "title", "digos"]


async def test_gifts_and_the_highest_price_are_allowed(api: Api) -> None:
    alice = await api.register()

    prices = [(await create(api, alice, digos=d))["listing"]["digos"] for d in (0, 100)]

    assert prices == [0, 100]


async def test_appeal_refused_when_member_has_enough_digos(api: Api, database: Database) -> None:
    alice = await api.register()

    refused = await create(api, alice, type="APPEAL", digos=20)

    assert refused["listing"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("NOT_SHORT_OF_DIGOS", "digos")
    ]
    assert await listing_count(database) == 0
    posted = await create(api, alice, type="APPEAL", digos=21)
    assert posted["userErrors"] == []
    assert posted["listing"]["type"] == "APPEAL"


async def test_at_most_three_open_appeals_per_member(api: Api, database: Database) -> None:
    alice = await api.register()
    appeals = [await create(api, alice, type="APPEAL", digos=30) for _ in range(3)]

    fourth = await create(api, alice, type="APPEAL", digos=30)
    need = await create(api, alice, type="NEED", digos=10)

    assert [a["userErrors"] for a in appeals] == [[], [], []]
    assert [e["code"] for e in fourth["userErrors"]] == ["TOO_MANY_APPEALS"]
    assert need["userErrors"] == []
    assert await listing_count(database) == 4
    first_id = appeals[0]["listing"]["id"]
    await api.data("CloseListing", {"input": {"listingId": first_id}}, token=alice.token)
    assert (await create(api, alice, type="APPEAL", digos=30))["userErrors"] == []


async def test_concurrent_appeals_never_exceed_the_cap(api: Api, database: Database) -> None:
    alice = await api.register()

    payloads = await asyncio.gather(
        *(create(api, alice, type="APPEAL", digos=30) for _ in range(10))
    )

    codes = sorted(e["code"] for p in payloads for e in p["userErrors"])
    assert codes == ["TOO_MANY_APPEALS"] * 7
    assert await listing_count(database) == 3


async def test_an_appeal_is_published_to_its_cell_after_commit(
    api: Api, app: Starlette, database: Database
) -> None:
    alice = await api.register()
    hub = app.state.services.hub
    channel = cell_channel(PARIS["latitude"], PARIS["longitude"])

    async def visible(appeal_id: object) -> bool:
        async with database.read() as session:
            return await session.get(Listing, appeal_id) is not None

    async with hub.listen([channel], on_overflow=lambda: None) as feed:
        need = await create(api, alice, type="NEED", digos=3)
        refused = await create(api, alice, type="APPEAL", digos=5)  # not short of digos
        posting = asyncio.create_task(create(api, alice, type="APPEAL", digos=30))
        async with asyncio.timeout(5):
            # The need and the appeal are both heard on the feed of new listings, in order.
            in_every_listing_feed = await anext(feed)
            notice = await anext(feed)
        # Read while the mutation may still be answering: the row must already be committed.
        seen_when_notified = await visible(notice.body.get("id"))
        posted = await posting

    assert refused["userErrors"][0]["code"] == "NOT_SHORT_OF_DIGOS"
    assert posted["userErrors"] == []
    assert in_every_listing_feed.body == {
        "listing": 1,
        "id": decode_id("Listing", need["listing"]["id"]),
    }
    assert notice.body == {"listing": 2, "id": decode_id("Listing", posted["listing"]["id"])}
    assert seen_when_notified


async def test_only_its_author_closes_a_listing(api: Api) -> None:
    alice = await api.register()
    bob = await api.register()
    listing_id = (await create(api, alice))["listing"]["id"]
    close = {"input": {"listingId": listing_id}}

    by_bob = (await api.data("CloseListing", close, token=bob.token))["closeListing"]
    after_bob = (await api.data("Listing", {"id": listing_id}))["listing"]["status"]
    by_alice = (await api.data("CloseListing", close, token=alice.token))["closeListing"]
    again = (await api.data("CloseListing", close, token=alice.token))["closeListing"]
    anonymous = await api.client_op("CloseListing", close)

    assert by_bob == {
        "listing": None,
        "userErrors": [
            {
                "code": "FORBIDDEN",
                "field": "listingId",
                "message": "only its author may close a listing",
            }
        ],
    }
    assert after_bob == "OPEN"
    assert by_alice == {"listing": {"id": listing_id, "status": "CLOSED"}, "userErrors": []}
    assert [e["code"] for e in again["userErrors"]] == ["LISTING_CLOSED"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_closing_refuses_unknown_and_malformed_ids(api: Api) -> None:
    alice = await api.register()
    await create(api, alice)
    unknown = encode_id("Listing", 999)

    for bad, code in [("nope", "VALIDATION"), (alice.id, "VALIDATION"), (unknown, "NOT_FOUND")]:
        payload = (
            await api.data("CloseListing", {"input": {"listingId": bad}}, token=alice.token)
        )["closeListing"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, "listingId")], (
            bad
        )


async def test_listing_lookup_refuses_unknown_and_malformed_ids(api: Api) -> None:
    alice = await api.register()
    await create(api, alice)
    unknown = encode_id("Listing", 999)

    for bad in ["not-an-id", alice.id, unknown]:
        result = await api.client_op("Listing", {"id": bad})
        assert result["data"] == {"listing": None}
        assert error_codes(result) == ["BAD_USER_INPUT"], bad


async def categories(api: Api, accept_language: str | None) -> list[dict[str, str]]:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = await api.http.post(
        "/graphql", json={"query": "{ categories { slug label } }"}, headers=headers
    )
    found: list[dict[str, str]] = response.json()["data"]["categories"]
    return found


async def test_categories_are_labelled_in_english_unless_french_is_preferred(api: Api) -> None:
    english = await categories(api, None)
    french = await categories(api, "fr-FR,fr;q=0.9,en;q=0.8")
    prefers_english = await categories(api, "fr;q=0.5, en-GB")
    unknown = await categories(api, "de-DE")

    assert len(english) == 20
    assert [c["slug"] for c in english] == [c["slug"] for c in french]
    assert english[:3] == [
        {"slug": "lessons", "label": "Lessons and tutoring"},
        {"slug": "languages", "label": "Languages"},
        {"slug": "legal-help", "label": "Legal and paperwork help"},
    ]
    assert french[2] == {"slug": "legal-help", "label": "Aide juridique et administrative"}
    assert french[-1] == {"slug": "other", "label": "Autre"}
    assert prefers_english == english
    assert unknown == english
    assert (await api.data("Categories"))["categories"] == english
