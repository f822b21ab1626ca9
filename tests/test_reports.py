"""Reports: any member reports a member or a listing; moderators see the open ones in order."""

from __future__ import annotations

from sqlmodel import func, select

from models import Database, Report
from tests.api import Api
from tests.economy import members, post_listing
from tests.trust import codes, moderator, payload, send


async def report_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Report)) or 0


async def test_reports_of_a_member_and_of_a_listing_wait_in_the_queue_oldest_first(
    api: Api, database: Database
) -> None:
    reporter, spammer, author = await members(api, 3)
    listing = await post_listing(api, author, "OFFER", 5)
    moderating = await moderator(api, database)

    of_member = await payload(
        api, "Report", reporter, memberId=spammer.id, reason="SPAM", details=" sends ads "
    )
    of_listing = await payload(api, "Report", reporter, listingId=listing, reason="SCAM")
    first = (await send(api, "ModerationQueue", {"first": 1}, token=moderating.token))["data"]
    rest = (
        await send(
            api,
            "ModerationQueue",
            {"first": 1, "after": first["moderationQueue"]["pageInfo"]["endCursor"]},
            token=moderating.token,
        )
    )["data"]

    assert codes(of_member) == []
    assert codes(of_listing) == []
    assert (of_member["report"]["reason"], of_member["report"]["status"]) == ("SPAM", "OPEN")
    [oldest] = [edge["node"] for edge in first["moderationQueue"]["edges"]]
    assert first["moderationQueue"]["pageInfo"]["hasNextPage"] is True
    assert oldest["id"] == of_member["report"]["id"]
    assert oldest["details"] == "sends ads"
    assert (oldest["reporter"]["id"], oldest["member"]["id"], oldest["listing"]) == (
        reporter.id,
        spammer.id,
        None,
    )
    [newest] = [edge["node"] for edge in rest["moderationQueue"]["edges"]]
    assert rest["moderationQueue"]["pageInfo"]["hasNextPage"] is False
    assert newest["id"] == of_listing["report"]["id"]
    assert newest["member"]["id"] == author.id  # a listing's report concerns its author
    assert newest["listing"] == {"id": listing, "title": "offer for 5", "status": "OPEN"}


async def test_a_report_names_exactly_one_thing_that_exists_and_is_not_ones_own(
    api: Api, database: Database
) -> None:
    reporter, other = await members(api, 2)
    own = await post_listing(api, reporter, "OFFER", 5)

    nothing = await payload(api, "Report", reporter, reason="OTHER")
    two = await payload(api, "Report", reporter, memberId=other.id, listingId=own, reason="OTHER")
    yourself = await payload(api, "Report", reporter, memberId=reporter.id, reason="OTHER")
    your_listing = await payload(api, "Report", reporter, listingId=own, reason="OTHER")
    unknown = await payload(api, "Report", reporter, memberId="TWVtYmVyOjk5OTk=", reason="SPAM")
    too_long = await payload(
        api, "Report", reporter, memberId=other.id, reason="SPAM", details="x" * 1001
    )
    anonymous = await send(api, "Report", {"input": {"memberId": other.id, "reason": "SPAM"}})

    assert codes(nothing) == [("VALIDATION", "memberId")]
    assert codes(two) == [("VALIDATION", "listingId")]
    assert codes(yourself) == [("VALIDATION", "memberId")]
    assert codes(your_listing) == [("VALIDATION", "listingId")]
    assert codes(unknown) == [("NOT_FOUND", "memberId")]
    assert codes(too_long) == [("VALIDATION", "details")]
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert await report_count(database) == 0


async def test_a_repeated_idempotency_key_files_one_report(api: Api, database: Database) -> None:
    reporter, other = await members(api, 2)

    first = await payload(
        api, "Report", reporter, memberId=other.id, reason="SPAM", idempotencyKey="r1"
    )
    repeat = await payload(
        api, "Report", reporter, memberId=other.id, reason="SPAM", idempotencyKey="r1"
    )
    reused = await payload(
        api, "Report", reporter, memberId=other.id, reason="SCAM", idempotencyKey="r1"
    )

    assert repeat == first
    assert codes(reused) == [("VALIDATION", "idempotencyKey")]
    assert await report_count(database) == 1
