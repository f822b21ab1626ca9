"""Who sees what: each private field and each guarded mutation, through every path that
reaches it, asked by an anonymous caller, by another member and by the owner.

Each row reads (anonymous, another member, owner). A refused field answers its error code;
a refused mutation changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from indigo.settings import Settings
from models import Database, Message
from schema.ids import encode_id
from tests.api import CLIENT_DOCUMENTS, Api, SignedIn
from tests.community import count, notifications_of, sent, unread
from tests.economy import books, exchange_of, move, post_listing, refusal, wallet, wallet_of
from tests.live import member_channel_of, post_appeal, served, subscribed
from tests.trust import moderator, payload, send

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
PARIS = {"latitude": 48.85661, "longitude": 2.35222}
PARIS_ROUNDED = {"latitude": 48.86, "longitude": 2.35}
LYON = {"latitude": 45.76404, "longitude": 4.83566}
PRICE = 5


@dataclass(frozen=True)
class World:
    """Alice offers a lesson in Paris; Bob asked for it; Carol has nothing to do with it."""

    alice: SignedIn
    bob: SignedIn
    carol: SignedIn
    listing: str
    exchange: str


@pytest.fixture
async def world(api: Api) -> World:
    alice = await api.register(email="alice@example.org", location=PARIS)
    bob = await api.register(email="bob@example.org", location=LYON)
    carol = await api.register(email="carol@example.org")
    listing = await post_listing(api, alice, "OFFER", PRICE)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=listing)
    return World(alice, bob, carol, listing, exchange["id"])


def seen(result: dict[str, Any], path: list[str | int]) -> Any:
    """The value at `path`, or the one error code that refused it."""
    if result.get("errors"):
        codes = {e.get("extensions", {}).get("code") for e in result["errors"]}
        assert len(codes) == 1, result["errors"]
        return codes.pop()
    value: Any = result["data"]
    for step in path:
        value = value[step]
    return value


async def as_each(
    api: Api,
    query: str,
    variables: dict[str, Any],
    path: list[str | int],
    *,
    other: SignedIn,
    owner: SignedIn,
) -> tuple[Any, Any, Any]:
    """What anonymous, `other` and `owner` each see of `path` in the answer to `query`."""
    outcomes = [
        seen(await api.post(query, variables, token=token), path)
        for token in (None, other.token, owner.token)
    ]
    return outcomes[0], outcomes[1], outcomes[2]


ALICE_EMAIL = "alice@example.org"
ALICE_WALLET = {"digos": 20, "heldDigos": 0}
MEMBER = "query($member: ID!) { member(id: $member) { %s } }"
LISTING = "query($listing: ID!) { listing(id: $listing) { %s } }"
NODE_OF = "query($member: ID!) { node(id: $member) { ... on Member { %s } } }"
NEARBY = (
    "query($near: GeoPointInput!) { nearby(near: $near, radiusKm: 5) { edges { node { %s } } } }"
)
MAP = (
    "{ listingsOnMap(box: {south: 48.8, west: 2.3, north: 48.9, east: 2.4}, zoom: 12) "
    "{ listings { %s } } }"
)
POINT = "location { latitude longitude }"
WALLET = "wallet { digos heldDigos }"
NODE: list[str | int] = ["nearby", "edges", 0, "node"]

# Alice's private fields through each path, as (anonymous, Bob, Alice) see them.
FIELDS: list[tuple[str, list[str | int], tuple[Any, Any, Any]]] = [
    (MEMBER % "email", ["member", "email"], (UNAUTHENTICATED, FORBIDDEN, ALICE_EMAIL)),
    (
        LISTING % "author { email }",
        ["listing", "author", "email"],
        (UNAUTHENTICATED, FORBIDDEN, ALICE_EMAIL),
    ),
    (
        NEARBY % "author { email }",
        [*NODE, "author", "email"],
        (UNAUTHENTICATED, FORBIDDEN, ALICE_EMAIL),
    ),
    (NODE_OF % "email", ["node", "email"], (UNAUTHENTICATED, FORBIDDEN, ALICE_EMAIL)),
    (MEMBER % WALLET, ["member", "wallet"], (UNAUTHENTICATED, FORBIDDEN, ALICE_WALLET)),
    (NODE_OF % WALLET, ["node", "wallet"], (UNAUTHENTICATED, FORBIDDEN, ALICE_WALLET)),
    (
        LISTING % f"author {{ {WALLET} }}",
        ["listing", "author", "wallet"],
        (UNAUTHENTICATED, FORBIDDEN, ALICE_WALLET),
    ),
    (
        NEARBY % f"author {{ {WALLET} }}",
        [*NODE, "author", "wallet"],
        (UNAUTHENTICATED, FORBIDDEN, ALICE_WALLET),
    ),
    (MEMBER % POINT, ["member", "location"], (PARIS_ROUNDED, PARIS_ROUNDED, PARIS)),
    (NODE_OF % POINT, ["node", "location"], (PARIS_ROUNDED, PARIS_ROUNDED, PARIS)),
    (LISTING % POINT, ["listing", "location"], (PARIS_ROUNDED, PARIS_ROUNDED, PARIS)),
    (
        LISTING % f"author {{ {POINT} }}",
        ["listing", "author", "location"],
        (PARIS_ROUNDED, PARIS_ROUNDED, PARIS),
    ),
    (NEARBY % POINT, [*NODE, "location"], (PARIS_ROUNDED, PARIS_ROUNDED, PARIS)),
    (
        NEARBY % f"author {{ {POINT} }}",
        [*NODE, "author", "location"],
        (PARIS_ROUNDED, PARIS_ROUNDED, PARIS),
    ),
    (MEMBER % "emailConfirmed", ["member", "emailConfirmed"], (UNAUTHENTICATED, FORBIDDEN, False)),
    (
        LISTING % "author { emailConfirmed }",
        ["listing", "author", "emailConfirmed"],
        (UNAUTHENTICATED, FORBIDDEN, False),
    ),
    (
        MAP % POINT,
        ["listingsOnMap", "listings", 0, "location"],
        (PARIS_ROUNDED, PARIS_ROUNDED, PARIS),
    ),
    (
        MAP % "author { email }",
        ["listingsOnMap", "listings", 0, "author", "email"],
        (UNAUTHENTICATED, FORBIDDEN, ALICE_EMAIL),
    ),
]


@pytest.mark.parametrize(
    ("query", "path", "expected"), FIELDS, ids=[".".join(map(str, p)) for _, p, _ in FIELDS]
)
async def test_a_private_field_through_each_path(
    api: Api, world: World, query: str, path: list[str | int], expected: tuple[Any, Any, Any]
) -> None:
    variables = {"member": world.alice.id, "listing": world.listing, "near": PARIS}
    declared = {name: value for name, value in variables.items() if f"${name}:" in query}

    outcome = await as_each(api, query, declared, path, other=world.bob, owner=world.alice)

    assert outcome == expected


async def test_my_exchanges(api: Api, world: World) -> None:
    query = "{ myExchanges { edges { node { id status } } } }"

    outcome = await as_each(
        api, query, {}, ["myExchanges", "edges"], other=world.carol, owner=world.bob
    )

    assert outcome == (
        UNAUTHENTICATED,
        [],
        [{"node": {"id": world.exchange, "status": "REQUESTED"}}],
    )


async def test_an_exchange_by_its_id(api: Api, world: World) -> None:
    query = "query($id: ID!) { node(id: $id) { ... on Exchange { status } } }"

    outcome = await as_each(
        api, query, {"id": world.exchange}, ["node"], other=world.carol, owner=world.bob
    )

    assert outcome == (None, None, {"status": "REQUESTED"})


async def test_my_listings(api: Api, world: World) -> None:
    query = "{ myListings { edges { node { id status } } } }"

    outcome = await as_each(
        api, query, {}, ["myListings", "edges"], other=world.bob, owner=world.alice
    )

    assert outcome == (UNAUTHENTICATED, [], [{"node": {"id": world.listing, "status": "OPEN"}}])


async def test_export_my_data(api: Api, world: World) -> None:
    query = "{ exportMyData }"

    outcome = await as_each(
        api, query, {}, ["exportMyData", "profile", "email"], other=world.bob, owner=world.alice
    )

    assert outcome == (UNAUTHENTICATED, "bob@example.org", ALICE_EMAIL)


@pytest.mark.parametrize(
    ("operation", "input"),
    [
        ("UpdateListing", {"title": "Taken over", "digos": 50}),
        ("RenewListing", {}),
    ],
)
async def test_listing_edits_by_others_change_nothing(
    api: Api, world: World, operation: str, input: dict[str, Any]
) -> None:
    variables = {"input": {"listingId": world.listing, **input}}
    field = operation[0].lower() + operation[1:]
    before = (await api.data("MyListings", token=world.alice.token))["myListings"]

    anonymous = await api.client_op(operation, variables)
    by_bob = (await api.data(operation, variables, token=world.bob.token))[field]

    assert seen(anonymous, []) == UNAUTHENTICATED
    assert by_bob["listing"] is None
    assert [(e["code"], e["field"]) for e in by_bob["userErrors"]] == [("NOT_FOUND", "listingId")]
    assert (await api.data("MyListings", token=world.alice.token))["myListings"] == before


async def test_password_and_account_mutations_touch_only_the_signed_in_member(
    api: Api, world: World
) -> None:
    change = {"input": {"currentPassword": "correct horse battery", "newPassword": "x" * 12}}
    delete = {"input": {"password": "correct horse battery"}}

    anonymous_change = await api.client_op("ChangePassword", change)
    anonymous_delete = await api.client_op("DeleteAccount", delete)
    carol_deletes = (await api.data("DeleteAccount", delete, token=world.carol.token))[
        "deleteAccount"
    ]

    assert seen(anonymous_change, []) == UNAUTHENTICATED
    assert seen(anonymous_delete, []) == UNAUTHENTICATED
    assert carol_deletes == {"ok": True, "userErrors": []}
    for member in (world.alice, world.bob):
        assert (await api.data("Me", token=member.token))["me"]["id"] == member.id
    assert seen(await api.client_op("Me", token=world.carol.token), []) == UNAUTHENTICATED


async def test_my_ledger(api: Api, world: World) -> None:
    await exchange_of(api, "AcceptExchange", world.alice, exchangeId=world.exchange)
    await exchange_of(api, "CompleteExchange", world.bob, exchangeId=world.exchange)
    query = "{ myLedger { edges { node { amount balanceAfter kind exchange { id } } } } }"

    outcome = await as_each(
        api, query, {}, ["myLedger", "edges"], other=world.carol, owner=world.alice
    )

    welcome = {"amount": 20, "balanceAfter": 20, "kind": "WELCOME_GRANT", "exchange": None}
    payment = {
        "amount": PRICE,
        "balanceAfter": 20 + PRICE,
        "kind": "EXCHANGE_PAYMENT",
        "exchange": {"id": world.exchange},
    }
    assert outcome == (
        UNAUTHENTICATED,
        [{"node": welcome}],
        [{"node": payment}, {"node": welcome}],
    )


async def test_the_other_party_of_an_exchange_sees_no_private_field(
    api: Api, world: World
) -> None:
    query = "{ myExchanges { edges { node { provider { email wallet { digos } } } } } }"

    as_requester = await api.post(query, token=world.bob.token)

    assert as_requester["data"]["myExchanges"]["edges"] == [
        {"node": {"provider": {"email": None, "wallet": None}}}
    ]
    assert [e["extensions"]["code"] for e in as_requester["errors"]] == [FORBIDDEN, FORBIDDEN]


@pytest.mark.parametrize(
    "operation", ["AcceptExchange", "DeclineExchange", "CancelExchange", "CompleteExchange"]
)
async def test_exchange_moves_by_outsiders_change_nothing(
    api: Api, world: World, operation: str
) -> None:
    anonymous = await api.client_op(operation, {"input": {"exchangeId": world.exchange}})
    by_carol = await move(api, operation, world.carol, exchangeId=world.exchange)
    never_issued = await move(api, operation, world.carol, exchangeId=encode_id("Exchange", 999))

    assert seen(anonymous, []) == UNAUTHENTICATED
    # To an outsider the exchange does not exist: the answer to an id never issued, word for word.
    assert by_carol == never_issued
    assert refusal(by_carol) == [("NOT_FOUND", "exchangeId")]
    assert await wallet(api, world.bob) == wallet_of(20, held=PRICE)
    assert await wallet(api, world.alice) == wallet_of(20)
    mine = await api.data("MyExchanges", token=world.bob.token)
    assert [e["node"]["status"] for e in mine["myExchanges"]["edges"]] == ["REQUESTED"]


async def test_each_exchange_move_belongs_to_one_party(api: Api, world: World) -> None:
    accept_by_requester = await move(api, "AcceptExchange", world.bob, exchangeId=world.exchange)
    accepted = await exchange_of(api, "AcceptExchange", world.alice, exchangeId=world.exchange)
    complete_by_provider = await move(
        api, "CompleteExchange", world.alice, exchangeId=world.exchange
    )
    completed = await exchange_of(api, "CompleteExchange", world.bob, exchangeId=world.exchange)

    assert refusal(accept_by_requester) == [(FORBIDDEN, "exchangeId")]
    assert accepted["status"] == "ACCEPTED"
    assert refusal(complete_by_provider) == [(FORBIDDEN, "exchangeId")]
    assert completed["status"] == "COMPLETED"
    assert await wallet(api, world.alice) == wallet_of(20 + PRICE)
    assert await wallet(api, world.bob) == wallet_of(20 - PRICE)


async def test_closing_a_listing_is_for_its_author(api: Api, world: World) -> None:
    variables = {"input": {"listingId": world.listing}}

    anonymous = await api.client_op("CloseListing", variables)
    by_bob = (await api.data("CloseListing", variables, token=world.bob.token))["closeListing"]
    still = (await api.data("Listing", {"id": world.listing}))["listing"]["status"]
    by_alice = (await api.data("CloseListing", variables, token=world.alice.token))["closeListing"]

    assert seen(anonymous, []) == UNAUTHENTICATED
    assert by_bob["listing"] is None
    assert [(e["code"], e["field"]) for e in by_bob["userErrors"]] == [(FORBIDDEN, "listingId")]
    assert still == "OPEN"
    assert by_alice["listing"] == {"id": world.listing, "status": "CLOSED"}


async def test_profile_and_sign_out_need_a_member_and_touch_only_theirs(
    api: Api, world: World
) -> None:
    update = await api.client_op("UpdateProfile", {"input": {"bio": "anonymous"}})
    logout = await api.client_op("Logout")
    await api.data("Logout", token=world.bob.token)
    alice = (await api.data("Me", token=world.alice.token))["me"]

    assert seen(update, []) == UNAUTHENTICATED
    assert seen(logout, []) == UNAUTHENTICATED
    assert (alice["id"], alice["bio"]) == (world.alice.id, "")
    assert seen(await api.client_op("Me", token=world.bob.token), []) == UNAUTHENTICATED


FEED = """
subscription AppealFeed($near: GeoPointInput!) {
  appealCreated(near: $near, radiusKm: 10) {
    appeal { location { latitude longitude } author { email } }
  }
}
"""
PARTIES = """
subscription ExchangeUpdates {
  exchangeUpdated { provider { email } beneficiary { email } }
}
"""


def event(message: dict[str, Any]) -> tuple[Any, list[str]]:
    """The data of one `next` message and the codes of its errors."""
    assert message["type"] == "next", message
    codes = [e["extensions"]["code"] for e in message["payload"].get("errors", [])]
    return message["payload"]["data"], codes


async def test_an_appeal_in_the_live_feed(settings: Settings, database: Database) -> None:
    async with served(settings) as server:
        alice = await server.api.register(email="alice@example.org", location=PARIS)
        bob = await server.api.register()
        async with (
            subscribed(server.url, "AppealFeed", {"near": PARIS}, query=FEED) as anonymous,
            subscribed(
                server.url, "AppealFeed", {"near": PARIS}, query=FEED, token=bob.token
            ) as other,
            subscribed(
                server.url, "AppealFeed", {"near": PARIS}, query=FEED, token=alice.token
            ) as owner,
        ):
            await server.listening(PARIS, count=3)
            await post_appeal(server.api, alice, location=PARIS)
            seen_by = [event(await s.message()) for s in (anonymous, other, owner)]

    def appeal(location: dict[str, float], email: str | None) -> dict[str, Any]:
        return {"appealCreated": {"appeal": {"location": location, "author": {"email": email}}}}

    assert seen_by == [
        (appeal(PARIS_ROUNDED, None), [UNAUTHENTICATED]),
        (appeal(PARIS_ROUNDED, None), [FORBIDDEN]),
        (appeal(PARIS, "alice@example.org"), []),
    ]


async def test_the_parties_of_a_live_exchange(settings: Settings, database: Database) -> None:
    async with served(settings) as server:
        alice = await server.api.register(email="alice@example.org")
        bob = await server.api.register(email="bob@example.org")
        offer = await post_listing(server.api, alice, "OFFER", PRICE)
        async with (
            subscribed(server.url, "ExchangeUpdates", query=PARTIES, token=alice.token) as alices,
            subscribed(server.url, "ExchangeUpdates", query=PARTIES, token=bob.token) as bobs,
        ):
            for member in (alice, bob):
                await server.listening_to(member_channel_of(member))
            await exchange_of(server.api, "RequestExchange", bob, listingId=offer)
            seen_by_alice = event(await alices.message())
            seen_by_bob = event(await bobs.message())

    def parties(provider: str | None, beneficiary: str | None) -> dict[str, Any]:
        return {
            "exchangeUpdated": {
                "provider": {"email": provider},
                "beneficiary": {"email": beneficiary},
            }
        }

    assert seen_by_alice == (parties("alice@example.org", None), [FORBIDDEN])
    assert seen_by_bob == (parties(None, "bob@example.org"), [FORBIDDEN])


async def test_my_blocks(api: Api, world: World) -> None:
    await payload(api, "BlockMember", world.alice, memberId=world.bob.id)

    outcome = await as_each(
        api, CLIENT_DOCUMENTS["MyBlocks"], {}, ["myBlocks"], other=world.carol, owner=world.alice
    )

    assert outcome == (UNAUTHENTICATED, [], [{"id": world.bob.id, "displayName": "Camille"}])


async def test_a_block_is_lifted_by_its_author_alone(api: Api, world: World) -> None:
    await payload(api, "BlockMember", world.alice, memberId=world.bob.id)

    anonymous = await send(api, "UnblockMember", {"input": {"memberId": world.bob.id}})
    by_carol = await payload(api, "UnblockMember", world.carol, memberId=world.bob.id)
    by_bob = await payload(api, "UnblockMember", world.bob, memberId=world.alice.id)

    assert seen(anonymous, []) == UNAUTHENTICATED
    assert by_carol["userErrors"] == by_bob["userErrors"] == []
    mine = (await send(api, "MyBlocks", token=world.alice.token))["data"]["myBlocks"]
    assert [m["id"] for m in mine] == [world.bob.id]


@pytest.mark.parametrize("operation", ["ReviewExchange", "Report", "BlockMember"])
async def test_community_mutations_need_a_member(
    api: Api, world: World, database: Database, operation: str
) -> None:
    inputs = {
        "ReviewExchange": {"exchangeId": world.exchange, "rating": 5},
        "Report": {"memberId": world.bob.id, "reason": "SPAM"},
        "BlockMember": {"memberId": world.bob.id},
    }
    before = await books(database)

    anonymous = await send(api, operation, {"input": inputs[operation]})

    assert seen(anonymous, []) == UNAUTHENTICATED
    assert await books(database) == before
    assert (await send(api, "MyBlocks", token=world.alice.token))["data"]["myBlocks"] == []


async def test_the_member_card_is_public(api: Api, world: World) -> None:
    await exchange_of(api, "AcceptExchange", world.alice, exchangeId=world.exchange)
    await exchange_of(api, "CompleteExchange", world.bob, exchangeId=world.exchange)
    await payload(api, "ReviewExchange", world.bob, exchangeId=world.exchange, rating=4)
    query = (
        MEMBER % "recognition { helpsGiven averageRating } reviews { edges { node { rating } } }"
    )

    outcome = await as_each(
        api, query, {"member": world.alice.id}, ["member"], other=world.carol, owner=world.alice
    )

    card = {
        "recognition": {"helpsGiven": 1, "averageRating": 4.0},
        "reviews": {"edges": [{"node": {"rating": 4}}]},
    }
    assert outcome == (card, card, card)


CONSOLE_FIELDS = [
    ("ModerationQueue", ["moderationQueue", "edges"]),
    ("ModerationLog", ["moderationLog", "edges"]),
]


@pytest.mark.parametrize(("operation", "path"), CONSOLE_FIELDS, ids=[c[0] for c in CONSOLE_FIELDS])
async def test_the_moderators_console(
    api: Api, world: World, database: Database, operation: str, path: list[str | int]
) -> None:
    moderating = await moderator(api, database)

    outcome = await as_each(
        api, CLIENT_DOCUMENTS[operation], {}, path, other=world.carol, owner=moderating
    )

    assert outcome == (UNAUTHENTICATED, FORBIDDEN, [])


@pytest.mark.parametrize("operation", ["ResolveReport", "RestoreMember"])
async def test_moderators_decisions_by_anyone_else_change_nothing(
    api: Api, world: World, database: Database, operation: str
) -> None:
    filed = await payload(api, "Report", world.carol, memberId=world.bob.id, reason="SPAM")
    inputs = {
        "ResolveReport": {
            "reportId": filed["report"]["id"],
            "action": "DISMISS",
            "reason": "no",
        },
        "RestoreMember": {"memberId": world.bob.id, "reason": "no"},
    }
    before = await books(database)

    outcome = await as_each(
        api,
        CLIENT_DOCUMENTS[operation],
        {"input": inputs[operation]},
        [],
        other=world.carol,
        owner=world.bob,
    )

    assert outcome == (UNAUTHENTICATED, FORBIDDEN, FORBIDDEN)
    assert await books(database) == before
    moderating = await moderator(api, database)
    queue = (await send(api, "ModerationQueue", token=moderating.token))["data"]
    assert [e["node"]["status"] for e in queue["moderationQueue"]["edges"]] == ["OPEN"]


# The community: conversations, notifications, their settings and alerts.


@dataclass(frozen=True)
class Talk:
    """Bob asked Alice a question on her listing: their conversation, and Alice's
    notifications (the exchange Bob requested, and the message)."""

    conversation: str
    message: str
    notifications: list[str]


@pytest.fixture
async def talk(api: Api, world: World) -> Talk:
    asked = await sent(api, world.bob, "Is it still on?", listingId=world.listing)
    told = await notifications_of(api, world.alice)
    return Talk(asked["conversation"]["id"], asked["id"], [n["id"] for n in told])


async def test_a_conversation_is_its_two_members_alone(api: Api, world: World, talk: Talk) -> None:
    one = "query($id: ID!) { conversation(id: $id) { id unreadCount } }"
    inbox = "{ conversations { edges { node { id } } } }"

    alone = await as_each(
        api, one, {"id": talk.conversation}, ["conversation"], other=world.carol, owner=world.alice
    )
    listed = await as_each(
        api, inbox, {}, ["conversations", "edges"], other=world.carol, owner=world.bob
    )

    assert alone == (UNAUTHENTICATED, None, {"id": talk.conversation, "unreadCount": 1})
    assert listed == (UNAUTHENTICATED, [], [{"node": {"id": talk.conversation}}])


async def test_notifications_and_unread_counts_are_their_member_alone(
    api: Api, world: World, talk: Talk
) -> None:
    listed = await as_each(
        api,
        "{ notifications { edges { node { kind } } } }",
        {},
        ["notifications", "edges"],
        other=world.carol,
        owner=world.alice,
    )
    counts = await as_each(
        api,
        MEMBER % "unreadMessages unreadNotifications",
        {"member": world.alice.id},
        ["member"],
        other=world.bob,
        owner=world.alice,
    )

    assert listed == (
        UNAUTHENTICATED,
        [],
        [{"node": {"kind": "MESSAGE_RECEIVED"}}, {"node": {"kind": "EXCHANGE_REQUESTED"}}],
    )
    assert counts == (
        {"unreadMessages": None, "unreadNotifications": None},
        {"unreadMessages": None, "unreadNotifications": None},
        {"unreadMessages": 1, "unreadNotifications": 2},
    )


async def test_settings_and_alerts_are_their_member_alone(api: Api, world: World) -> None:
    choice = {"settings": [{"kind": "ALERT_MATCH", "delivery": "APP"}]}
    await api.data("UpdateNotificationSettings", {"input": choice}, token=world.alice.token)
    await api.data(
        "CreateAlert", {"input": {"near": PARIS, "radiusKm": 3}}, token=world.alice.token
    )
    setting = "{ notificationSettings { kind delivery } }"
    alerts = "{ myAlerts { radiusKm } }"

    settings = await as_each(
        api, setting, {}, ["notificationSettings"], other=world.carol, owner=world.alice
    )
    saved = await as_each(api, alerts, {}, ["myAlerts"], other=world.carol, owner=world.alice)

    alert_match = {"kind": "ALERT_MATCH", "delivery": "DAILY_DIGEST"}
    assert settings[0] == UNAUTHENTICATED
    assert alert_match in settings[1]
    assert {"kind": "ALERT_MATCH", "delivery": "APP"} in settings[2]
    assert saved == (UNAUTHENTICATED, [], [{"radiusKm": 3.0}])


async def test_community_mutations_by_outsiders_change_nothing(
    api: Api, world: World, talk: Talk, database: Database
) -> None:
    alert = (
        await api.data(
            "CreateAlert", {"input": {"near": PARIS, "radiusKm": 3}}, token=world.alice.token
        )
    )["createAlert"]["alert"]["id"]
    attempts: list[tuple[str, dict[str, Any], str, str]] = [
        (
            "SendMessage",
            {"conversationId": talk.conversation, "body": "hi"},
            "sendMessage",
            "message",
        ),
        (
            "MarkConversationRead",
            {"conversationId": talk.conversation},
            "markConversationRead",
            "conversation",
        ),
        (
            "MarkNotificationsRead",
            {"upToId": talk.notifications[0]},
            "markNotificationsRead",
            "unreadCount",
        ),
        ("DeleteAlert", {"alertId": alert}, "deleteAlert", "deletedAlertId"),
    ]
    messages = await count(database, Message)

    for operation, input, field, result in attempts:
        anonymous = await api.client_op(operation, {"input": input})
        by_carol = (await api.data(operation, {"input": input}, token=world.carol.token))[field]
        assert seen(anonymous, []) == UNAUTHENTICATED, operation
        assert by_carol[result] is None, operation
        assert [e["code"] for e in by_carol["userErrors"]] == ["NOT_FOUND"], operation

    signed_in_only: list[tuple[str, dict[str, Any]]] = [
        ("UpdateNotificationSettings", {"settings": []}),
        ("CreateAlert", {"near": PARIS, "radiusKm": 1}),
    ]
    for operation, needs in signed_in_only:
        anonymous = await api.client_op(operation, {"input": needs})
        assert seen(anonymous, []) == UNAUTHENTICATED, operation
    assert await count(database, Message) == messages
    assert await unread(api, world.alice) == (1, 2)
    assert len((await api.data("MyAlerts", token=world.alice.token))["myAlerts"]) == 1


NODE_ID = "query($id: ID!) { node(id: $id) { id } }"


async def test_community_objects_by_their_ids(api: Api, world: World, talk: Talk) -> None:
    alert = (
        await api.data(
            "CreateAlert", {"input": {"near": PARIS, "radiusKm": 3}}, token=world.alice.token
        )
    )["createAlert"]["alert"]["id"]
    owned = [talk.conversation, talk.message, talk.notifications[0], alert]

    outcomes = [
        await as_each(api, NODE_ID, {"id": id}, ["node"], other=world.carol, owner=world.alice)
        for id in owned
    ]

    assert outcomes == [(None, None, {"id": id}) for id in owned]


async def test_a_report_and_the_log_by_their_ids(
    api: Api, world: World, database: Database
) -> None:
    moderating = await moderator(api, database)
    filed = await payload(api, "Report", world.carol, memberId=world.bob.id, reason="SPAM")
    report = filed["report"]["id"]
    await payload(api, "ResolveReport", moderating, reportId=report, action="DISMISS", reason="no")
    log = (await send(api, "ModerationLog", token=moderating.token))["data"]["moderationLog"]
    [entry] = [edge["node"]["id"] for edge in log["edges"]]

    by_reporter = await as_each(
        api, NODE_ID, {"id": report}, ["node"], other=world.bob, owner=world.carol
    )
    by_moderator = [
        await as_each(api, NODE_ID, {"id": id}, ["node"], other=world.alice, owner=moderating)
        for id in (report, entry)
    ]

    assert by_reporter == (None, None, {"id": report})
    assert by_moderator == [(None, None, {"id": report}), (None, None, {"id": entry})]


async def test_live_messages_reach_their_two_members_alone(
    settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        alice = await server.api.register(display_name="Alice")
        bob = await server.api.register(display_name="Bob")
        carol = await server.api.register(display_name="Carol")
        offer = await post_listing(server.api, alice, "OFFER", PRICE)
        async with (
            subscribed(server.url, "MessageFeed", token=alice.token) as alices,
            subscribed(server.url, "MessageFeed", token=carol.token) as carols,
        ):
            await server.listening_to(member_channel_of(alice))
            await server.listening_to(member_channel_of(carol))
            await sent(server.api, bob, "from Bob", listingId=offer)
            await sent(server.api, carol, "from Carol", listingId=offer)
            heard_by_alice = [(await alices.next())["messageAdded"] for _ in range(2)]
            heard_by_carol = (await carols.next())["messageAdded"]

    assert [m["message"]["body"] for m in heard_by_alice] == ["from Bob", "from Carol"]
    # Carol's first event is her own message: Bob's never reached her.
    assert (heard_by_carol["message"]["body"], heard_by_carol["message"]["mine"]) == (
        "from Carol",
        True,
    )


async def test_a_message_is_reported_by_the_members_of_its_conversation_alone(
    api: Api, world: World, database: Database
) -> None:
    question = await sent(api, world.bob, "Is it still on?", listingId=world.listing)
    variables = {"input": {"messageId": question["id"], "reason": "SPAM"}}

    anonymous = await send(api, "Report", variables)
    by_carol = await payload(api, "Report", world.carol, messageId=question["id"], reason="SPAM")
    by_alice = await payload(api, "Report", world.alice, messageId=question["id"], reason="SPAM")

    assert seen(anonymous, []) == UNAUTHENTICATED
    assert by_carol == {
        "report": None,
        "userErrors": [
            {"code": "NOT_FOUND", "field": "messageId", "message": "no message has this id"}
        ],
    }
    assert by_alice["userErrors"] == []
    assert by_alice["report"]["status"] == "OPEN"
