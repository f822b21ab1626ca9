"""Mail goes out from the outbox, by one sender, against a real SMTP server: once each, none
twice, none lost while the server is down."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from starlette.applications import Starlette

from models import Database, Mail, ScheduledJob
from models.columns import utcnow
from realtime.hub import Hub
from resolvers.account_mail import CONFIRMATION_SUBJECTS
from resolvers.economy import Economy
from resolvers.scheduler import Job, Scheduler
from resolvers.services import Services
from tests.api import CLIENT_DOCUMENTS, Api, SignedIn
from tests.community import notifications_of, sent
from tests.economy import exchange_of, post_listing
from tests.metrics import Samples, read_metrics, value
from tests.polling import until
from tests.smtp_server import PUBLIC_URL, SmtpServer, text_of

MAIL_FAILURES = "indigo_mail_failures_total"


async def unsent(database: Database) -> list[Mail]:
    """The mails not sent yet, but the address confirmations that registrations mail."""
    async with database.read() as session:
        waiting = await session.scalars(
            select(Mail).where(
                col(Mail.sent_at).is_(None),
                col(Mail.subject).not_in(CONFIRMATION_SUBJECTS),
            )
        )
        return list(waiting.all())


async def test_a_request_mails_the_listing_author_at_once_and_once(
    mailing: Api, mailing_app: Starlette, smtp: SmtpServer, database: Database
) -> None:
    alice = await mailing.register(email="alice@example.org", display_name="Alice")
    bob = await mailing.register(email="bob@example.org", display_name="Bob")
    listing = await post_listing(mailing, alice, "OFFER", 5)

    await exchange_of(mailing, "RequestExchange", bob, listingId=listing)

    await until(lambda: len(smtp.inbox.mails) == 1)
    mail = smtp.inbox.mails[0]
    assert mail["To"] == "alice@example.org"
    assert mail["Subject"] == "Indigo: Bob asked for “offer for 5”"
    assert f"{PUBLIC_URL}/notifications" in text_of(mail)
    for _ in range(3):
        await mailing_app.state.scheduler.tick()
    assert len(smtp.inbox.mails) == 1
    assert await unsent(database) == []


async def test_mail_waits_while_the_server_is_down_then_goes_out_once_each(
    mailing: Api, smtp: SmtpServer, database: Database
) -> None:
    authors = [await mailing.register(display_name=f"Author {i}") for i in range(3)]
    bob = await mailing.register(display_name="Bob")

    # A send is counted before the database records it, so compare them when every mail
    # queued so far (the registrations' confirmations) is sent, and none is under way.
    async def all_sent_so_far() -> bool:
        attempts, sent = await tally(database)
        return attempts == sent == 4

    await until(all_sent_so_far)
    metrics_before, tally_before = await read_metrics(mailing.http), await tally(database)
    smtp.stop()

    for author in authors:
        listing = await post_listing(mailing, author, "OFFER", 1)
        await exchange_of(mailing, "RequestExchange", bob, listingId=listing)

    # An attempt counts as it is claimed, before it fails: count the failures themselves, or
    # a second attempt still under way when the server comes back would be taken for one.
    async def all_tried_and_failed() -> bool:
        waiting = await unsent(database)
        failed = grew(metrics_before, await read_metrics(mailing.http), MAIL_FAILURES)
        return len(waiting) == 3 and all(m.attempts >= 2 for m in waiting) and failed >= 6

    await until(all_tried_and_failed)
    smtp.start()

    async def all_sent() -> bool:
        return await unsent(database) == []

    await until(lambda: len(smtp.inbox.mails) == 3)
    await until(all_sent)
    assert sorted(m["To"] for m in smtp.inbox.mails) == sorted(a.email for a in authors)
    assert len({m["Message-ID"] for m in smtp.inbox.mails}) == 3

    # /metrics tells the same story as the outbox: each failed attempt, each mail sent, and
    # nothing left waiting once the pass that sent the last one is over.
    async def nothing_waits() -> bool:
        metrics_now = await read_metrics(mailing.http)
        return value(metrics_now, "indigo_mail_outbox_depth") == 0

    await until(nothing_waits)
    metrics_after, tally_after = await read_metrics(mailing.http), await tally(database)
    (attempts_before, sent_before), (attempts_after, sent_after) = tally_before, tally_after
    attempts, mails_sent = attempts_after - attempts_before, sent_after - sent_before
    assert mails_sent >= 3
    assert grew(metrics_before, metrics_after, "indigo_mails_sent_total") == mails_sent
    failures = attempts - mails_sent
    assert grew(metrics_before, metrics_after, MAIL_FAILURES) == failures
    assert failures >= 6


async def tally(database: Database) -> tuple[int, int]:
    """Attempts to send, and mails sent, over the whole outbox."""
    async with database.read() as session:
        mails = (await session.scalars(select(Mail))).all()
    return sum(m.attempts for m in mails), sum(m.sent_at is not None for m in mails)


def grew(before: Samples, after: Samples, name: str) -> float:
    return value(after, name) - value(before, name)


@pytest.fixture
def services(database: Database) -> Services:
    """The services of a process that runs no scheduler of its own."""
    return Services(db=database, economy=Economy(), hub=Hub("memory://"))


async def test_one_process_at_a_time_runs_the_jobs(services: Services) -> None:
    first, second = (Scheduler(services, [], holder=name) for name in ("first", "second"))

    assert (await first.tick(), await second.tick(), await first.tick()) == (True, False, True)
    await first._release()
    assert (await second.tick(), await first.tick()) == (True, False)


async def test_a_restart_neither_skips_nor_repeats_a_due_run(services: Services) -> None:
    runs: list[datetime] = []

    async def record(_: Services, due: datetime) -> None:
        runs.append(due)

    start = utcnow() - timedelta(hours=2, minutes=30)
    job = Job("record", record, every=timedelta(hours=1), first_due=lambda _: start)

    assert await Scheduler(services, [job], holder="before").tick()
    assert runs == [start, start + timedelta(hours=1), start + timedelta(hours=2)]
    restarted = Scheduler(services, [job], holder="after")
    await Scheduler(services, [], holder="before")._release()
    assert await restarted.tick()
    assert runs == [start, start + timedelta(hours=1), start + timedelta(hours=2)]


async def _choose(api: Api, member: SignedIn, **deliveries: str) -> None:
    settings = [{"kind": kind, "delivery": delivery} for kind, delivery in deliveries.items()]
    payload = (
        await api.data(
            "UpdateNotificationSettings", {"input": {"settings": settings}}, token=member.token
        )
    )["updateNotificationSettings"]
    assert payload["userErrors"] == []


async def test_a_member_who_chose_the_app_only_gets_no_mail(
    mailing: Api, mailing_app: Starlette, smtp: SmtpServer, database: Database
) -> None:
    alice = await mailing.register(display_name="Alice")
    bob = await mailing.register(display_name="Bob")
    await _choose(mailing, alice, EXCHANGE_REQUESTED="APP")
    listing = await post_listing(mailing, alice, "OFFER", 5)

    await exchange_of(mailing, "RequestExchange", bob, listingId=listing)
    for _ in range(3):
        await mailing_app.state.scheduler.tick()

    assert len(await notifications_of(mailing, alice)) == 1
    assert smtp.inbox.mails == []
    async with database.read() as session:
        subjects = (await session.scalars(select(col(Mail.subject)))).all()
    assert set(subjects) <= CONFIRMATION_SUBJECTS


async def test_the_daily_digest_groups_the_day_in_one_mail(
    mailing: Api, mailing_app: Starlette, smtp: SmtpServer, database: Database
) -> None:
    alice = await mailing.register(email="alice@example.org", display_name="Alice")
    bob = await mailing.register(display_name="Bob")
    await _choose(
        mailing, alice, EXCHANGE_REQUESTED="DAILY_DIGEST", MESSAGE_RECEIVED="DAILY_DIGEST"
    )
    listing = await post_listing(mailing, alice, "OFFER", 5)
    await sent(mailing, bob, "Is it still there?", listingId=listing)
    await exchange_of(mailing, "RequestExchange", bob, listingId=listing)
    await mailing_app.state.scheduler.tick()
    assert smtp.inbox.mails == []

    async with database.write() as session:  # midnight comes
        await session.execute(
            update(ScheduledJob)
            .where(col(ScheduledJob.name) == "daily-digest")
            .values(next_run_at=utcnow())
        )
    await until(lambda: len(smtp.inbox.mails) == 1)
    for _ in range(3):
        await mailing_app.state.scheduler.tick()

    [digest] = smtp.inbox.mails
    assert (digest["To"], digest["Subject"]) == ("alice@example.org", "Indigo: your day")
    assert "- Bob sent you a message\n- Bob asked for “offer for 5”\n" in text_of(digest)


async def test_mail_is_in_the_language_the_member_registered_in(
    mailing: Api, smtp: SmtpServer
) -> None:
    registered = await mailing.http.post(
        "/graphql",
        json={
            "query": CLIENT_DOCUMENTS["Register"],
            "variables": {
                "input": {
                    "email": "amelie@example.org",
                    "password": "correct horse battery",
                    "displayName": "Amélie",
                }
            },
        },
        headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"},
    )
    payload = registered.json()["data"]["register"]
    amelie = SignedIn(payload["token"], payload["member"]["id"], "amelie@example.org")
    bob = await mailing.register(display_name="Bob")
    listing = await post_listing(mailing, amelie, "OFFER", 5)

    await exchange_of(mailing, "RequestExchange", bob, listingId=listing)

    await until(lambda: len(smtp.inbox.mails) == 1)
    [mail] = smtp.inbox.mails
    assert mail["Subject"] == "Indigo: Bob a demandé « offer for 5 »"
    assert text_of(mail).startswith("Bonjour Amélie,\n\nBob a demandé « offer for 5 »\n")
