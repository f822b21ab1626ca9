"""The mail outbox: a mail is written in the transaction of what causes it, and sent later,
never inside a request, by the process that runs the scheduled jobs.

Each mail is claimed before it is sent (its next attempt pushed past the time a send may
take, by a conditional update), so two senders, say one whose lease ran out mid-send and its
successor, never both send it. A failed attempt waits `retry_seconds`, doubled after each
failure up to an hour, then tries again; a mail waits in the database through restarts and
an SMTP server that is down, until it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter, Gauge
from sqlalchemy import insert, update
from sqlmodel import col, func, select

from models import Database, Mail
from models.columns import utcnow
from realtime.events import MailQueued
from resolvers.mail import SMTP_TIMEOUT_SECONDS, MailSettings, Postman, postman_for
from resolvers.scheduler import Job
from resolvers.services import Services, UnitOfWork

log = logging.getLogger("indigo.outbox")

MAX_RETRY = timedelta(hours=1)
# Longer than one send may take (connecting and sending have their timeouts), so a claim
# outlives its send.
CLAIM = timedelta(seconds=3 * SMTP_TIMEOUT_SECONDS)
BATCH = 50

MAILS_SENT = Counter("indigo_mails_sent", "Mails handed over to the SMTP server")
MAIL_FAILURES = Counter(
    "indigo_mail_failures", "Attempts to hand a mail over that failed (it is tried again)"
)
# Written by whichever process sends, after each pass: the last one written is the truth.
OUTBOX_DEPTH = Gauge(
    "indigo_mail_outbox_depth",
    "Mails waiting in the outbox to be sent, as the last pass over it left them",
    multiprocess_mode="mostrecent",
)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to_address: str
    subject: str
    body: str
    member_id: int | None = None


# Built once, run with the mails as parameters: one statement for any number of them.
_QUEUED = insert(Mail)


async def enqueue_mails(work: UnitOfWork, mails: Sequence[OutgoingMail]) -> None:
    """Put plain-text mails in the outbox, in the caller's transaction: they are sent after
    that transaction commits, and never if it rolls back. Links in a body come from
    `MailSettings.link`."""
    if not mails:
        return
    now = utcnow()
    await work.session.execute(
        _QUEUED,
        [
            {
                "member_id": mail.member_id,
                "to_address": mail.to_address,
                "subject": mail.subject,
                "body": mail.body,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            }
            for mail in mails
        ],
    )
    if MailQueued() not in work.pending:
        work.publish_after_commit(MailQueued())


def retry_delay(settings: MailSettings, attempts: int) -> timedelta:
    """The wait before the next attempt, after `attempts` failed ones."""
    seconds = settings.retry_seconds * 2 ** min(attempts - 1, 20)
    return min(timedelta(seconds=seconds), MAX_RETRY)


async def send_due_mail(
    sessions: Database, settings: MailSettings, postman: Postman, *, now: datetime
) -> int:
    """Send every mail due by `now`, oldest first, one batch at a time: the number sent."""
    try:
        sent = await _send_due(sessions, settings, postman, now)
    finally:
        await postman.close()
    async with sessions.read() as session:
        waiting = await session.scalar(
            select(func.count()).select_from(Mail).where(col(Mail.sent_at).is_(None))
        )
    OUTBOX_DEPTH.set(waiting or 0)
    return sent


async def _send_due(
    sessions: Database, settings: MailSettings, postman: Postman, now: datetime
) -> int:
    sent = 0
    while True:
        async with sessions.read() as session:
            due = (
                await session.scalars(
                    select(Mail)
                    .where(col(Mail.sent_at).is_(None), col(Mail.next_attempt_at) <= now)
                    .order_by(col(Mail.next_attempt_at), col(Mail.id))
                    .limit(BATCH)
                )
            ).all()
        for mail in due:
            if await _claim(sessions, mail):
                sent += await _attempt(sessions, settings, postman, mail)
        if len(due) < BATCH:
            return sent


async def _claim(sessions: Database, mail: Mail) -> bool:
    async with sessions.write() as session:
        claimed = await session.execute(
            update(Mail)
            .where(
                col(Mail.id) == mail.id,
                col(Mail.sent_at).is_(None),
                col(Mail.next_attempt_at) == mail.next_attempt_at,
            )
            .values(next_attempt_at=utcnow() + CLAIM, attempts=col(Mail.attempts) + 1)
        )
    return bool(getattr(claimed, "rowcount", 0))


async def _attempt(
    sessions: Database, settings: MailSettings, postman: Postman, mail: Mail
) -> int:
    try:
        await postman.send(mail)
    except Exception as error:  # any failure to hand it over: try again later
        attempts = mail.attempts + 1
        wait = retry_delay(settings, attempts)
        log.warning("mail %s: attempt %d failed (%s); next in %s", mail.id, attempts, error, wait)
        MAIL_FAILURES.inc()
        values: dict[str, object] = {
            "next_attempt_at": utcnow() + wait,
            "last_error": str(error)[:500] or type(error).__name__,
        }
        sent = 0
    else:
        values = {"sent_at": utcnow(), "last_error": None}
        sent = 1
        MAILS_SENT.inc()
    async with sessions.write() as session:
        await session.execute(update(Mail).where(col(Mail.id) == mail.id).values(**values))
    return sent


async def send_mail(services: Services, due: datetime) -> None:
    """The scheduler's job: send what is due."""
    await send_due_mail(services.db, services.mail, postman_for(services.mail), now=due)


SEND_MAIL = Job("send-mail", send_mail)
