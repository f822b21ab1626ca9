"""Each exchange move tells the other member, in the move's own transaction: a refused move
tells no one."""

from __future__ import annotations

import asyncio

from models import Conversation, Database, Message, Notification
from tests.api import Api, SignedIn
from tests.community import count, notifications_of, sent
from tests.economy import exchange_of, members, move, post_listing, refusal


async def kinds(api: Api, member: SignedIn) -> list[str]:
    return [n["kind"] for n in await notifications_of(api, member)]


async def test_each_move_of_an_offer_tells_the_other_member(api: Api) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)

    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    await exchange_of(api, "AcceptExchange", author, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", requester, exchangeId=exchange["id"])

    assert await kinds(api, author) == ["EXCHANGE_COMPLETED", "EXCHANGE_REQUESTED"]
    assert await kinds(api, requester) == ["EXCHANGE_ACCEPTED"]
    [told] = await notifications_of(api, requester)
    assert told["exchange"] == {"id": exchange["id"], "status": "COMPLETED"}
    assert told["listing"]["id"] == offer
    assert told["text"] == "Member 0 accepted your exchange on “offer for 4”"


async def test_declining_and_cancelling_tell_the_other_member(api: Api) -> None:
    author, first, second = await members(api, 3)
    offer = await post_listing(api, author, "OFFER", 2)
    declined = await exchange_of(api, "RequestExchange", first, listingId=offer)
    cancelled = await exchange_of(api, "RequestExchange", second, listingId=offer)

    await exchange_of(api, "DeclineExchange", author, exchangeId=declined["id"])
    await exchange_of(api, "CancelExchange", second, exchangeId=cancelled["id"])

    assert await kinds(api, first) == ["EXCHANGE_DECLINED"]
    assert await kinds(api, second) == []
    assert await kinds(api, author) == [
        "EXCHANGE_CANCELLED",
        "EXCHANGE_REQUESTED",
        "EXCHANGE_REQUESTED",
    ]


async def test_an_answered_appeal_tells_its_author(api: Api) -> None:
    short, helper = await members(api, 2)
    appeal = await post_listing(api, short, "APPEAL", 30)

    await exchange_of(api, "RequestExchange", helper, listingId=appeal)

    [told] = await notifications_of(api, short)
    assert (told["kind"], told["text"]) == (
        "APPEAL_ANSWERED",
        "Member 1 offered to help with your appeal “appeal for 30”",
    )


async def test_a_refused_move_tells_no_one(api: Api, database: Database) -> None:
    author, requester = await members(api, 2)
    offer = await post_listing(api, author, "OFFER", 4)
    exchange = await exchange_of(api, "RequestExchange", requester, listingId=offer)
    before = await count(database, Notification)

    refused = await move(api, "CompleteExchange", author, exchangeId=exchange["id"])

    assert refusal(refused) == [("FORBIDDEN", "exchangeId")]
    assert await count(database, Notification) == before


async def test_first_questions_sent_at_once_open_one_conversation(
    api: Api, database: Database
) -> None:
    author, asker = await members(api, 2)
    listing = await post_listing(api, author, "OFFER", 4)

    asked = await asyncio.gather(
        *(sent(api, asker, f"question {i}", listingId=listing) for i in range(5))
    )

    assert len({m["conversation"]["id"] for m in asked}) == 1
    assert await count(database, Conversation) == 1
    assert await count(database, Message) == 5
    assert await kinds(api, author) == ["MESSAGE_RECEIVED"] * 5
