"""A member's own listings: the list in any status, editing, renewing, expiry, and the
rule that a listing leaving the searches cancels what was only requested on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update as sql_update
from sqlmodel import col
from starlette.applications import Starlette

from indigo.settings import Settings
from models import Database, Listing
from models.columns import utcnow
from resolvers.listing_expiry import expire_due_listings, remind_expiring_listings
from resolvers.services import Services
from schema.ids import decode_id
from tests.api import Api, SignedIn, error_codes
from tests.community import notifications_of
from tests.economy import PARIS, books, exchange_of, post_listing, wallet, wallet_of
from tests.polling import until
from tests.variants import api_with

TTL = timedelta(days=60)
NEARBY = (
    "query($near: GeoPointInput!) { nearby(near: $near, radiusKm: 5) { edges { node { id } } } }"
)


def services_of(app: Starlette) -> Services:
    services: Services = app.state.services
    return services


async def update(api: Api, member: SignedIn, listing: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.data(
            "UpdateListing", {"input": {"listingId": listing, **changes}}, token=member.token
        )
    )["updateListing"]
    return payload


async def renew(api: Api, member: SignedIn, listing: str, **more: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.data(
            "RenewListing", {"input": {"listingId": listing, **more}}, token=member.token
        )
    )["renewListing"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    assert payload["listing"] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def my_listings(api: Api, member: SignedIn, **variables: Any) -> list[dict[str, Any]]:
    data = await api.data("MyListings", variables, token=member.token)
    return [edge["node"] for edge in data["myListings"]["edges"]]


async def test_my_listings_holds_every_status_newest_first(api: Api) -> None:
    alice = await api.register()
    bob = await api.register()
    first = await post_listing(api, alice, "OFFER", 5)
    second = await post_listing(api, alice, "NEED", 3)
    await post_listing(api, bob, "OFFER", 1)
    await api.data("CloseListing", {"input": {"listingId": first}}, token=alice.token)

    mine = await my_listings(api, alice)
    open_only = await my_listings(api, alice, status=["OPEN"])
    page = await api.data("MyListings", {"first": 1}, token=alice.token)
    rest = await my_listings(api, alice, after=page["myListings"]["pageInfo"]["endCursor"])

    assert [(n["id"], n["status"]) for n in mine] == [(second, "OPEN"), (first, "CLOSED")]
    assert mine[1]["location"] == PARIS
    assert [n["id"] for n in open_only] == [second]
    assert page["myListings"]["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in rest] == [first]


async def test_a_listing_lives_the_configured_period(api: Api) -> None:
    alice = await api.register()
    before = utcnow()
    await post_listing(api, alice, "OFFER", 5)

    (listing,) = await my_listings(api, alice)

    expires = listing["expiresAt"]
    assert before + TTL <= _parse(expires) <= utcnow() + TTL


async def test_the_author_edits_only_the_fields_given(api: Api) -> None:
    alice = await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    lyon = {"latitude": 45.76404, "longitude": 4.83566}

    payload = await update(
        api, alice, listing, title="  Guitar lesson ", digos=8, category="languages", location=lyon
    )
    nearby_lyon = await api.post(NEARBY, {"near": lyon})

    assert payload["userErrors"] == []
    edited = payload["listing"]
    assert (edited["title"], edited["digos"], edited["category"]) == (
        "Guitar lesson",
        8,
        "languages",
    )
    assert edited["description"] == ""
    assert edited["location"] == lyon
    assert nearby_lyon["data"]["nearby"]["edges"] == [{"node": {"id": listing}}]


async def test_bad_edits_are_refused_and_change_nothing(api: Api) -> None:
    alice = await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    (before,) = await my_listings(api, alice)

    refused = await update(api, alice, listing, title=" ", digos=101, category="weapons")

    assert codes(refused) == [
        ("VALIDATION", "category"),
        ("VALIDATION", "title"),
        ("VALIDATION", "digos"),
    ]
    assert await my_listings(api, alice) == [before]


async def test_the_price_is_fixed_while_an_exchange_is_pending(
    api: Api, database: Database
) -> None:
    alice, bob = await api.register(), await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)
    snapshot = await books(database)

    refused = await update(api, alice, listing, digos=9)
    unchanged = await books(database)
    title_only = await update(api, alice, listing, title="Still fine", digos=5)
    await exchange_of(api, "AcceptExchange", alice, exchangeId=exchange["id"])
    refused_accepted = await update(api, alice, listing, digos=9)
    await exchange_of(api, "CompleteExchange", bob, exchangeId=exchange["id"])
    after_completion = await update(api, alice, listing, digos=9)

    assert codes(refused) == [("INVALID_STATE", "digos")]
    assert title_only["listing"]["title"] == "Still fine"
    assert title_only["listing"]["digos"] == 5
    assert codes(refused_accepted) == [("INVALID_STATE", "digos")]
    assert after_completion["listing"]["digos"] == 9
    assert unchanged == snapshot


async def test_someone_elses_listing_is_not_found_to_edit_or_renew(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    (before,) = await my_listings(api, alice)

    edited = await update(api, bob, listing, title="Mine now")
    renewed = await renew(api, bob, listing)
    anonymous = await api.client_op("RenewListing", {"input": {"listingId": listing}})

    assert codes(edited) == [("NOT_FOUND", "listingId")]
    assert codes(renewed) == [("NOT_FOUND", "listingId")]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await my_listings(api, alice) == [before]


async def test_expiry_cancels_requested_exchanges_and_leaves_the_search(
    api: Api, app: Starlette, database: Database
) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    requested = await exchange_of(api, "RequestExchange", bob, listingId=listing)
    accepted = await exchange_of(api, "RequestExchange", carol, listingId=listing)
    await exchange_of(api, "AcceptExchange", alice, exchangeId=accepted["id"])
    services = services_of(app)

    early = await expire_due_listings(services, utcnow() + TTL - timedelta(minutes=1))
    expired = await expire_due_listings(services, utcnow() + TTL + timedelta(minutes=1))
    again = await expire_due_listings(services, utcnow() + TTL + timedelta(minutes=2))

    assert early == []
    assert expired == [decode_id("Listing", listing)]
    assert again == []
    (mine,) = await my_listings(api, alice)
    assert mine["status"] == "EXPIRED"
    states = await api.data("MyExchanges", token=alice.token)
    assert {e["node"]["id"]: e["node"]["status"] for e in states["myExchanges"]["edges"]} == {
        requested["id"]: "CANCELLED",
        accepted["id"]: "ACCEPTED",
    }
    assert await wallet(api, bob) == wallet_of(20)
    assert await wallet(api, carol) == wallet_of(20, held=5)
    found = await api.post(NEARBY, {"near": PARIS})
    assert found["data"]["nearby"]["edges"] == []


async def test_closing_cancels_requested_exchanges_and_releases_holds(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    listing = await post_listing(api, alice, "OFFER", 7)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)

    await api.data("CloseListing", {"input": {"listingId": listing}}, token=alice.token)

    assert await wallet(api, bob) == wallet_of(20)
    mine = await api.data("MyExchanges", token=bob.token)
    assert [(e["node"]["id"], e["node"]["status"]) for e in mine["myExchanges"]["edges"]] == [
        (exchange["id"], "CANCELLED")
    ]


async def test_renewing_gives_an_expired_listing_another_period(api: Api, app: Starlette) -> None:
    alice = await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    await expire_due_listings(services_of(app), utcnow() + TTL + timedelta(minutes=1))
    start = utcnow()

    renewed = await renew(api, alice, listing)

    assert renewed["userErrors"] == []
    assert renewed["listing"]["status"] == "OPEN"
    assert start + TTL <= _parse(renewed["listing"]["expiresAt"]) <= utcnow() + TTL
    await api.data("CloseListing", {"input": {"listingId": listing}}, token=alice.token)
    assert codes(await renew(api, alice, listing)) == [("INVALID_STATE", "listingId")]


async def test_an_expired_appeal_comes_back_only_within_the_appeal_rules(
    api: Api, app: Starlette
) -> None:
    alice = await api.register()
    appeal = await post_listing(api, alice, "APPEAL", 30)
    await expire_due_listings(services_of(app), utcnow() + TTL + timedelta(minutes=1))
    for _ in range(3):
        await post_listing(api, alice, "APPEAL", 30)

    refused = await renew(api, alice, appeal)

    assert codes(refused) == [("TOO_MANY_APPEALS", None)]


async def test_authors_are_reminded_once_three_days_before(api: Api, app: Starlette) -> None:
    alice = await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    services = services_of(app)

    too_early = await remind_expiring_listings(services, utcnow() + TTL - timedelta(days=4))
    reminded = await remind_expiring_listings(services, utcnow() + TTL - timedelta(days=2))
    again = await remind_expiring_listings(services, utcnow() + TTL - timedelta(days=1))
    await renew(api, alice, listing)
    after_renewal = await remind_expiring_listings(services, utcnow() + TTL - timedelta(days=2))

    assert too_early == []
    assert reminded == [decode_id("Listing", listing)]
    assert again == []
    assert after_renewal == [decode_id("Listing", listing)]
    told = await notifications_of(api, alice)
    assert [(n["kind"], n["listing"]["id"]) for n in told] == [
        ("LISTING_EXPIRING", listing),
        ("LISTING_EXPIRING", listing),
    ]
    assert told[0]["text"] == (
        "Your listing “offer for 5” expires in three days: renew it to keep it"
    )


async def test_both_parties_are_told_when_expiry_cancels_their_exchange(
    api: Api, app: Starlette
) -> None:
    alice, bob = await api.register(), await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)

    await expire_due_listings(services_of(app), utcnow() + TTL + timedelta(minutes=1))

    for member in (alice, bob):
        cancelled = [
            n for n in await notifications_of(api, member) if n["kind"] == "EXCHANGE_CANCELLED"
        ]
        assert [n["exchange"] for n in cancelled] == [
            {"id": exchange["id"], "status": "CANCELLED"}
        ]


async def test_the_scheduler_expires_listings_whose_time_has_come(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, scheduler_tick_seconds=0.05) as api:
        alice = await api.register()
        listing = await post_listing(api, alice, "OFFER", 5)
        kept = await post_listing(api, alice, "NEED", 5)
        async with database.write() as session:
            await session.execute(
                sql_update(Listing)
                .where(col(Listing.id) == decode_id("Listing", listing))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

        async def expired() -> bool:
            return [n["status"] for n in await my_listings(api, alice)] == ["OPEN", "EXPIRED"]

        await until(expired)
        told = await notifications_of(api, alice)
    assert [(n["kind"], n["listing"]["id"]) for n in told] == [("LISTING_EXPIRING", listing)]
    assert kept != listing


async def test_a_repeated_key_posts_one_listing(api: Api, database: Database) -> None:
    alice = await api.register()
    variables = {
        "input": {
            "type": "APPEAL",
            "kind": "SERVICE",
            "category": "lessons",
            "title": "Help",
            "description": "",
            "digos": 30,
            "location": PARIS,
            "idempotencyKey": "post-1",
        }
    }

    first = (await api.data("CreateListing", variables, token=alice.token))["createListing"]
    second = (await api.data("CreateListing", variables, token=alice.token))["createListing"]
    variables["input"]["title"] = "Other help"
    other = (await api.data("CreateListing", variables, token=alice.token))["createListing"]

    assert first["listing"]["id"] == second["listing"]["id"]
    assert [n["id"] for n in await my_listings(api, alice)] == [first["listing"]["id"]]
    assert [(e["code"], e["field"]) for e in other["userErrors"]] == [
        ("VALIDATION", "idempotencyKey")
    ]


async def test_a_repeated_key_edits_once(api: Api) -> None:
    alice = await api.register()
    listing = await post_listing(api, alice, "OFFER", 5)

    first = await update(api, alice, listing, title="A", idempotencyKey="edit-1")
    await update(api, alice, listing, title="B")
    replay = await update(api, alice, listing, title="A", idempotencyKey="edit-1")
    renewed = await renew(api, alice, listing, idempotencyKey="edit-1")

    assert first["listing"]["title"] == "A"
    assert replay["userErrors"] == []
    assert replay["listing"]["title"] == "B"  # the first result is not applied again
    assert codes(renewed) == [("VALIDATION", "idempotencyKey")]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
