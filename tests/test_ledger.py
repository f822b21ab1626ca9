"""myLedger: a member's own entries, newest first, each with the balance it left."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Api, SignedIn, error_codes
from tests.economy import earn_goodvibes, exchange_of, members, post_listing


async def ledger(api: Api, member: SignedIn, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await api.data("MyLedger", variables, token=member.token))["myLedger"]
    return page


def lines(page: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    return [
        (n["asset"], n["amount"], n["balanceAfter"], n["kind"])
        for n in (e["node"] for e in page["edges"])
    ]


async def test_a_new_member_sees_the_welcome_grant(api: Api) -> None:
    (member,) = await members(api, 1)

    page = await ledger(api, member)

    assert lines(page) == [("DIGO", 20, 20, "WELCOME_GRANT")]
    assert page["edges"][0]["node"]["exchange"] is None
    assert page["pageInfo"] == {"hasNextPage": False, "endCursor": page["edges"][0]["cursor"]}


async def test_a_discounted_exchange_is_written_on_both_ledgers(api: Api) -> None:
    author, requester = await members(api, 2)
    await earn_goodvibes(api, requester)
    offer = await post_listing(api, author, "OFFER", 9)
    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer, goodvibes=4)
    await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", requester, exchangeId=exchange["id"])

    paid = await ledger(api, requester)
    earned = await ledger(api, author)

    assert lines(paid) == [
        ("GOODVIBE", -4, 26, "GOODVIBES_SPENT"),
        ("DIGO", -5, 15, "EXCHANGE_PAYMENT"),
        ("GOODVIBE", 30, 30, "APPEAL_REWARD"),
        ("DIGO", 20, 20, "WELCOME_GRANT"),
    ]
    assert lines(earned) == [
        ("DIGO", 4, 29, "DISCOUNT"),
        ("DIGO", 5, 25, "EXCHANGE_PAYMENT"),
        ("DIGO", 20, 20, "WELCOME_GRANT"),
    ]
    assert [e["node"]["exchange"] for e in earned["edges"]] == [
        {"id": exchange["id"]},
        {"id": exchange["id"]},
        None,
    ]


async def test_the_ledger_pages_newest_first(api: Api) -> None:
    author, requester = await members(api, 2)
    for price in (1, 2, 3):
        offer = await post_listing(api, author, "OFFER", price)
        exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
        await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
        await exchange_of(api, "CompleteExchange", requester, exchangeId=exchange["id"])

    pages = [await ledger(api, author, first=3)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        pages.append(await ledger(api, author, first=3, after=pages[-1]["pageInfo"]["endCursor"]))

    assert [lines(p) for p in pages] == [
        [
            ("DIGO", 3, 26, "EXCHANGE_PAYMENT"),
            ("DIGO", 2, 23, "EXCHANGE_PAYMENT"),
            ("DIGO", 1, 21, "EXCHANGE_PAYMENT"),
        ],
        [("DIGO", 20, 20, "WELCOME_GRANT")],
    ]
    # Without `first`, a page holds up to 20: these four entries at once.
    assert lines(await ledger(api, author)) == [line for p in pages for line in lines(p)]


async def test_no_member_sees_another_members_entries(api: Api) -> None:
    author, requester, stranger = await members(api, 3)
    offer = await post_listing(api, author, "OFFER", 6)
    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", requester, exchangeId=exchange["id"])

    assert lines(await ledger(api, stranger)) == [("DIGO", 20, 20, "WELCOME_GRANT")]


@pytest.mark.parametrize(
    "variables",
    [{"first": 0}, {"first": 101}, {"first": -1}, {"after": "!!"}, {"after": "RXhjaGFuZ2U6MQ=="}],
)
async def test_my_ledger_refuses_bad_paging(api: Api, variables: dict[str, Any]) -> None:
    (member,) = await members(api, 1)

    result = await api.client_op("MyLedger", variables, token=member.token)

    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] is None or result["data"]["myLedger"] is None


async def test_my_ledger_needs_a_signed_in_member(api: Api) -> None:
    assert error_codes(await api.client_op("MyLedger")) == ["UNAUTHENTICATED"]
