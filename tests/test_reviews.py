"""Reviews after a completed exchange, and the member card that shows them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, func, select

from models import Database, Exchange, Review
from models.columns import utcnow
from schema.ids import decode_id
from tests.api import Api
from tests.community import notifications_of
from tests.economy import earn_goodvibes, exchange_of, members, post_listing
from tests.trust import codes, completed_exchange, payload, send


async def review_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Review)) or 0


async def test_each_party_reviews_a_completed_exchange_once(api: Api, database: Database) -> None:
    provider, beneficiary = await members(api, 2)
    exchange = await completed_exchange(api, provider, beneficiary)

    by_beneficiary = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=5, comment=" Merci ! "
    )
    again = await payload(api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=1)
    by_provider = await payload(api, "ReviewExchange", provider, exchangeId=exchange, rating=4)

    assert by_beneficiary["userErrors"] == []
    assert (by_beneficiary["review"]["rating"], by_beneficiary["review"]["comment"]) == (
        5,
        "Merci !",
    )
    assert again == {
        "review": None,
        "userErrors": [
            {
                "code": "ALREADY_DONE",
                "field": "exchangeId",
                "message": "you already reviewed this exchange",
            }
        ],
    }
    assert by_provider["userErrors"] == []
    assert await review_count(database) == 2


async def test_an_exchange_not_completed_cannot_be_reviewed(api: Api, database: Database) -> None:
    provider, beneficiary = await members(api, 2)
    offer = await post_listing(api, provider, "OFFER", 5)
    exchange = await exchange_of(api, "RequestExchange", beneficiary, listingId=offer)
    requested = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=exchange["id"], rating=5
    )
    await exchange_of(api, "AcceptExchange", provider, exchangeId=exchange["id"])
    accepted = await payload(api, "ReviewExchange", provider, exchangeId=exchange["id"], rating=5)

    assert codes(requested) == [("INVALID_STATE", "exchangeId")]
    assert codes(accepted) == [("INVALID_STATE", "exchangeId")]
    assert await review_count(database) == 0


async def test_reviews_close_30_days_after_completion(api: Api, database: Database) -> None:
    provider, beneficiary = await members(api, 2)
    late, in_time = (
        await completed_exchange(api, provider, beneficiary),
        await completed_exchange(api, provider, beneficiary),
    )
    async with database.write() as session:
        for exchange, age in (
            (late, timedelta(days=30, minutes=1)),
            (in_time, timedelta(days=29)),
        ):
            await session.execute(
                update(Exchange)
                .where(col(Exchange.id) == decode_id("Exchange", exchange))
                .values(updated_at=utcnow() - age)
            )

    too_late = await payload(api, "ReviewExchange", beneficiary, exchangeId=late, rating=3)
    on_time = await payload(api, "ReviewExchange", beneficiary, exchangeId=in_time, rating=3)

    assert codes(too_late) == [("INVALID_STATE", "exchangeId")]
    assert codes(on_time) == []
    assert await review_count(database) == 1


async def test_outsiders_and_bad_input_are_refused_and_change_nothing(
    api: Api, database: Database
) -> None:
    provider, beneficiary, outsider = await members(api, 3)
    exchange = await completed_exchange(api, provider, beneficiary)

    by_outsider = await payload(api, "ReviewExchange", outsider, exchangeId=exchange, rating=5)
    unknown = await payload(api, "ReviewExchange", beneficiary, exchangeId="nope", rating=5)
    out_of_range = [
        await payload(api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=rating)
        for rating in (0, 6)
    ]
    too_long = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=4, comment="a" * 1001
    )
    anonymous = await send(api, "ReviewExchange", {"input": {"exchangeId": exchange, "rating": 5}})

    assert codes(by_outsider) == [("NOT_FOUND", "exchangeId")]
    assert codes(unknown) == [("VALIDATION", "exchangeId")]
    assert [codes(p) for p in out_of_range] == [[("VALIDATION", "rating")]] * 2
    assert codes(too_long) == [("VALIDATION", "comment")]
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert await review_count(database) == 0


async def test_a_repeated_idempotency_key_returns_the_first_review(
    api: Api, database: Database
) -> None:
    provider, beneficiary = await members(api, 2)
    exchange = await completed_exchange(api, provider, beneficiary)
    other = await completed_exchange(api, provider, beneficiary)

    first = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=4, idempotencyKey="k1"
    )
    repeat = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=4, idempotencyKey="k1"
    )
    reused = await payload(
        api, "ReviewExchange", beneficiary, exchangeId=other, rating=4, idempotencyKey="k1"
    )

    assert repeat == first
    assert codes(reused) == [("VALIDATION", "idempotencyKey")]
    assert await review_count(database) == 1


async def test_the_member_card_counts_a_scripted_history(api: Api, database: Database) -> None:
    helper, neighbour, newcomer = await members(api, 3)
    # Two offers of the helper taken and completed, one given by the neighbour to the helper,
    # one appeal of a member short of digos answered (30 goodvibes), one exchange left open.
    first = await completed_exchange(api, helper, neighbour, digos=4)
    second = await completed_exchange(api, helper, newcomer, digos=6)
    await completed_exchange(api, neighbour, helper, digos=3)
    await earn_goodvibes(api, helper, 30)
    open_offer = await post_listing(api, helper, "OFFER", 2)
    await exchange_of(api, "RequestExchange", neighbour, listingId=open_offer)
    await payload(api, "ReviewExchange", neighbour, exchangeId=first, rating=5, comment="Top")
    await payload(api, "ReviewExchange", newcomer, exchangeId=second, rating=2)

    card = (await send(api, "MemberProfile", {"id": helper.id, "reviews": 1}))["data"]["member"]
    rest = (
        await send(
            api,
            "MemberProfile",
            {"id": helper.id, "reviews": 1, "after": card["reviews"]["pageInfo"]["endCursor"]},
        )
    )["data"]["member"]["reviews"]

    assert card["recognition"] == {
        "exchangesCompleted": 4,
        "helpsGiven": 3,
        "appealsAnswered": 1,
        "goodvibesEarned": 30,
        "reviewsCount": 2,
        "averageRating": 3.5,
    }
    assert [e["node"]["rating"] for e in card["reviews"]["edges"]] == [2]
    assert card["reviews"]["pageInfo"]["hasNextPage"] is True
    assert [(e["node"]["rating"], e["node"]["comment"]) for e in rest["edges"]] == [(5, "Top")]
    assert rest["edges"][0]["node"]["author"]["id"] == neighbour.id
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_new_member_card_has_no_average(api: Api, database: Database) -> None:
    member = await api.register()

    card = (await send(api, "MemberProfile", {"id": member.id}))["data"]["member"]

    assert card["recognition"] == {
        "exchangesCompleted": 0,
        "helpsGiven": 0,
        "appealsAnswered": 0,
        "goodvibesEarned": 0,
        "reviewsCount": 0,
        "averageRating": None,
    }
    assert card["reviews"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_the_member_reviewed_is_told(api: Api, database: Database) -> None:
    provider, beneficiary = await members(api, 2)
    exchange = await completed_exchange(api, provider, beneficiary)

    await payload(api, "ReviewExchange", beneficiary, exchangeId=exchange, rating=5)

    told = await notifications_of(api, provider)
    assert [
        (n["actor"]["id"], n["exchange"]["id"]) for n in told if n["kind"] == "REVIEW_RECEIVED"
    ] == [(beneficiary.id, exchange)]
    assert [
        n for n in await notifications_of(api, beneficiary) if n["kind"] == "REVIEW_RECEIVED"
    ] == []
