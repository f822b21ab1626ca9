"""Conversations: a question on a listing, an exchange's conversation, reading, and every
refusal, which stores and sends nothing."""

from __future__ import annotations

import pytest

from indigo.settings import Settings
from models import Database, Message, Notification
from tests.api import Api, SignedIn
from tests.community import count, notifications_of, refused, send, sent, unread
from tests.economy import exchange_of, post_listing
from tests.variants import api_with


@pytest.fixture
async def alice(api: Api) -> SignedIn:
    return await api.register(email="alice@example.org", display_name="Alice")


@pytest.fixture
async def bob(api: Api) -> SignedIn:
    return await api.register(email="bob@example.org", display_name="Bob")


async def test_a_question_on_a_listing_notifies_its_author(
    api: Api, alice: SignedIn, bob: SignedIn
) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)

    message = await sent(api, bob, "Is it still available?", listingId=listing)

    assert (message["body"], message["mine"], message["author"]["id"]) == (
        "Is it still available?",
        True,
        bob.id,
    )
    assert message["conversation"]["unreadCount"] == 0
    [told] = await notifications_of(api, alice)
    assert (told["kind"], told["text"], told["actor"]["id"], told["readAt"]) == (
        "MESSAGE_RECEIVED",
        "Bob sent you a message",
        bob.id,
        None,
    )
    assert (told["listing"]["id"], told["message"]["id"]) == (listing, message["id"])
    assert await unread(api, alice) == (1, 1)
    assert await unread(api, bob) == (0, 0)


async def test_the_inbox_and_the_conversation_as_each_member_sees_them(
    api: Api, alice: SignedIn, bob: SignedIn
) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)
    first = await sent(api, bob, "Hello", listingId=listing)
    conversation_id = first["conversation"]["id"]
    reply = await sent(api, alice, "Hi Bob", conversationId=conversation_id)

    inbox = (await api.data("Conversations", token=bob.token))["conversations"]
    [edge] = inbox["edges"]
    assert edge["node"]["id"] == conversation_id
    assert edge["node"]["with"] == {"id": alice.id, "displayName": "Alice"}
    assert edge["node"]["listing"]["id"] == listing
    assert edge["node"]["exchange"] is None
    assert edge["node"]["unreadCount"] == 1
    assert edge["node"]["lastMessage"]["id"] == reply["id"]
    assert edge["node"]["lastMessage"]["mine"] is False
    one = (await api.data("Conversation", {"id": conversation_id}, token=alice.token))[
        "conversation"
    ]
    assert [(e["node"]["body"], e["node"]["mine"]) for e in one["messages"]["edges"]] == [
        ("Hello", False),
        ("Hi Bob", True),
    ]
    assert one["with"]["id"] == bob.id


async def test_messages_page_back_from_the_latest(
    api: Api, alice: SignedIn, bob: SignedIn
) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)
    ids = [(await sent(api, bob, f"message {i}", listingId=listing))["id"] for i in range(5)]
    conversation_id = (await api.data("Conversations", token=bob.token))["conversations"]["edges"][
        0
    ]["node"]["id"]

    latest = (await api.data("Conversation", {"id": conversation_id, "last": 2}, token=bob.token))[
        "conversation"
    ]["messages"]
    older = (
        await api.data(
            "Conversation",
            {"id": conversation_id, "last": 3, "before": latest["pageInfo"]["startCursor"]},
            token=bob.token,
        )
    )["conversation"]["messages"]

    assert [e["node"]["id"] for e in latest["edges"]] == ids[3:]
    assert latest["pageInfo"]["hasPreviousPage"] is True
    assert [e["node"]["id"] for e in older["edges"]] == ids[:3]
    assert older["pageInfo"]["hasPreviousPage"] is False


async def test_unread_counts_move_with_reading(api: Api, alice: SignedIn, bob: SignedIn) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)
    messages = [await sent(api, bob, f"question {i}", listingId=listing) for i in range(3)]
    conversation_id = messages[0]["conversation"]["id"]
    assert await unread(api, alice) == (3, 3)

    part = await api.data(
        "MarkConversationRead",
        {"input": {"conversationId": conversation_id, "upToMessageId": messages[1]["id"]}},
        token=alice.token,
    )
    assert part["markConversationRead"]["conversation"] == {
        "id": conversation_id,
        "unreadCount": 1,
    }
    assert await unread(api, alice) == (1, 3)
    await api.data(
        "MarkConversationRead", {"input": {"conversationId": conversation_id}}, token=alice.token
    )
    notes = await notifications_of(api, alice)
    marked = await api.data(
        "MarkNotificationsRead", {"input": {"upToId": notes[1]["id"]}}, token=alice.token
    )
    assert marked["markNotificationsRead"] == {"unreadCount": 1, "userErrors": []}
    assert await unread(api, alice) == (0, 1)
    assert [n["id"] for n in await notifications_of(api, alice, unreadOnly=True)] == [
        notes[0]["id"]
    ]


async def test_the_exchange_conversation_is_for_its_two_members(
    api: Api, alice: SignedIn, bob: SignedIn
) -> None:
    carol = await api.register(display_name="Carol")
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)

    message = await sent(api, alice, "See you at 6", exchangeId=exchange["id"])
    conversation_id = message["conversation"]["id"]
    reply = await sent(api, bob, "Fine", exchangeId=exchange["id"])

    assert reply["conversation"]["id"] == conversation_id
    seen = await api.data("Conversation", {"id": conversation_id}, token=bob.token)
    assert seen["conversation"]["exchange"] == {"id": exchange["id"], "status": "REQUESTED"}
    hidden = await api.data("Conversation", {"id": conversation_id}, token=carol.token)
    assert hidden["conversation"] is None
    intrusion = await send(api, carol, "Hi", conversationId=conversation_id)
    assert refused(intrusion) == [("NOT_FOUND", "conversationId")]
    outsider = await send(api, carol, "Hi", exchangeId=exchange["id"])
    assert refused(outsider) == [("NOT_FOUND", "exchangeId")]


@pytest.mark.parametrize(
    ("body", "to", "expected"),
    [
        ("", "listing", [("VALIDATION", "body")]),
        ("   ", "listing", [("VALIDATION", "body")]),
        ("x" * 2001, "listing", [("VALIDATION", "body")]),
        ("hello", "own listing", [("OWN_LISTING", "listingId")]),
        ("hello", "nothing", [("VALIDATION", "conversationId")]),
        ("hello", "listing and exchange", [("VALIDATION", "conversationId")]),
        ("hello", "unknown conversation", [("NOT_FOUND", "conversationId")]),
        ("hello", "malformed id", [("VALIDATION", "listingId")]),
    ],
)
async def test_a_refused_message_stores_and_tells_nothing(
    api: Api,
    database: Database,
    alice: SignedIn,
    bob: SignedIn,
    body: str,
    to: str,
    expected: list[tuple[str, str]],
) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)
    notified = await count(database, Notification)
    addressed = {
        "listing": {"listingId": listing},
        "own listing": {"listingId": listing},
        "nothing": {},
        "listing and exchange": {"listingId": listing, "exchangeId": exchange["id"]},
        "unknown conversation": {"conversationId": "Q29udmVyc2F0aW9uOjk5"},
        "malformed id": {"listingId": "nope"},
    }[to]
    sender = alice if to == "own listing" else bob

    assert refused(await send(api, sender, body, **addressed)) == expected
    assert await count(database, Message) == 0
    assert await count(database, Notification) == notified


@pytest.mark.usefixtures("fresh_rate_window")
async def test_messages_beyond_the_rate_limit_are_refused(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, messages_per_minute=2) as api:
        alice = await api.register(display_name="Alice")
        bob = await api.register(display_name="Bob")
        listing = await post_listing(api, alice, "OFFER", 5)
        for i in range(2):
            await sent(api, bob, f"question {i}", listingId=listing)

        payload = await send(api, bob, "one more", listingId=listing)

    assert refused(payload) == [("RATE_LIMITED", None)]
    assert await count(database, Message) == 2


async def test_the_same_key_sends_a_message_once(
    api: Api, database: Database, alice: SignedIn, bob: SignedIn
) -> None:
    listing = await post_listing(api, alice, "OFFER", 5)
    first = await sent(api, bob, "Hello", listingId=listing, idempotencyKey="k1")

    again = await sent(api, bob, "Hello", listingId=listing, idempotencyKey="k1")
    other = await send(api, bob, "Something else", listingId=listing, idempotencyKey="k1")

    assert again["id"] == first["id"]
    assert refused(other) == [("VALIDATION", "idempotencyKey")]
    assert await count(database, Message) == 1
    assert await count(database, Notification) == 1
