"""Exporting one's data: every key design.md lists, with the member's own data, and nothing
private of anyone else's."""

from __future__ import annotations

import json
from typing import Any

from schema.ids import decode_id
from tests.api import Api, SignedIn, error_codes
from tests.community import sent
from tests.economy import PARIS, exchange_of, post_listing
from tests.trust import payload

KEYS = [
    "profile",
    "listings",
    "exchanges",
    "ledger",
    "conversations",
    "reviewsGiven",
    "reviewsReceived",
    "notifications",
    "alerts",
    "blocks",
    "reports",
]


async def done(api: Api, operation: str, member: SignedIn, **input: Any) -> dict[str, Any]:
    found = await payload(api, operation, member, **input)
    assert found["userErrors"] == [], found["userErrors"]
    return found


async def export(api: Api, token: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.data("ExportMyData", token=token))["exportMyData"]
    return data


async def test_the_export_holds_the_members_own_data(api: Api) -> None:
    alice = await api.register(email="alice@example.org", display_name="Alice", location=PARIS)
    bob = await api.register(
        email="bob@example.org",
        display_name="Bob",
        location={"latitude": 12.3456789, "longitude": 98.7654321},
    )
    offer = await post_listing(api, alice, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", bob, listingId=offer)
    await exchange_of(api, "AcceptExchange", alice, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", bob, exchangeId=exchange["id"])
    await sent(api, bob, "Thanks!", exchangeId=exchange["id"])
    await sent(api, alice, "You are welcome", exchangeId=exchange["id"])
    carol = await api.register(email="carol@example.org", display_name="Carol")
    bobs_need = await post_listing(api, bob, "NEED", 1)
    await sent(api, carol, "Private to Bob", listingId=bobs_need)
    exchange_id = exchange["id"]
    given = await done(
        api, "ReviewExchange", alice, exchangeId=exchange_id, rating=4, comment="Kind"
    )
    received = await done(api, "ReviewExchange", bob, exchangeId=exchange_id, rating=5)
    await done(api, "BlockMember", alice, memberId=carol.id)
    await done(api, "BlockMember", carol, memberId=alice.id)
    await done(api, "BlockMember", bob, memberId=carol.id)
    filed = await done(api, "Report", alice, reason="SPAM", listingId=bobs_need, details="Odd")
    await done(api, "Report", carol, reason="SCAM", memberId=alice.id, details="About Alice")

    data = await export(api, alice.token)

    assert list(data) == KEYS
    profile = data["profile"]
    assert (profile["id"], profile["email"], profile["displayName"]) == (
        decode_id("Member", alice.id),
        "alice@example.org",
        "Alice",
    )
    assert profile["location"] == PARIS
    (listing,) = data["listings"]
    assert (listing["id"], listing["title"], listing["location"]) == (
        decode_id("Listing", offer),
        "offer for 5",
        PARIS,
    )
    (mine,) = data["exchanges"]
    assert mine | {"createdAt": None, "updatedAt": None} == {
        "id": decode_id("Exchange", exchange["id"]),
        "listingId": decode_id("Listing", offer),
        "listingType": "OFFER",
        "role": "PROVIDER",
        "otherMemberId": decode_id("Member", bob.id),
        "status": "COMPLETED",
        "digos": 5,
        "discountDigos": 0,
        "goodvibesApplied": 0,
        "createdAt": None,
        "updatedAt": None,
    }
    assert [(e["asset"], e["amount"], e["balanceAfter"], e["kind"]) for e in data["ledger"]] == [
        ("DIGO", 20, 20, "WELCOME_GRANT"),
        ("DIGO", 5, 25, "EXCHANGE_PAYMENT"),
    ]
    (conversation,) = data["conversations"]
    assert conversation["otherMemberId"] == decode_id("Member", bob.id)
    assert conversation["exchangeId"] == decode_id("Exchange", exchange["id"])
    assert [(m["mine"], m["body"]) for m in conversation["messages"]] == [
        (False, "Thanks!"),
        (True, "You are welcome"),
    ]
    assert [n["kind"] for n in data["notifications"]] == [
        "EXCHANGE_REQUESTED",
        "EXCHANGE_COMPLETED",
        "MESSAGE_RECEIVED",
        "REVIEW_RECEIVED",
    ]
    assert data["alerts"] == []
    assert [r | {"createdAt": None} for r in data["reviewsGiven"]] == [
        {
            "id": decode_id("Review", given["review"]["id"]),
            "exchangeId": decode_id("Exchange", exchange_id),
            "listingId": decode_id("Listing", offer),
            "subjectId": decode_id("Member", bob.id),
            "rating": 4,
            "comment": "Kind",
            "createdAt": None,
        }
    ]
    assert [r | {"createdAt": None} for r in data["reviewsReceived"]] == [
        {
            "id": decode_id("Review", received["review"]["id"]),
            "exchangeId": decode_id("Exchange", exchange_id),
            "listingId": decode_id("Listing", offer),
            "reviewerDisplayName": "Bob",
            "rating": 5,
            "comment": None,
            "createdAt": None,
        }
    ]
    assert [b | {"createdAt": None} for b in data["blocks"]] == [
        {"memberId": decode_id("Member", carol.id), "displayName": "Carol", "createdAt": None}
    ]
    assert [r | {"createdAt": None} for r in data["reports"]] == [
        {
            "id": decode_id("Report", filed["report"]["id"]),
            "memberId": decode_id("Member", bob.id),
            "listingId": decode_id("Listing", bobs_need),
            "messageId": None,
            "reason": "SPAM",
            "details": "Odd",
            "status": "OPEN",
            "createdAt": None,
            "resolvedAt": None,
        }
    ]
    text = json.dumps(data)
    assert "bob@example.org" not in text
    assert "12.3456789" not in text
    assert "98.7654321" not in text
    assert "Private to Bob" not in text
    assert "About Alice" not in text


async def test_exporting_needs_a_member(api: Api) -> None:
    result = await api.client_op("ExportMyData")

    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] == {"exportMyData": None}
