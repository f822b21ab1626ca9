"""The exchange state machine of design.md, row by row, and each of its refusals: through
the front-end's own operations, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from models import Database
from realtime.channels import member_channel
from resolvers.services import Services
from schema.ids import decode_id
from tests.api import Api, SignedIn, error_codes
from tests.economy import (
    books,
    earn_goodvibes,
    exchange_of,
    members,
    move,
    post_listing,
    refusal,
    wallet,
    wallet_of,
)

# -- requestExchange ------------------------------------------------------------------------


async def test_requesting_an_offer_holds_its_price_from_the_requester(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 8)

    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)

    assert exchange["status"] == "REQUESTED"
    assert exchange["listing"] == {"id": offer, "type": "OFFER", "title": "offer for 8"}
    assert exchange["provider"] == {"id": author.id, "displayName": "Member 0"}
    assert exchange["beneficiary"] == {"id": requester.id, "displayName": "Member 1"}
    assert (exchange["digos"], exchange["discountDigos"], exchange["goodvibesApplied"]) == (
        8,
        0,
        0,
    )
    assert (exchange["reward"], exchange["rewardAmount"]) == ("DIGOS", 8)
    assert await wallet(api, requester) == wallet_of(20, held=8)
    assert await wallet(api, author) == wallet_of(20)


async def test_requesting_a_need_holds_nothing_yet(api: Api) -> None:
    author, helper = await members(api, 2)
    need = await post_listing(api, author, "NEED", 6)

    exchange = await exchange_of(api, "RequestExchange", helper, listingId=need)

    assert exchange["status"] == "REQUESTED"
    assert exchange["provider"]["id"] == helper.id
    assert exchange["beneficiary"]["id"] == author.id
    assert await wallet(api, author) == wallet_of(20)
    assert await wallet(api, helper) == wallet_of(20)


# -- acceptExchange -------------------------------------------------------------------------


async def test_accepting_a_need_commits_its_author(api: Api) -> None:
    author, helper = await members(api, 2)
    need = await post_listing(api, author, "NEED", 6)
    requested = await exchange_of(api, "RequestExchange", helper, listingId=need)

    exchange = await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    assert exchange["status"] == "ACCEPTED"
    assert await wallet(api, author) == wallet_of(20, held=6)
    assert await wallet(api, helper) == wallet_of(20)


async def test_accepting_an_offer_keeps_the_hold_placed_at_the_request(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 5)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)

    exchange = await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    assert exchange["status"] == "ACCEPTED"
    assert await wallet(api, requester) == wallet_of(20, held=5)


# -- declineExchange and cancelExchange -----------------------------------------------------


async def test_declining_releases_the_hold(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 7)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)

    exchange = await exchange_of(api, "DeclineExchange", author, exchangeId=requested["id"])

    assert exchange["status"] == "DECLINED"
    assert await wallet(api, requester) == wallet_of(20)


@pytest.mark.parametrize("accepted", [False, True], ids=["requested", "accepted"])
@pytest.mark.parametrize("by", ["provider", "beneficiary"])
async def test_either_member_cancels_an_open_exchange_and_the_hold_is_released(
    api: Api, accepted: bool, by: str
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 7)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    if accepted:
        await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    canceller = author if by == "provider" else requester
    exchange = await exchange_of(api, "CancelExchange", canceller, exchangeId=requested["id"])

    assert exchange["status"] == "CANCELLED"
    assert await wallet(api, requester) == wallet_of(20)
    assert await wallet(api, author) == wallet_of(20)


# -- completeExchange -----------------------------------------------------------------------


async def test_completing_an_offer_pays_the_provider_the_held_price(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 8)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    exchange = await exchange_of(api, "CompleteExchange", requester, exchangeId=requested["id"])

    assert exchange["status"] == "COMPLETED"
    assert await wallet(api, author) == wallet_of(28)
    assert await wallet(api, requester) == wallet_of(12)


async def test_completing_a_need_pays_the_helper(api: Api) -> None:
    author, helper = await members(api, 2)
    need = await post_listing(api, author, "NEED", 6)
    requested = await exchange_of(api, "RequestExchange", helper, listingId=need)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    exchange = await exchange_of(api, "CompleteExchange", author, exchangeId=requested["id"])

    assert exchange["status"] == "COMPLETED"
    assert await wallet(api, author) == wallet_of(14)
    assert await wallet(api, helper) == wallet_of(26)


async def test_an_appeal_rewards_its_helper_in_goodvibes_from_the_commons(api: Api) -> None:
    helper = await api.register()
    short = await api.register()
    appeal = await post_listing(api, short, "APPEAL", 30)
    requested = await exchange_of(api, "RequestExchange", helper, listingId=appeal)
    accepted = await exchange_of(api, "AcceptExchange", short, exchangeId=requested["id"])
    assert await wallet(api, short) == wallet_of(20)

    exchange = await exchange_of(api, "CompleteExchange", short, exchangeId=requested["id"])

    assert accepted["status"] == "ACCEPTED"
    assert exchange["status"] == "COMPLETED"
    assert (exchange["reward"], exchange["rewardAmount"]) == ("GOODVIBES", 30)
    assert await wallet(api, helper) == wallet_of(20, goodvibes=30)
    assert await wallet(api, short) == wallet_of(20)


async def test_an_appeal_is_answered_once_and_then_closed(api: Api, database: Database) -> None:
    first, second, latecomer, short = await members(api, 4)
    appeal = await post_listing(api, short, "APPEAL", 30)
    answers = [
        await exchange_of(api, "RequestExchange", helper, listingId=appeal)
        for helper in (first, second)
    ]
    for answer in answers:
        await exchange_of(api, "AcceptExchange", short, exchangeId=answer["id"])

    await exchange_of(api, "CompleteExchange", short, exchangeId=answers[0]["id"])
    again = await _refused(api, database, "CompleteExchange", short, exchangeId=answers[1]["id"])
    late = await _refused(api, database, "RequestExchange", latecomer, listingId=appeal)
    listing = await api.data("Listing", {"id": appeal})

    assert again == [("LISTING_CLOSED", "exchangeId")]
    assert late == [("LISTING_CLOSED", "listingId")]
    assert listing["listing"]["status"] == "CLOSED"
    assert await wallet(api, first) == wallet_of(20, goodvibes=30)
    assert await wallet(api, second) == wallet_of(20)
    cancelled = await exchange_of(api, "CancelExchange", second, exchangeId=answers[1]["id"])
    assert cancelled["status"] == "CANCELLED"


# -- the goodvibes discount -----------------------------------------------------------------


async def test_goodvibes_buy_a_discount_the_commons_pays(api: Api) -> None:
    author, requester = await members(api, 2)
    await earn_goodvibes(api, requester)
    offer = await post_listing(api, author, "OFFER", 9)

    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer, goodvibes=10)

    # 50 % of 9 is 4.5, rounded down to 4: the other 6 goodvibes are not taken.
    assert (requested["discountDigos"], requested["goodvibesApplied"]) == (4, 4)
    assert await wallet(api, requester) == wallet_of(20, held=5, goodvibes=30, held_goodvibes=4)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])
    await exchange_of(api, "CompleteExchange", requester, exchangeId=requested["id"])
    assert await wallet(api, author) == wallet_of(29)
    assert await wallet(api, requester) == wallet_of(15, goodvibes=26)


async def test_a_need_author_applies_goodvibes_when_accepting(api: Api) -> None:
    author, helper = await members(api, 2)
    await earn_goodvibes(api, author)
    need = await post_listing(api, author, "NEED", 10)
    requested = await exchange_of(api, "RequestExchange", helper, listingId=need)

    accepted = await exchange_of(
        api, "AcceptExchange", author, exchangeId=requested["id"], goodvibes=3
    )

    assert (accepted["discountDigos"], accepted["goodvibesApplied"]) == (3, 3)
    assert await wallet(api, author) == wallet_of(20, held=7, goodvibes=30, held_goodvibes=3)
    await exchange_of(api, "CompleteExchange", author, exchangeId=requested["id"])
    assert await wallet(api, helper) == wallet_of(30)
    assert await wallet(api, author) == wallet_of(13, goodvibes=27)


async def test_cancelling_gives_back_the_goodvibes_held(api: Api) -> None:
    author, requester = await members(api, 2)
    await earn_goodvibes(api, requester)
    offer = await post_listing(api, author, "OFFER", 10)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer, goodvibes=2)

    await exchange_of(api, "CancelExchange", requester, exchangeId=requested["id"])

    assert await wallet(api, requester) == wallet_of(20, goodvibes=30)


async def test_a_gift_moves_nothing_and_completes(api: Api) -> None:
    author, requester = await members(api, 2)
    gift = await post_listing(api, author, "OFFER", 0)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=gift, goodvibes=5)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])

    exchange = await exchange_of(api, "CompleteExchange", requester, exchangeId=requested["id"])

    assert (exchange["status"], exchange["goodvibesApplied"]) == ("COMPLETED", 0)
    assert await wallet(api, requester) == wallet_of(20)
    assert await wallet(api, author) == wallet_of(20)


# -- refusals: each changes nothing ---------------------------------------------------------


async def _refused(
    api: Api, database: Database, operation: str, member: SignedIn, **input: Any
) -> list[tuple[str, str | None]]:
    before = await books(database)
    payload = await move(api, operation, member, **input)
    assert await books(database) == before
    return refusal(payload)


async def test_requesting_more_than_the_available_digos_is_refused(
    api: Api, database: Database
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 21)

    assert await _refused(api, database, "RequestExchange", requester, listingId=offer) == [
        ("INSUFFICIENT_DIGOS", None)
    ]


async def test_digos_already_held_are_not_available(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 15)
    await exchange_of(api, "RequestExchange", requester, listingId=offer)

    assert await _refused(api, database, "RequestExchange", requester, listingId=offer) == [
        ("INSUFFICIENT_DIGOS", None)
    ]


async def test_a_need_author_who_cannot_pay_cannot_accept(api: Api, database: Database) -> None:
    author, helper, other = await members(api, 3)
    need = await post_listing(api, author, "NEED", 15)
    first = await exchange_of(api, "RequestExchange", helper, listingId=need)
    second = await exchange_of(api, "RequestExchange", other, listingId=need)
    await exchange_of(api, "AcceptExchange", author, exchangeId=first["id"])

    assert await _refused(api, database, "AcceptExchange", author, exchangeId=second["id"]) == [
        ("INSUFFICIENT_DIGOS", None)
    ]


async def test_applying_goodvibes_one_has_not_is_refused(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 10)

    assert await _refused(
        api, database, "RequestExchange", requester, listingId=offer, goodvibes=3
    ) == [("INSUFFICIENT_GOODVIBES", "goodvibes")]


async def test_answering_ones_own_listing_is_refused(api: Api, database: Database) -> None:
    (author,) = await members(api, 1)
    for type_ in ("OFFER", "NEED"):
        listing = await post_listing(api, author, type_, 3)
        assert await _refused(api, database, "RequestExchange", author, listingId=listing) == [
            ("OWN_LISTING", "listingId")
        ]


async def test_a_closed_listing_takes_no_request(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 3)
    closed = await api.data("CloseListing", {"input": {"listingId": offer}}, token=author.token)
    assert closed["closeListing"]["userErrors"] == []

    assert await _refused(api, database, "RequestExchange", requester, listingId=offer) == [
        ("LISTING_CLOSED", "listingId")
    ]


@pytest.mark.parametrize(
    ("operation", "by"),
    [
        ("AcceptExchange", "requester"),
        ("AcceptExchange", "stranger"),
        ("DeclineExchange", "requester"),
        ("DeclineExchange", "stranger"),
        ("CancelExchange", "stranger"),
    ],
)
async def test_only_the_right_member_moves_a_requested_exchange(
    api: Api, database: Database, operation: str, by: str
) -> None:
    author, requester, stranger = await members(api, 3)
    offer = await post_listing(api, author, "OFFER", 4)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    member = requester if by == "requester" else stranger
    # A party out of turn is forbidden; to anyone else the exchange does not exist.
    code = "FORBIDDEN" if by == "requester" else "NOT_FOUND"

    assert await _refused(api, database, operation, member, exchangeId=requested["id"]) == [
        (code, "exchangeId")
    ]


@pytest.mark.parametrize("by", ["provider", "stranger"])
async def test_only_the_beneficiary_completes(api: Api, database: Database, by: str) -> None:
    author, requester, stranger = await members(api, 3)
    offer = await post_listing(api, author, "OFFER", 4)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])
    member = author if by == "provider" else stranger
    code = "FORBIDDEN" if by == "provider" else "NOT_FOUND"

    assert await _refused(
        api, database, "CompleteExchange", member, exchangeId=requested["id"]
    ) == [(code, "exchangeId")]


# (state reached, operation, who sends it) for every move the table does not allow.
INVALID_MOVES = [
    ("REQUESTED", "CompleteExchange", "requester"),
    ("ACCEPTED", "AcceptExchange", "author"),
    ("ACCEPTED", "DeclineExchange", "author"),
    ("DECLINED", "AcceptExchange", "author"),
    ("DECLINED", "CancelExchange", "requester"),
    ("DECLINED", "CompleteExchange", "requester"),
    ("CANCELLED", "AcceptExchange", "author"),
    ("CANCELLED", "DeclineExchange", "author"),
    ("CANCELLED", "CancelExchange", "author"),
    ("CANCELLED", "CompleteExchange", "requester"),
    ("COMPLETED", "AcceptExchange", "author"),
    ("COMPLETED", "DeclineExchange", "author"),
    ("COMPLETED", "CancelExchange", "requester"),
    ("COMPLETED", "CompleteExchange", "requester"),
]
TO_REACH = {
    "REQUESTED": [],
    "ACCEPTED": [("AcceptExchange", "author")],
    "DECLINED": [("DeclineExchange", "author")],
    "CANCELLED": [("CancelExchange", "requester")],
    "COMPLETED": [("AcceptExchange", "author"), ("CompleteExchange", "requester")],
}


@pytest.mark.parametrize(("state", "operation", "by"), INVALID_MOVES)
async def test_any_other_transition_is_an_invalid_state(
    api: Api, database: Database, state: str, operation: str, by: str
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    who = {"author": author, "requester": requester}
    for step, member in TO_REACH[state]:
        exchange = await exchange_of(api, step, who[member], exchangeId=exchange["id"])
    assert exchange["status"] == state

    assert await _refused(api, database, operation, who[by], exchangeId=exchange["id"]) == [
        ("INVALID_STATE", "exchangeId")
    ]


@pytest.mark.parametrize(
    ("type_", "operation", "by"),
    [("NEED", "RequestExchange", "helper"), ("APPEAL", "AcceptExchange", "author")],
)
async def test_goodvibes_are_applied_only_by_a_committing_beneficiary(
    api: Api, database: Database, type_: str, operation: str, by: str
) -> None:
    helper = await api.register()
    author = await api.register()
    await earn_goodvibes(api, helper)
    await earn_goodvibes(api, author)
    listing = await post_listing(api, author, type_, 30)
    if operation == "RequestExchange":
        input = {"listingId": listing}
    else:
        requested = await exchange_of(api, "RequestExchange", helper, listingId=listing)
        input = {"exchangeId": requested["id"]}
    member = helper if by == "helper" else author

    assert await _refused(api, database, operation, member, goodvibes=2, **input) == [
        ("VALIDATION", "goodvibes")
    ]


@pytest.mark.parametrize(
    ("operation", "input", "refused"),
    [
        ("RequestExchange", {"listingId": "bm9wZQ=="}, ("VALIDATION", "listingId")),
        ("RequestExchange", {"listingId": "TGlzdGluZzo5OTk5"}, ("NOT_FOUND", "listingId")),
        ("AcceptExchange", {"exchangeId": "TWVtYmVyOjE="}, ("VALIDATION", "exchangeId")),
        ("CompleteExchange", {"exchangeId": "RXhjaGFuZ2U6OTk5OQ=="}, ("NOT_FOUND", "exchangeId")),
        (
            "CancelExchange",
            {"exchangeId": "RXhjaGFuZ2U6MQ==", "idempotencyKey": ""},
            ("VALIDATION", "idempotencyKey"),
        ),
        (
            "CancelExchange",
            {"exchangeId": "RXhjaGFuZ2U6MQ==", "idempotencyKey": "a\x00b"},
            ("VALIDATION", "idempotencyKey"),
        ),
        # Beyond a 32-bit key: PostgreSQL would refuse to compare it with the id column.
        (
            "CompleteExchange",
            {"exchangeId": "RXhjaGFuZ2U6MTAwMDAwMDAwMDAwMDAwMDAw"},
            ("VALIDATION", "exchangeId"),
        ),
        (
            "RequestExchange",
            {"listingId": "TGlzdGluZzoyMTQ3NDgzNjQ4"},
            ("VALIDATION", "listingId"),
        ),
    ],
)
async def test_unknown_or_malformed_input_is_refused(
    api: Api,
    database: Database,
    operation: str,
    input: dict[str, str],
    refused: tuple[str, str],
) -> None:
    (member,) = await members(api, 1)

    assert await _refused(api, database, operation, member, **input) == [refused]


async def test_negative_goodvibes_are_refused(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)

    assert await _refused(
        api, database, "RequestExchange", requester, listingId=offer, goodvibes=-1
    ) == [("VALIDATION", "goodvibes")]


async def test_exchange_mutations_need_a_signed_in_member(api: Api) -> None:
    result = await api.client_op(
        "RequestExchange", {"input": {"listingId": "TGlzdGluZzox"}}, token=None
    )

    assert error_codes(result) == ["UNAUTHENTICATED"]


# -- idempotency keys -----------------------------------------------------------------------


async def test_the_same_key_returns_the_same_exchange_and_moves_nothing_twice(
    api: Api, database: Database
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    first = await exchange_of(
        api, "RequestExchange", requester, listingId=offer, idempotencyKey="k1"
    )
    before = await books(database)

    again = await exchange_of(
        api, "RequestExchange", requester, listingId=offer, idempotencyKey="k1"
    )

    assert again == first
    assert await books(database) == before
    assert await wallet(api, requester) == wallet_of(20, held=4)


async def test_a_repeated_completion_pays_once(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    requested = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=requested["id"])
    done = await exchange_of(
        api, "CompleteExchange", requester, exchangeId=requested["id"], idempotencyKey="pay"
    )
    before = await books(database)

    again = await exchange_of(
        api, "CompleteExchange", requester, exchangeId=requested["id"], idempotencyKey="pay"
    )

    assert again == done
    assert await books(database) == before
    assert await wallet(api, author) == wallet_of(24)


async def test_the_same_key_with_another_input_is_refused(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    other = await post_listing(api, author, "OFFER", 5)
    await exchange_of(api, "RequestExchange", requester, listingId=offer, idempotencyKey="k")

    assert await _refused(
        api, database, "RequestExchange", requester, listingId=other, idempotencyKey="k"
    ) == [("VALIDATION", "idempotencyKey")]
    requested = await exchange_of(api, "RequestExchange", requester, listingId=other)
    assert await _refused(
        api, database, "CancelExchange", requester, exchangeId=requested["id"], idempotencyKey="k"
    ) == [("VALIDATION", "idempotencyKey")]


async def test_keys_belong_to_each_member(api: Api) -> None:
    author, first, second = await members(api, 3)
    offer = await post_listing(api, author, "OFFER", 4)

    one = await exchange_of(api, "RequestExchange", first, listingId=offer, idempotencyKey="k")
    two = await exchange_of(api, "RequestExchange", second, listingId=offer, idempotencyKey="k")

    assert one["id"] != two["id"]
    assert await wallet(api, first) == wallet_of(20, held=4)
    assert await wallet(api, second) == wallet_of(20, held=4)


async def test_a_refused_request_does_not_use_up_its_key(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    refused = await move(
        api, "AcceptExchange", requester, exchangeId="RXhjaGFuZ2U6OTk=", idempotencyKey="k"
    )
    assert refusal(refused) == [("NOT_FOUND", "exchangeId")]

    exchange = await exchange_of(
        api, "RequestExchange", requester, listingId=offer, idempotencyKey="k"
    )

    assert exchange["status"] == "REQUESTED"


# -- myExchanges ----------------------------------------------------------------------------


async def test_my_exchanges_lists_both_sides_newest_first_in_pages(api: Api) -> None:
    me, other, stranger = await members(api, 3)
    my_offer = await post_listing(api, me, "OFFER", 1)
    their_offer = await post_listing(api, other, "OFFER", 1)
    ids = [
        (await exchange_of(api, "RequestExchange", other, listingId=my_offer))["id"],
        (await exchange_of(api, "RequestExchange", me, listingId=their_offer))["id"],
        (await exchange_of(api, "RequestExchange", other, listingId=my_offer))["id"],
    ]
    await exchange_of(api, "RequestExchange", stranger, listingId=their_offer)
    await exchange_of(api, "DeclineExchange", me, exchangeId=ids[0])

    first = (await api.data("MyExchanges", {"first": 2}, token=me.token))["myExchanges"]
    rest = (
        await api.data(
            "MyExchanges", {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=me.token
        )
    )["myExchanges"]
    declined = (await api.data("MyExchanges", {"status": ["DECLINED"]}, token=me.token))[
        "myExchanges"
    ]

    assert [e["node"]["id"] for e in first["edges"]] == [ids[2], ids[1]]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][0]["cursor"]}
    assert [e["node"]["id"] for e in declined["edges"]] == [ids[0]]
    theirs = (await api.data("MyExchanges", token=stranger.token))["myExchanges"]
    assert len(theirs["edges"]) == 1
    assert theirs["edges"][0]["node"]["id"] not in ids


@pytest.mark.parametrize(
    "variables", [{"first": 0}, {"first": 101}, {"after": "nonsense"}, {"after": "TWVtYmVyOjE="}]
)
async def test_my_exchanges_refuses_bad_paging(api: Api, variables: dict[str, Any]) -> None:
    (me,) = await members(api, 1)

    result = await api.client_op("MyExchanges", variables, token=me.token)

    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_my_exchanges_needs_a_signed_in_member(api: Api) -> None:
    assert error_codes(await api.client_op("MyExchanges")) == ["UNAUTHENTICATED"]


# -- events, after the commit ---------------------------------------------------------------


def _never_too_slow() -> None:
    raise AssertionError("the test reads every event")


def _pk(member: SignedIn) -> int:
    return decode_id("Member", member.id)


async def test_each_move_tells_both_members_and_each_changed_wallet(
    api: Api, app: Starlette
) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    services: Services = app.state.services
    heard: dict[str, list[dict[str, Any]]] = {}

    async with (
        services.hub.listen([member_channel(_pk(author))], _never_too_slow) as to_author,
        services.hub.listen([member_channel(_pk(requester))], _never_too_slow) as to_requester,
    ):
        exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
        refused = await move(api, "CompleteExchange", author, exchangeId=exchange["id"])
        assert refusal(refused) == [("FORBIDDEN", "exchangeId")]
        await exchange_of(api, "CancelExchange", author, exchangeId=exchange["id"])
        async with asyncio.timeout(10):
            heard["author"] = [(await anext(to_author)).body for _ in range(3)]
            heard["requester"] = [(await anext(to_requester)).body for _ in range(5)]

    exchange_id = decode_id("Exchange", exchange["id"])
    # Each move also tells the other member with a notification: the request the author,
    # the cancellation the requester.
    assert heard["author"] == [
        {"exchange": exchange_id},
        {"notification": 1},
        {"exchange": exchange_id},
    ]
    assert heard["requester"] == [
        {"exchange": exchange_id},
        {"wallet": _pk(requester)},
        {"exchange": exchange_id},
        {"wallet": _pk(requester)},
        {"notification": 2},
    ]
