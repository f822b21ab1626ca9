"""Blocks: a blocked pair cannot deal with each other, and neither sees the other's listings
in searches or feeds; everyone else sees both as before."""

from __future__ import annotations

from typing import Any

from indigo.settings import Settings
from models import Database, Message
from schema.ids import encode_id
from schema.subscriptions import LISTING_CURSOR
from tests.api import Api, SignedIn
from tests.community import count, notifications_of, refused, sent
from tests.community import send as send_message
from tests.economy import books, exchange_of, members, move, post_listing, refusal
from tests.live import PARIS, feed_variables, post_appeal, served, subscribed
from tests.trust import codes, payload, send

SEARCH = (
    "query($near: GeoPointInput!) { nearby(near: $near, radiusKm: 5) { edges { node { id } } } }"
)


PARIS_BOX = {"south": 48.8, "west": 2.25, "north": 48.9, "east": 2.45}


async def seen_on_map(api: Api, member: SignedIn | None) -> list[str]:
    token = member.token if member else None
    found = await send(api, "ListingsOnMap", {"box": PARIS_BOX, "zoom": 12}, token=token)
    view = found["data"]["listingsOnMap"]
    assert view["clusters"] == []
    return sorted(listing["id"] for listing in view["listings"])


async def seen_nearby(api: Api, member: SignedIn | None) -> list[str]:
    result = await api.post(SEARCH, {"near": PARIS}, token=member.token if member else None)
    return [edge["node"]["id"] for edge in result["data"]["nearby"]["edges"]]


async def block(api: Api, blocker: SignedIn, blocked: SignedIn) -> dict[str, Any]:
    found = await payload(api, "BlockMember", blocker, memberId=blocked.id)
    assert found["userErrors"] == [], found["userErrors"]
    return found


async def test_a_blocked_pair_cannot_start_an_exchange_either_way(
    api: Api, database: Database
) -> None:
    alice, bob = await members(api, 2)
    alices_offer = await post_listing(api, alice, "OFFER", 5)
    bobs_offer = await post_listing(api, bob, "OFFER", 5)
    await block(api, alice, bob)
    before = await books(database)

    bob_asks = await move(api, "RequestExchange", bob, listingId=alices_offer)
    alice_asks = await move(api, "RequestExchange", alice, listingId=bobs_offer)

    assert refusal(bob_asks) == [("BLOCKED", "listingId")]
    assert refusal(alice_asks) == [("BLOCKED", "listingId")]
    assert await books(database) == before


async def test_a_request_made_before_the_block_cannot_be_accepted(
    api: Api, database: Database
) -> None:
    alice, bob = await members(api, 2)
    need = await post_listing(api, alice, "NEED", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=need)
    await block(api, bob, alice)
    before = await books(database)

    accepted = await move(api, "AcceptExchange", alice, exchangeId=exchange["id"])
    declined = await move(api, "DeclineExchange", alice, exchangeId=exchange["id"])

    assert refusal(accepted) == [("BLOCKED", "exchangeId")]
    assert declined["exchange"]["status"] == "DECLINED"
    assert (await books(database)).accounts == before.accounts


async def test_neither_sees_the_other_in_the_search_and_others_see_both(
    api: Api, database: Database
) -> None:
    alice, bob, carol = await members(api, 3)
    alices = await post_listing(api, alice, "OFFER", 5)
    bobs = await post_listing(api, bob, "OFFER", 5)
    await block(api, alice, bob)

    assert await seen_nearby(api, alice) == [alices]
    assert await seen_nearby(api, bob) == [bobs]
    assert sorted(await seen_nearby(api, carol)) == sorted([alices, bobs])
    assert sorted(await seen_nearby(api, None)) == sorted([alices, bobs])

    await payload(api, "UnblockMember", alice, memberId=bob.id)
    assert sorted(await seen_nearby(api, bob)) == sorted([alices, bobs])


async def test_neither_sees_the_other_on_the_map_and_others_see_both(api: Api) -> None:
    alice, bob, carol = await members(api, 3)
    alices = await post_listing(api, alice, "OFFER", 5)
    bobs = await post_listing(api, bob, "OFFER", 5)
    carols = await post_listing(api, carol, "OFFER", 5)
    await block(api, alice, bob)

    assert await seen_on_map(api, alice) == sorted([alices, carols])
    assert await seen_on_map(api, bob) == sorted([bobs, carols])
    assert await seen_on_map(api, carol) == sorted([alices, bobs, carols])
    assert await seen_on_map(api, None) == sorted([alices, bobs, carols])

    await payload(api, "UnblockMember", alice, memberId=bob.id)
    assert await seen_on_map(api, bob) == sorted([alices, bobs, carols])


async def test_my_blocks_lists_whom_i_blocked_and_blocking_twice_changes_nothing(
    api: Api, database: Database
) -> None:
    alice, bob, carol = await members(api, 3)
    await block(api, alice, bob)
    await block(api, alice, bob)
    await block(api, alice, carol)

    mine = (await send(api, "MyBlocks", token=alice.token))["data"]["myBlocks"]
    bobs = (await send(api, "MyBlocks", token=bob.token))["data"]["myBlocks"]
    yourself = await payload(api, "BlockMember", alice, memberId=alice.id)
    unknown = await payload(api, "BlockMember", alice, memberId="TWVtYmVyOjk5OTk=")
    unblocked = await payload(api, "UnblockMember", alice, memberId=carol.id)
    after = (await send(api, "MyBlocks", token=alice.token))["data"]["myBlocks"]

    assert [m["id"] for m in mine] == [carol.id, bob.id]
    assert bobs == []
    assert codes(yourself) == [("VALIDATION", "memberId")]
    assert codes(unknown) == [("NOT_FOUND", "memberId")]
    assert unblocked["member"]["id"] == carol.id
    assert [m["id"] for m in after] == [bob.id]


async def test_the_live_appeal_feed_leaves_out_a_blocked_member(
    settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        asker, blocked_helper, helper = await members(server.api, 3)
        await block(server.api, blocked_helper, asker)
        async with (
            subscribed(
                server.url, "AppealFeed", feed_variables(PARIS), token=blocked_helper.token
            ) as blocked_feed,
            subscribed(
                server.url, "AppealFeed", feed_variables(PARIS), token=helper.token
            ) as feed,
        ):
            await server.listening(PARIS, count=2)
            hidden = await post_appeal(server.api, asker, location=PARIS)
            shown = await post_appeal(server.api, helper, location=PARIS)
            first_for_blocked = await blocked_feed.next()
            first_for_helper = await feed.next()

        # Replayed from a cursor, the blocked member's feed still leaves the appeal out.
        async with subscribed(
            server.url,
            "AppealFeed",
            feed_variables(PARIS, after=encode_id(LISTING_CURSOR, 0)),
            token=blocked_helper.token,
        ) as replay:
            replayed = await replay.next()

    assert first_for_blocked["appealCreated"]["appeal"]["id"] == shown
    assert first_for_helper["appealCreated"]["appeal"]["id"] == hidden
    assert replayed["appealCreated"]["appeal"]["id"] == shown


async def test_a_blocked_pair_cannot_message_each_other(api: Api, database: Database) -> None:
    alice, bob = await members(api, 2)
    alices_offer = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=alices_offer)
    question = await sent(api, bob, "Still available?", listingId=alices_offer)
    conversation = question["conversation"]["id"]
    await block(api, alice, bob)

    outcomes = [
        await send_message(api, bob, "Hello?", listingId=alices_offer),
        await send_message(api, alice, "Hello?", conversationId=conversation),
        await send_message(api, bob, "Hello?", exchangeId=exchange["id"]),
    ]

    assert [refused(o) for o in outcomes] == [
        [("BLOCKED", "listingId")],
        [("BLOCKED", "conversationId")],
        [("BLOCKED", "exchangeId")],
    ]
    assert await count(database, Message) == 1


async def test_the_live_listing_feed_and_alerts_leave_out_a_blocked_member(
    settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        author, blocked_watcher, watcher = await members(server.api, 3)
        for member in (blocked_watcher, watcher):
            created = await server.api.data(
                "CreateAlert", {"input": {"near": PARIS, "radiusKm": 5}}, token=member.token
            )
            assert created["createAlert"]["userErrors"] == []
        await block(server.api, blocked_watcher, author)
        variables = {"near": PARIS, "radiusKm": 10}
        async with (
            subscribed(
                server.url, "ListingFeed", variables, token=blocked_watcher.token
            ) as blocked_feed,
            subscribed(server.url, "ListingFeed", variables, token=watcher.token) as feed,
        ):
            await server.listening(PARIS, count=2)
            hidden = await post_listing(server.api, author, "OFFER", 5)
            shown = await post_listing(server.api, watcher, "OFFER", 5)
            first_for_blocked = await blocked_feed.next()
            first_for_watcher = await feed.next()
        told = {
            member.id: [
                n["listing"]["id"]
                for n in await notifications_of(server.api, member)
                if n["kind"] == "ALERT_MATCH"
            ]
            for member in (blocked_watcher, watcher)
        }

    assert first_for_blocked["listingCreated"]["listing"]["id"] == shown
    assert first_for_watcher["listingCreated"]["listing"]["id"] == hidden
    assert told == {blocked_watcher.id: [shown], watcher.id: [hidden]}
