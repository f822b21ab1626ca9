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
from models import Database
from schema.ids import encode_id
from tests.api import Api, SignedIn
from tests.economy import exchange_of, move, post_listing, refusal, wallet, wallet_of
from tests.live import member_channel_of, post_appeal, served, subscribed

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
NEARBY = (
    "query($near: GeoPointInput!) { nearby(near: $near, radiusKm: 5) { edges { node { %s } } } }"
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
    (MEMBER % WALLET, ["member", "wallet"], (UNAUTHENTICATED, FORBIDDEN, ALICE_WALLET)),
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
