"""The community's live feeds over real WebSockets: messages, notifications and every new
listing, live and replayed with `after`, with no gap and no duplicate; across a Redis
restart and across two processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from indigo.settings import Settings
from models import Database, ListingKind, ListingType
from models.columns import utcnow
from resolvers.geo import GeoPoint
from resolvers.listings import ListingDraft, new_listing
from schema.ids import decode_id, encode_id
from tests.api import Api, SignedIn
from tests.community import sent
from tests.economy import post_listing
from tests.live import (
    LYON,
    NEAR_PARIS,
    PARIS,
    Served,
    member_channel_of,
    served,
    subscribed,
)
from tests.polling import until
from tests.processes import uvicorn_process
from tests.redis_server import RedisServer
from tests.test_two_processes import subscribers_in_redis


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings.model_copy(update={"mutations_per_minute": 1000})) as running:
        yield running


def listing_feed(near: dict[str, float] = PARIS, **changes: Any) -> dict[str, Any]:
    return {"near": near, "radiusKm": 10, **changes}


async def post(
    api: Api, member: SignedIn, location: dict[str, float], type_: str = "OFFER"
) -> str:
    listing = {
        "type": type_,
        "kind": "GOOD",
        "category": "furniture",
        "title": "A sofa",
        "description": "",
        "digos": 3,
        "location": location,
    }
    payload = (await api.data("CreateListing", {"input": listing}, token=member.token))[
        "createListing"
    ]
    assert payload["userErrors"] == []
    listing_id: str = payload["listing"]["id"]
    return listing_id


def bodies(events: list[dict[str, Any]]) -> list[str]:
    return [event["messageAdded"]["message"]["body"] for event in events]


async def test_a_question_reaches_the_author_live_and_as_a_notification(server: Served) -> None:
    alice = await server.api.register(display_name="Alice")
    bob = await server.api.register(display_name="Bob")
    listing = await post_listing(server.api, alice, "OFFER", 5)
    async with (
        subscribed(server.url, "MessageFeed", token=alice.token) as messages,
        subscribed(server.url, "NotificationFeed", token=alice.token) as notifications,
    ):
        await server.listening_to(member_channel_of(alice), 2)
        question = await sent(server.api, bob, "Still there?", listingId=listing)
        heard = (await messages.next())["messageAdded"]
        told = (await notifications.next())["notificationAdded"]

    assert heard["message"]["id"] == question["id"]
    assert (heard["message"]["mine"], heard["message"]["author"]["id"]) == (False, bob.id)
    assert heard["message"]["conversation"] == {
        "id": question["conversation"]["id"],
        "unreadCount": 1,
    }
    assert (told["notification"]["kind"], told["notification"]["text"]) == (
        "MESSAGE_RECEIVED",
        "Bob sent you a message",
    )


async def test_the_message_feed_replays_what_was_missed_then_goes_live(server: Served) -> None:
    alice, bob = await server.api.register(), await server.api.register()
    listing = await post_listing(server.api, alice, "OFFER", 5)
    async with subscribed(server.url, "MessageFeed", token=alice.token) as feed:
        await server.listening_to(member_channel_of(alice))
        await sent(server.api, bob, "one", listingId=listing)
        cursor = (await feed.next())["messageAdded"]["cursor"]
    for body in ("two", "three"):
        await sent(server.api, bob, body, listingId=listing)

    async with subscribed(
        server.url, "MessageFeed", {"after": cursor}, token=alice.token
    ) as resumed:
        replayed = [await resumed.next(), await resumed.next()]
        conversation = replayed[0]["messageAdded"]["message"]["conversation"]["id"]
        reply = await sent(server.api, alice, "four", conversationId=conversation)
        live = await resumed.next()

    assert bodies(replayed) == ["two", "three"]
    assert bodies([live]) == ["four"]
    assert live["messageAdded"]["message"]["id"] == reply["id"]
    assert live["messageAdded"]["message"]["mine"] is True


async def test_the_notification_feed_replays_after_a_cursor(server: Served) -> None:
    alice, bob = await server.api.register(), await server.api.register()
    listing = await post_listing(server.api, alice, "OFFER", 5)
    await sent(server.api, bob, "one", listingId=listing)
    async with subscribed(server.url, "NotificationFeed", token=alice.token) as feed:
        await server.listening_to(member_channel_of(alice))
        await sent(server.api, bob, "two", listingId=listing)
        first = (await feed.next())["notificationAdded"]
    await sent(server.api, bob, "three", listingId=listing)
    await sent(server.api, bob, "four", listingId=listing)

    async with subscribed(
        server.url, "NotificationFeed", {"after": first["cursor"]}, token=alice.token
    ) as resumed:
        replayed = [(await resumed.next())["notificationAdded"] for _ in range(2)]

    ids = [first["notification"]["id"], *(r["notification"]["id"] for r in replayed)]
    assert len(set(ids)) == 3
    assert [r["notification"]["kind"] for r in replayed] == ["MESSAGE_RECEIVED"] * 2


async def test_a_stranger_subscribing_to_messages_is_refused(server: Served) -> None:
    async with subscribed(server.url, "MessageFeed") as anonymous:
        message = await anonymous.message()

    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["UNAUTHENTICATED"]


async def test_the_listing_feed_brings_offers_and_needs_in_its_circle(server: Served) -> None:
    poster = await server.api.register()
    async with (
        subscribed(server.url, "ListingFeed", listing_feed()) as everything,
        subscribed(server.url, "ListingFeed", listing_feed(types=["NEED"])) as needs,
    ):
        await server.listening(PARIS, 2)
        offer = await post(server.api, poster, NEAR_PARIS)
        await post(server.api, poster, LYON)
        need = await post(server.api, poster, PARIS, "NEED")
        heard = [(await everything.next())["listingCreated"] for _ in range(2)]
        heard_needs = [(await needs.next())["listingCreated"]]

    assert [h["listing"]["id"] for h in heard] == [offer, need]
    assert [h["listing"]["id"] for h in heard_needs] == [need]
    # From the rounded point others see, not from the exact one 1.0 km away.
    assert heard[0]["listing"]["location"] == {"latitude": 48.86, "longitude": 2.37}
    assert heard[0]["distanceKm"] == pytest.approx(1.354, abs=0.001)

    async with subscribed(
        server.url, "ListingFeed", listing_feed(after=heard[0]["cursor"])
    ) as resumed:
        replayed = (await resumed.next())["listingCreated"]
    assert replayed["listing"]["id"] == need
    assert replayed["cursor"] == heard[1]["cursor"]


async def test_a_listing_feed_wider_than_100_km_is_refused(server: Served) -> None:
    async with subscribed(server.url, "ListingFeed", listing_feed(radiusKm=101)) as feed:
        message = await feed.message()

    # Strawberry answers an error raised as the feed starts as the payload of a `next`.
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("BAD_USER_INPUT", "radiusKm")
    ]


@pytest.fixture
async def redis_server_app(
    database_url: str, database: Database, redis: RedisServer
) -> AsyncIterator[Served]:
    settings = Settings(database_url=database_url, broadcast_url=redis.url, _env_file=None)
    async with served(settings) as running:
        yield running


async def test_messages_sent_while_redis_was_down_are_pushed_once_it_is_back(
    redis_server_app: Served, redis: RedisServer
) -> None:
    server = redis_server_app
    alice, bob = await server.api.register(), await server.api.register()
    listing = await post_listing(server.api, alice, "OFFER", 5)
    async with subscribed(server.url, "MessageFeed", token=alice.token) as feed:
        await server.listening_to(member_channel_of(alice))
        await sent(server.api, bob, "before", listingId=listing)
        assert bodies([await feed.next()]) == ["before"]
        await redis.stop()
        await until(lambda: not server.hub.healthy)
        await sent(server.api, bob, "while down", listingId=listing)
        await sent(server.api, bob, "still down", listingId=listing)
        await redis.start()
        await until(lambda: server.hub.healthy)
        await sent(server.api, bob, "after", listingId=listing)
        heard = [await feed.next() for _ in range(3)]

    assert bodies(heard) == ["while down", "still down", "after"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_message_through_one_process_reaches_the_other_party_on_the_other(
    database_url: str, database: Database, redis: RedisServer
) -> None:
    async with (
        uvicorn_process(database_url, redis.url) as first,
        uvicorn_process(database_url, redis.url) as second,
        httpx.AsyncClient(base_url=first.url) as http,
    ):
        api = Api(http)
        alice, bob = await api.register(), await api.register()
        listing = await post_listing(api, alice, "OFFER", 5)
        async with subscribed(second.url, "MessageFeed", token=alice.token) as feed:
            await subscribers_in_redis(redis, database_url, member_channel_of(alice), 1)
            await sent(api, bob, "across", listingId=listing)
            heard = await feed.next()
            cursor = heard["messageAdded"]["cursor"]
        await sent(api, bob, "missed", listingId=listing)
        async with subscribed(
            first.url, "MessageFeed", {"after": cursor}, token=alice.token
        ) as again:
            replayed = await again.next()

    assert bodies([heard, replayed]) == ["across", "missed"]


async def test_a_listing_whose_process_stopped_before_its_feed_place_still_comes(
    server: Served, database: Database
) -> None:
    poster = await server.api.register()
    async with subscribed(server.url, "ListingFeed", listing_feed()) as feed:
        await server.listening(PARIS)
        placed = await post(server.api, poster, PARIS)
        first = (await feed.next())["listingCreated"]
        draft = ListingDraft(
            ListingType.OFFER, ListingKind.GOOD, "tools", "A drill", "", 2, GeoPoint(**PARIS)
        )
        async with database.write() as session:  # committed, then its process stopped
            orphan = new_listing(decode_id("Member", poster.id), draft, ttl_days=60)
            orphan.created_at = utcnow() - timedelta(minutes=1)
            session.add(orphan)
        heard = (await feed.next())["listingCreated"]

    assert first["listing"]["id"] == placed
    assert heard["listing"]["id"] == encode_id("Listing", orphan.id)
    assert heard["listing"]["title"] == "A drill"
