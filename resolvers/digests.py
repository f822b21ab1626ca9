"""The daily digest: one mail a day per member, of the notifications they chose to receive
that way."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from models import Member, Notification
from resolvers.notification_texts import digest_mail
from resolvers.notifications import NOTIFICATIONS_LINK, SETTINGS_LINK, told
from resolvers.outbox import OutgoingMail, enqueue_mails
from resolvers.scheduler import Job
from resolvers.services import Services


def next_midnight(now: datetime) -> datetime:
    """Digests go out at midnight UTC."""
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)


async def send_daily_digests(services: Services, due: datetime) -> None:
    """Mail each member the notifications waiting for their digest created before `due`,
    and mark them sent: each member's mail and marks in one transaction, so a run cut short
    and run again mails nobody twice."""
    async with services.db.read() as session:
        waiting = (
            await session.scalars(
                select(col(Notification.member_id))
                .where(col(Notification.digest_pending), col(Notification.created_at) < due)
                .distinct()
            )
        ).all()
    for member_id in waiting:
        await _digest(services, member_id, due)


async def _digest(services: Services, member_id: int, due: datetime) -> None:
    async with services.unit_of_work() as work:
        rows = (
            await work.session.scalars(
                select(Notification)
                .where(
                    col(Notification.member_id) == member_id,
                    col(Notification.digest_pending),
                    col(Notification.created_at) < due,
                )
                .order_by(col(Notification.id))
            )
        ).all()
        member = await work.session.get(Member, member_id)
        if not rows or member is None:
            return
        marked = await work.session.execute(
            update(Notification)
            .where(
                col(Notification.id).in_([r.id for r in rows]),
                col(Notification.digest_pending),
            )
            .values(digest_pending=False)
        )
        if getattr(marked, "rowcount", 0) != len(rows):
            return  # another run took some of them meanwhile: it mails them
        mail = digest_mail(
            await told(work, rows),
            name=member.display_name,
            language=member.language,
            link=work.mail.link(NOTIFICATIONS_LINK),
            settings=work.mail.link(SETTINGS_LINK),
        )
        await enqueue_mails(work, [OutgoingMail(member.email, mail.subject, mail.body, member_id)])


DAILY_DIGEST = Job(
    "daily-digest", send_daily_digests, every=timedelta(days=1), first_due=next_midnight
)
