"""Relay's Node: every object with an id is fetched again by that id alone, and only by whom
may see it: another member's exchange or ledger entry is null, exactly as an id never issued."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    parse,
    validate,
)

from models import Database
from schema import build_schema
from schema.ids import encode_id
from tests.api import Api, SignedIn, error_codes
from tests.community import notifications_of, sent
from tests.economy import exchange_of, post_listing
from tests.trust import completed_exchange, moderator, payload, send

# The map contract's NodeById, as the front-ends send it.
NODE_BY_ID = """
query NodeById($id: ID!) {
  node(id: $id) {
    id
    __typename
    ... on Listing { title status }
    ... on Member { displayName }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
EXCHANGE_NODE = "query($id: ID!) { node(id: $id) { id ... on Exchange { status digos } } }"
ENTRY_NODE = (
    "query($id: ID!) { node(id: $id) { id ... on LedgerEntry { amount kind exchange { id } } } }"
)
FIRST_ENTRY = "{ myLedger(first: 1) { edges { node { id } } } }"
MESSAGE_NODE = "query($id: ID!) { node(id: $id) { id ... on Message { body hidden } } }"
PARIS = {"latitude": 48.85661, "longitude": 2.35222}


async def node(api: Api, query: str, id: str, token: str | None = None) -> Any:
    result = await api.post(query, {"id": id}, token=token)
    assert "errors" not in result, result["errors"]
    return result["data"]["node"]


async def seen_by(api: Api, id: str, *viewers: SignedIn | None) -> list[Any]:
    """What each viewer (None: an anonymous caller) gets of `node(id:)`."""
    return [await node(api, NODE, id, None if v is None else v.token) for v in viewers]


def as_node(typename: str, id: str) -> dict[str, str]:
    return {"__typename": typename, "id": id}


async def latest_entry_id(api: Api, member: SignedIn) -> str:
    result = await api.post(FIRST_ENTRY, token=member.token)
    entry_id: str = result["data"]["myLedger"]["edges"][0]["node"]["id"]
    return entry_id


def test_every_type_with_an_id_is_a_node() -> None:
    graphql_schema: GraphQLSchema = build_schema()._schema
    with_an_id = {
        name
        for name, type_ in graphql_schema.type_map.items()
        if isinstance(type_, GraphQLObjectType)
        and not name.startswith("__")
        and "id" in type_.fields
        and get_named_type(type_.fields["id"].type).name == "ID"
    }
    node_interface = graphql_schema.type_map["Node"]
    assert isinstance(node_interface, GraphQLInterfaceType)
    nodes = {t.name for t in graphql_schema.get_implementations(node_interface).objects}

    assert with_an_id == nodes
    assert nodes >= {"Member", "Listing", "Exchange", "LedgerEntry"}


def test_the_contract_node_by_id_validates() -> None:
    assert validate(build_schema()._schema, parse(NODE_BY_ID)) == []


async def test_node_by_id_fetches_a_listing_and_a_member_for_anyone(api: Api) -> None:
    alice = await api.register(display_name="Alice")
    listing = await post_listing(api, alice, "OFFER", 5)

    as_anonymous = [await node(api, NODE_BY_ID, id) for id in (listing, alice.id)]

    assert as_anonymous == [
        {"id": listing, "__typename": "Listing", "title": "offer for 5", "status": "OPEN"},
        {"id": alice.id, "__typename": "Member", "displayName": "Alice"},
    ]


async def test_an_exchange_is_a_node_for_its_two_members_alone(api: Api) -> None:
    alice, bob, carol = [await api.register() for _ in range(3)]
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = (await exchange_of(api, "RequestExchange", bob, listingId=listing))["id"]

    seen = [await node(api, EXCHANGE_NODE, exchange, m.token) for m in (alice, bob)]
    unseen = [await node(api, EXCHANGE_NODE, exchange, t) for t in (None, carol.token)]

    assert seen == [{"id": exchange, "status": "REQUESTED", "digos": 5}] * 2
    assert unseen == [None, None]


async def test_a_ledger_entry_is_a_node_for_its_member_alone(api: Api) -> None:
    alice, bob = [await api.register() for _ in range(2)]
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = (await exchange_of(api, "RequestExchange", bob, listingId=listing))["id"]
    await exchange_of(api, "AcceptExchange", alice, exchangeId=exchange)
    await exchange_of(api, "CompleteExchange", bob, exchangeId=exchange)
    payment = await latest_entry_id(api, alice)

    as_owner = await node(api, ENTRY_NODE, payment, alice.token)
    as_others = [await node(api, ENTRY_NODE, payment, t) for t in (None, bob.token)]

    assert as_owner == {
        "id": payment,
        "amount": 5,
        "kind": "EXCHANGE_PAYMENT",
        "exchange": {"id": exchange},
    }
    assert as_others == [None, None]


async def test_a_review_is_a_node_for_anyone(api: Api) -> None:
    alice, bob, carol = [await api.register() for _ in range(3)]
    exchange = await completed_exchange(api, alice, bob)
    review = (
        await payload(api, "ReviewExchange", bob, exchangeId=exchange, rating=4, comment="Thanks")
    )["review"]
    query = "query($id: ID!) { node(id: $id) { id ... on Review { rating comment } } }"

    seen = [await node(api, query, review["id"], t) for t in (None, carol.token, alice.token)]

    assert seen == [{"id": review["id"], "rating": 4, "comment": "Thanks"}] * 3


async def test_a_conversation_and_its_messages_are_nodes_for_its_two_members_alone(
    api: Api,
) -> None:
    alice, bob, carol = [await api.register() for _ in range(3)]
    listing = await post_listing(api, alice, "OFFER", 5)
    question = await sent(api, bob, "Still on?", listingId=listing)
    conversation = question["conversation"]["id"]

    conversations = await seen_by(api, conversation, alice, bob, carol, None)
    messages = [await node(api, MESSAGE_NODE, question["id"], m.token) for m in (alice, bob)]
    unseen = await seen_by(api, question["id"], carol, None)

    assert conversations == [as_node("Conversation", conversation)] * 2 + [None, None]
    assert messages == [{"id": question["id"], "body": "Still on?", "hidden": False}] * 2
    assert unseen == [None, None]


async def test_a_hidden_message_is_a_node_for_its_two_members_as_in_the_conversation(
    api: Api, database: Database
) -> None:
    alice, bob, carol = [await api.register() for _ in range(3)]
    moderating = await moderator(api, database)
    listing = await post_listing(api, alice, "OFFER", 5)
    question = await sent(api, bob, "Call me on 06 00 00 00 00", listingId=listing)
    filed = await payload(api, "Report", alice, messageId=question["id"], reason="SCAM")
    await payload(
        api,
        "ResolveReport",
        moderating,
        reportId=filed["report"]["id"],
        action="HIDE_MESSAGE",
        reason="a phone number",
    )

    seen = [await node(api, MESSAGE_NODE, question["id"], m.token) for m in (alice, bob)]
    unseen = await seen_by(api, question["id"], carol, moderating, None)

    assert seen == [{"id": question["id"], "body": "", "hidden": True}] * 2
    assert unseen == [None, None, None]


async def test_notifications_and_alerts_are_nodes_for_their_member_alone(api: Api) -> None:
    alice, bob = [await api.register() for _ in range(2)]
    listing = await post_listing(api, alice, "OFFER", 5)
    await exchange_of(api, "RequestExchange", bob, listingId=listing)
    [told] = await notifications_of(api, alice)
    alert = (
        await api.data("CreateAlert", {"input": {"near": PARIS, "radiusKm": 3}}, token=alice.token)
    )["createAlert"]["alert"]["id"]

    notifications = await seen_by(api, told["id"], alice, bob, None)
    alerts = await seen_by(api, alert, alice, bob, None)

    assert notifications == [as_node("Notification", told["id"]), None, None]
    assert alerts == [as_node("Alert", alert), None, None]


async def test_a_report_is_a_node_for_its_reporter_and_moderators_and_the_log_for_moderators(
    api: Api, database: Database
) -> None:
    bob, carol = [await api.register() for _ in range(2)]
    moderating, other_moderator = [await moderator(api, database) for _ in range(2)]
    report = (await payload(api, "Report", carol, memberId=bob.id, reason="SPAM"))["report"]
    await payload(
        api, "ResolveReport", moderating, reportId=report["id"], action="DISMISS", reason="ok"
    )
    log = (await send(api, "ModerationLog", token=moderating.token))["data"]["moderationLog"]
    [entry] = [edge["node"]["id"] for edge in log["edges"]]

    reports = await seen_by(api, report["id"], carol, moderating, other_moderator, bob, None)
    entries = await seen_by(api, entry, moderating, other_moderator, carol, bob, None)

    assert reports == [as_node("Report", report["id"])] * 3 + [None] * 2
    assert entries == [as_node("ModerationLogEntry", entry)] * 2 + [None] * 3


@pytest.mark.parametrize(
    "unknown",
    [
        encode_id("Exchange", 999_999),
        encode_id("Member", 999_999),
        encode_id("Member", 2**31),
        encode_id("NoSuchKind", 1),
        *(
            encode_id(kind, 999_999)
            for kind in (
                "Review",
                "Conversation",
                "Message",
                "Notification",
                "Alert",
                "Report",
                "ModerationLogEntry",
            )
        ),
    ],
    ids=[
        "exchange",
        "member",
        "beyond-any-key",
        "unknown-kind",
        "review",
        "conversation",
        "message",
        "notification",
        "alert",
        "report",
        "log-entry",
    ],
)
async def test_an_id_never_issued_is_null(api: Api, unknown: str) -> None:
    member = await api.register()

    assert await node(api, NODE, unknown, member.token) is None


async def test_nodes_answer_in_the_order_asked_with_null_for_what_is_not_seen(api: Api) -> None:
    alice, bob, carol = [await api.register() for _ in range(3)]
    listing = await post_listing(api, alice, "OFFER", 5)
    exchange = (await exchange_of(api, "RequestExchange", bob, listingId=listing))["id"]
    ids = [exchange, listing, encode_id("Listing", 999_999), alice.id, listing]

    as_carol = await api.post(NODES, {"ids": ids}, token=carol.token)
    as_bob = await api.post(NODES, {"ids": ids}, token=bob.token)

    listing_node = {"__typename": "Listing", "id": listing}
    alice_node = {"__typename": "Member", "id": alice.id}
    assert as_carol == {"data": {"nodes": [None, listing_node, None, alice_node, listing_node]}}
    assert as_bob["data"]["nodes"][0] == {"__typename": "Exchange", "id": exchange}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (NODE, {"id": "not an id"}),
        (NODE, {"id": "TWVtYmVy"}),  # "Member" with no number
        (NODES, {"ids": ["bm90IGFuIGlk", encode_id("Member", 1)]}),
        (NODES, {"ids": [encode_id("Member", 1)] * 101}),
    ],
    ids=["not-base64", "no-number", "one-malformed-of-two", "too-many"],
)
async def test_a_malformed_id_is_bad_user_input(
    api: Api, query: str, variables: dict[str, Any]
) -> None:
    result = await api.post(query, variables)

    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["path"] == ["nodes" if "ids" in variables else "node"]
