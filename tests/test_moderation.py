"""The moderators' console: each decision and what it does, restoring a member, the log, and
everyone else refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from indigo.cli import change_moderators
from indigo.settings import Settings
from models import Database, Listing, Suspension
from models.columns import utcnow
from schema.ids import decode_id, encode_id
from tests.api import Api, SignedIn, error_codes
from tests.community import notifications_of, refused, sent
from tests.community import send as send_message
from tests.economy import books, exchange_of, members, post_listing, wallet, wallet_of
from tests.trust import codes, moderator, payload, send

PASSWORD = "correct horse battery"
HIDDEN_BODIES = """
query($id: ID!) {
  conversation(id: $id) { messages { edges { node { body hidden } } } }
}
"""


async def reported(api: Api, reporter: SignedIn, **target: str) -> str:
    filed = await payload(api, "Report", reporter, reason="SCAM", **target)
    assert filed["userErrors"] == [], filed["userErrors"]
    report_id: str = filed["report"]["id"]
    return report_id


async def resolve(
    api: Api, by: SignedIn | None, report: str, action: str, **more: Any
) -> dict[str, Any]:
    return await payload(
        api, "ResolveReport", by, reportId=report, action=action, reason="seen", **more
    )


async def log(api: Api, by: SignedIn) -> list[dict[str, Any]]:
    entries = (await send(api, "ModerationLog", token=by.token))["data"]["moderationLog"]
    return [edge["node"] for edge in entries["edges"]]


async def login(api: Api, member: SignedIn) -> dict[str, Any]:
    found: dict[str, Any] = (
        await api.data("Login", {"input": {"email": member.email, "password": PASSWORD}})
    )["login"]
    return found


def later(days: int = 7) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


async def listing_status(database: Database, listing: str) -> str:
    async with database.read() as session:
        row = await session.get(Listing, decode_id("Listing", listing))
    assert row is not None
    return row.status


async def test_dismissing_leaves_the_queue_and_is_logged(api: Api, database: Database) -> None:
    reporter, reported_member = await members(api, 2)
    moderating = await moderator(api, database, display_name="Mod")
    report = await reported(api, reporter, memberId=reported_member.id)

    dismissed = await resolve(api, moderating, report, "DISMISS")
    again = await resolve(api, moderating, report, "DISMISS")
    queue = (await send(api, "ModerationQueue", token=moderating.token))["data"]

    assert dismissed["report"]["status"] == "DISMISSED"
    assert codes(again) == [("INVALID_STATE", "reportId")]
    assert queue["moderationQueue"]["edges"] == []
    [entry] = await log(api, moderating)
    assert (entry["action"], entry["reason"], entry["suspendUntil"]) == ("DISMISS", "seen", None)
    assert (entry["moderator"]["id"], entry["member"]["id"]) == (moderating.id, reported_member.id)


async def test_hiding_a_listing_takes_it_out_of_sight_and_cancels_its_requests(
    api: Api, database: Database
) -> None:
    author, asker, reporter = await members(api, 3)
    moderating = await moderator(api, database)
    offer = await post_listing(api, author, "OFFER", 5)
    await exchange_of(api, "RequestExchange", asker, listingId=offer)
    report = await reported(api, reporter, listingId=offer)
    member_report = await reported(api, reporter, memberId=author.id)
    near = "query { nearby(near: {latitude: 48.85661, longitude: 2.35222}, radiusKm: 5) {%s} }"

    wrong_kind = await resolve(api, moderating, member_report, "HIDE_LISTING")
    hidden = await resolve(api, moderating, report, "HIDE_LISTING")

    assert codes(wrong_kind) == [("VALIDATION", "action")]
    assert hidden["report"]["status"] == "ACTIONED"
    assert hidden["report"]["listing"]["status"] == "HIDDEN"
    assert (await api.post(near % "edges { node { id } }"))["data"]["nearby"]["edges"] == []
    assert await wallet(api, asker) == wallet_of(20)
    by_author = await api.data("Listing", {"id": offer}, token=author.token)
    assert by_author["listing"]["status"] == "HIDDEN"
    for other in (None, asker.token):
        found = await api.client_op("Listing", {"id": offer}, token=other)
        assert error_codes(found) == ["BAD_USER_INPUT"]
    asked = await api.data("MyExchanges", token=asker.token)
    assert [e["node"]["status"] for e in asked["myExchanges"]["edges"]] == ["CANCELLED"]
    [entry] = await log(api, moderating)
    assert (entry["action"], entry["listing"]["id"]) == ("HIDE_LISTING", offer)


async def test_a_hidden_listing_is_its_authors_alone_as_if_it_did_not_exist(
    api: Api, database: Database
) -> None:
    author, other, reporter = await members(api, 3)
    moderating = await moderator(api, database)
    offer = await post_listing(api, author, "OFFER", 5)
    await resolve(api, moderating, await reported(api, reporter, listingId=offer), "HIDE_LISTING")
    never_issued = encode_id("Listing", decode_id("Listing", offer) + 1000)
    viewers = {"author": author.token, "other": other.token, "anonymous": None}

    by_id = {who: await send(api, "Listing", {"id": offer}, token=t) for who, t in viewers.items()}
    by_node = {
        who: await send(api, "NodeById", {"id": offer}, token=t) for who, t in viewers.items()
    }
    unknown = await send(api, "Listing", {"id": never_issued}, token=other.token)

    shown = by_id["author"]["data"]["listing"]
    assert (shown["id"], shown["status"]) == (offer, "HIDDEN")
    assert by_node["author"]["data"]["node"] == {
        "id": offer,
        "__typename": "Listing",
        "title": "offer for 5",
        "status": "HIDDEN",
    }
    # To anyone else, the same answer as for an id never issued.
    for who in ("other", "anonymous"):
        assert by_id[who]["data"] == unknown["data"] == {"listing": None}
        assert error_codes(by_id[who]) == error_codes(unknown) == ["BAD_USER_INPUT"]
        assert [e["message"] for e in by_id[who]["errors"]] == [
            e["message"] for e in unknown["errors"]
        ]
        assert by_node[who] == {"data": {"node": None}}


async def test_a_suspension_signs_out_hides_and_cancels_and_a_restore_undoes_what_it_can(
    api: Api, database: Database
) -> None:
    suspect, neighbour, reporter = await members(api, 3)
    moderating = await moderator(api, database)
    own_offer = await post_listing(api, suspect, "OFFER", 5)
    neighbours_offer = await post_listing(api, neighbour, "OFFER", 4)
    await exchange_of(api, "RequestExchange", suspect, listingId=neighbours_offer)
    accepted = await exchange_of(api, "RequestExchange", neighbour, listingId=own_offer)
    await exchange_of(api, "AcceptExchange", suspect, exchangeId=accepted["id"])
    report = await reported(api, reporter, memberId=suspect.id)
    until = later()

    missing_date = await resolve(api, moderating, report, "SUSPEND_MEMBER")
    past_date = await resolve(
        api, moderating, report, "SUSPEND_MEMBER", suspendUntil=utcnow().isoformat()
    )
    suspended = await resolve(api, moderating, report, "SUSPEND_MEMBER", suspendUntil=until)

    assert codes(missing_date) == [("VALIDATION", "suspendUntil")]
    assert codes(past_date) == [("VALIDATION", "suspendUntil")]
    assert suspended["report"]["status"] == "ACTIONED"
    assert error_codes(await api.client_op("Me", token=suspect.token)) == ["UNAUTHENTICATED"]
    refused = await login(api, suspect)
    assert (refused["token"], codes(refused)) == (None, [("SUSPENDED", None)])
    assert await listing_status(database, own_offer) == "HIDDEN"
    assert await wallet(api, neighbour) == wallet_of(20)
    mine = await api.data("MyExchanges", token=neighbour.token)
    assert [e["node"]["status"] for e in mine["myExchanges"]["edges"]] == ["CANCELLED"] * 2
    [entry] = await log(api, moderating)
    assert entry["action"] == "SUSPEND_MEMBER"
    assert entry["suspendUntil"] is not None
    outcome = await api.post(
        "{ moderationLog { edges { node { outcome } } } }", token=moderating.token
    )
    assert outcome["data"]["moderationLog"]["edges"][0]["node"]["outcome"] == (
        "sign-ins revoked: 1; listings hidden: 1; open exchanges cancelled: 2"
    )

    restored = await payload(
        api, "RestoreMember", moderating, memberId=suspect.id, reason="appeal upheld"
    )
    twice = await payload(api, "RestoreMember", moderating, memberId=suspect.id, reason="again")

    assert restored == {"member": {"id": suspect.id, "displayName": "Member 0"}, "userErrors": []}
    assert codes(twice) == [("INVALID_STATE", "memberId")]
    assert await listing_status(database, own_offer) == "OPEN"
    signed_in_again = await login(api, suspect)
    assert codes(signed_in_again) == []
    assert await wallet(api, SignedIn(signed_in_again["token"], suspect.id, suspect.email)) == (
        wallet_of(20)
    )
    outcome = await api.post(
        "{ moderationLog { edges { node { action reason outcome } } } }", token=moderating.token
    )
    assert outcome["data"]["moderationLog"]["edges"][0]["node"] == {
        "action": "RESTORE_MEMBER",
        "reason": "appeal upheld",
        "outcome": "suspension lifted; listings shown again: 1; exchanges cancelled by the "
        "suspension stay cancelled: 2; revoked sign-ins stay revoked: the member signs in again",
    }


async def test_a_moderator_cannot_suspend_themselves(api: Api, database: Database) -> None:
    reporter = await api.register()
    moderating = await moderator(api, database)
    report = await reported(api, reporter, memberId=moderating.id)

    refused = await resolve(api, moderating, report, "SUSPEND_MEMBER", suspendUntil=later())

    assert codes(refused) == [("VALIDATION", "action")]
    assert codes(await login(api, moderating)) == []


CONSOLE: list[tuple[str, dict[str, Any] | None]] = [
    ("ModerationQueue", {}),
    ("ModerationLog", {}),
    ("ResolveReport", None),
    ("RestoreMember", None),
]


@pytest.mark.parametrize(("operation", "variables"), CONSOLE, ids=[c[0] for c in CONSOLE])
async def test_the_console_is_refused_to_members_and_anonymous_callers(
    api: Api, database: Database, operation: str, variables: dict[str, Any] | None
) -> None:
    reporter, suspect = await members(api, 2)
    report = await reported(api, reporter, memberId=suspect.id)
    inputs = {
        "ResolveReport": {
            "reportId": report,
            "action": "SUSPEND_MEMBER",
            "reason": "no",
            "suspendUntil": later(),
        },
        "RestoreMember": {"memberId": suspect.id, "reason": "no"},
    }
    asked = variables if variables is not None else {"input": inputs[operation]}
    before = await books(database)

    anonymous = await send(api, operation, asked)
    by_member = await send(api, operation, asked, token=reporter.token)

    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert error_codes(by_member) == ["FORBIDDEN"]
    assert next(iter(by_member["data"].values())) is None
    assert await books(database) == before
    assert codes(await login(api, suspect)) == []
    moderating = await moderator(api, database)
    queue = (await send(api, "ModerationQueue", token=moderating.token))["data"]
    assert [e["node"]["status"] for e in queue["moderationQueue"]["edges"]] == ["OPEN"]


async def test_moderators_are_added_and_removed_from_the_command_line(
    api: Api, database: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    member = await api.register(email="mod@example.org")

    def run(add: bool, email: str) -> int:
        return change_moderators(settings, add=add, email=email)

    outcomes = [
        await asyncio.to_thread(run, True, "mod@example.org"),
        await asyncio.to_thread(run, True, "MOD@example.org"),
    ]
    granted = await send(api, "ModerationLog", token=member.token)
    outcomes += [
        await asyncio.to_thread(run, False, "mod@example.org"),
        await asyncio.to_thread(run, False, "mod@example.org"),
        await asyncio.to_thread(run, True, "nobody@example.org"),
    ]
    removed = await send(api, "ModerationLog", token=member.token)

    assert outcomes == [0, 0, 0, 0, 1]
    assert granted["data"]["moderationLog"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    assert error_codes(removed) == ["FORBIDDEN"]
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        "mod@example.org is a moderator",
        "MOD@example.org already was a moderator",
        "mod@example.org is no longer a moderator",
        "mod@example.org was not a moderator",
    ]
    assert printed.err == "indigo: no member has the email nobody@example.org\n"


async def test_a_suspension_that_ran_out_lets_the_member_sign_in(
    api: Api, database: Database
) -> None:
    reporter, suspect = await members(api, 2)
    moderating = await moderator(api, database)
    report = await reported(api, reporter, memberId=suspect.id)
    await resolve(api, moderating, report, "SUSPEND_MEMBER", suspendUntil=later())
    refused = await login(api, suspect)
    async with database.write() as session:
        await session.execute(update(Suspension).values(until=utcnow() - timedelta(seconds=1)))

    assert codes(refused) == [("SUSPENDED", None)]
    assert codes(await login(api, suspect)) == []


async def test_a_reported_message_is_hidden_and_its_author_told(
    api: Api, database: Database
) -> None:
    author, asker, outsider = await members(api, 3)
    moderating = await moderator(api, database)
    offer = await post_listing(api, author, "OFFER", 5)
    question = await sent(api, asker, "Still available?", listingId=offer)
    answer = await sent(
        api, author, "Call me on 06 00 00 00 00", conversationId=question["conversation"]["id"]
    )

    by_outsider = await payload(api, "Report", outsider, messageId=answer["id"], reason="SCAM")
    own = await payload(api, "Report", author, messageId=answer["id"], reason="SCAM")
    report = await reported(api, asker, messageId=answer["id"])
    queued = (await send(api, "ModerationQueue", token=moderating.token))["data"]
    wrong_kind = await resolve(api, moderating, report, "HIDE_LISTING")
    hidden = await resolve(api, moderating, report, "HIDE_MESSAGE")
    seen = await api.post(
        HIDDEN_BODIES,
        {"id": question["conversation"]["id"]},
        token=asker.token,
    )

    assert codes(by_outsider) == [("NOT_FOUND", "messageId")]
    assert codes(own) == [("VALIDATION", "messageId")]
    [queued_report] = [e["node"] for e in queued["moderationQueue"]["edges"]]
    assert queued_report["message"] == {"id": answer["id"], "body": answer["body"]}
    assert queued_report["member"]["id"] == author.id
    assert codes(wrong_kind) == [("VALIDATION", "action")]
    assert hidden["report"]["status"] == "ACTIONED"
    assert [e["node"] for e in seen["data"]["conversation"]["messages"]["edges"]] == [
        {"body": "Still available?", "hidden": False},
        {"body": "", "hidden": True},
    ]
    told = await notifications_of(api, author)
    assert [(n["kind"], n["actor"], n["message"]) for n in told if n["kind"] == "MODERATION"] == [
        ("MODERATION", None, {"id": answer["id"]})
    ]
    [entry] = await log(api, moderating)
    assert entry["action"] == "HIDE_MESSAGE"


async def test_a_suspended_member_cannot_be_written_to_and_is_told(
    api: Api, database: Database
) -> None:
    suspect, neighbour = await members(api, 2)
    moderating = await moderator(api, database)
    offer = await post_listing(api, suspect, "OFFER", 5)
    question = await sent(api, neighbour, "Hello", listingId=offer)
    report = await reported(api, neighbour, memberId=suspect.id)
    await resolve(api, moderating, report, "SUSPEND_MEMBER", suspendUntil=later())

    refused_message = await send_message(
        api, neighbour, "Are you there?", conversationId=question["conversation"]["id"]
    )
    restored = await payload(api, "RestoreMember", moderating, memberId=suspect.id, reason="ok")
    signed_in = await login(api, suspect)
    told = await notifications_of(api, SignedIn(signed_in["token"], suspect.id, suspect.email))

    assert refused(refused_message) == [("SUSPENDED", "conversationId")]
    assert restored["userErrors"] == []
    assert [n["kind"] for n in told if n["kind"] == "MODERATION"] == ["MODERATION"] * 2
