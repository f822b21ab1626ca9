"""Notifications: each event that concerns a member, stored for them in the transaction of
the event, pushed on their channel after it commits, and mailed as they chose (at once, in
the daily digest, or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import col, func, select

from models import (
    Delivery,
    Listing,
    Member,
    Notification,
    NotificationKind,
    NotificationSetting,
)
from models.columns import utcnow
from models.database import dialect
from models.lookups import rows_by_id, rows_held_or_read
from realtime.events import NotificationAdded
from resolvers.errors import DomainError, ErrorCode
from resolvers.feed_order import turns_taken
from resolvers.notification_texts import Told, notification_mail
from resolvers.outbox import OutgoingMail, enqueue_mails
from resolvers.pages import Page, newest_first
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_

NOTIFICATIONS_LINK = "/notifications"
SETTINGS_LINK = "/settings/notifications"

# What a member gets before choosing: mail at once for what waits on them, the rest in the
# daily digest.
DEFAULT_DELIVERY: dict[NotificationKind, Delivery] = {
    NotificationKind.EXCHANGE_REQUESTED: Delivery.EMAIL,
    NotificationKind.EXCHANGE_ACCEPTED: Delivery.EMAIL,
    NotificationKind.EXCHANGE_DECLINED: Delivery.DAILY_DIGEST,
    NotificationKind.EXCHANGE_CANCELLED: Delivery.EMAIL,
    NotificationKind.EXCHANGE_COMPLETED: Delivery.DAILY_DIGEST,
    NotificationKind.MESSAGE_RECEIVED: Delivery.EMAIL,
    NotificationKind.REVIEW_RECEIVED: Delivery.DAILY_DIGEST,
    NotificationKind.APPEAL_ANSWERED: Delivery.EMAIL,
    NotificationKind.ALERT_MATCH: Delivery.DAILY_DIGEST,
    NotificationKind.LISTING_EXPIRING: Delivery.EMAIL,
    NotificationKind.MODERATION: Delivery.EMAIL,
}


@dataclass
class _Batch:
    """The notifications of one unit of work, written as its last step."""

    work: UnitOfWork
    rows: list[Notification] = field(default_factory=list)

    async def __call__(self) -> None:
        await _write(self.work, self.rows)


def notify(
    work: UnitOfWork,
    member_id: int,
    kind: NotificationKind,
    *,
    actor_id: int | None = None,
    exchange_id: int | None = None,
    listing_id: int | None = None,
    message_id: int | None = None,
) -> None:
    """Tell `member_id` of an event, in the caller's unit of work.

    The notification is written as the transaction's last step (with its mail, if the member
    wants one at once, or marked for their daily digest), so it exists if and only if the
    event commits; it is pushed on the member's channel (`notificationAdded`) after the
    commit. `actor_id` is who caused it (left out of their own notifications: nobody is told
    of what they did themselves); the ids name what it is about.
    """
    if member_id == actor_id:
        return
    batch = work.before_commit("notifications", _Batch(work))
    assert isinstance(batch, _Batch)
    batch.rows.append(
        Notification(
            member_id=member_id,
            kind=kind,
            actor_id=actor_id,
            exchange_id=exchange_id,
            listing_id=listing_id,
            message_id=message_id,
        )
    )


_CHOSEN = select(
    col(NotificationSetting.member_id),
    col(NotificationSetting.kind),
    col(NotificationSetting.delivery),
)


async def _delivery_of(
    work: UnitOfWork, rows: list[Notification]
) -> dict[tuple[int, NotificationKind], Delivery]:
    """How each member wants each kind of the rows delivered. On PostgreSQL the same
    statement takes the members' feed turns (resolvers/feed_order.py), which the rows'
    insert needs held."""
    session = work.session
    members = {row.member_id for row in rows}
    query = _CHOSEN.where(col(NotificationSetting.member_id).in_(members))
    if dialect(session) == "postgresql":
        query = query.where(turns_taken(members))
    chosen = await session.execute(query)
    choices = {(member, NotificationKind(kind)): Delivery(how) for member, kind, how in chosen}
    pairs = {(row.member_id, NotificationKind(row.kind)) for row in rows}
    return {pair: choices.get(pair, DEFAULT_DELIVERY[pair[1]]) for pair in pairs}


# Built once, run with the rows as parameters: one statement for any number of rows, whose
# compiled form is cached (a multi-row VALUES is compiled again at every call).
_ADDED = insert(Notification).returning(col(Notification.id), sort_by_parameter_order=True)


async def _write(work: UnitOfWork, rows: list[Notification]) -> None:
    """The rows, and the mails of those their member wants at once, by plain inserts: no ORM
    object is flushed."""
    rows = sorted(rows, key=lambda row: row.member_id)
    deliveries = await _delivery_of(work, rows)
    delivery = [deliveries[row.member_id, NotificationKind(row.kind)] for row in rows]
    connection = await work.session.connection()
    added = await connection.scalars(
        _ADDED,
        [
            row.model_dump(exclude={"id"}) | {"digest_pending": how is Delivery.DAILY_DIGEST}
            for row, how in zip(rows, delivery, strict=True)
        ],
    )
    mailed = [row for row, how in zip(rows, delivery, strict=True) if how is Delivery.EMAIL]
    await enqueue_mails(work, await _mails_at_once(work, mailed))
    for row, notification_id in zip(rows, added.all(), strict=True):
        assert notification_id is not None
        work.publish_after_commit(NotificationAdded(notification_id, row.member_id))


def actor_ids(rows: Sequence[Notification]) -> set[int]:
    return {r.actor_id for r in rows if r.actor_id is not None}


async def told(work: UnitOfWork, rows: Sequence[Notification]) -> list[Told]:
    """What each notification names, by name, for its text; rows the unit of work already
    read are not read again."""
    members = await rows_held_or_read(work.session, Member, actor_ids(rows))
    listings = await rows_held_or_read(
        work.session, Listing, {r.listing_id for r in rows if r.listing_id is not None}
    )
    names = {i: m.display_name for i, m in members.items()}
    titles = {i: listing.title for i, listing in listings.items()}
    return [
        Told(
            NotificationKind(r.kind),
            actor=names.get(r.actor_id) if r.actor_id is not None else None,
            listing=titles.get(r.listing_id) if r.listing_id is not None else None,
        )
        for r in rows
    ]


async def _mails_at_once(work: UnitOfWork, rows: list[Notification]) -> list[OutgoingMail]:
    """The mails of these notifications."""
    if not rows:
        return []
    # The actors with them, so that `told` finds them read.
    recipients = await rows_held_or_read(
        work.session, Member, {r.member_id for r in rows} | actor_ids(rows)
    )
    mails = []
    for row, what in zip(rows, await told(work, rows), strict=True):
        member = recipients[row.member_id]
        mail = notification_mail(
            what,
            name=member.display_name,
            language=member.language,
            link=work.mail.link(NOTIFICATIONS_LINK),
            settings=work.mail.link(SETTINGS_LINK),
        )
        mails.append(OutgoingMail(member.email, mail.subject, mail.body, member.id))
    return mails


async def my_notifications(
    services: Services,
    member_id: int,
    *,
    unread_only: bool,
    first: int,
    before: int | None = None,
) -> Page[Notification]:
    """The member's notifications, newest first; `before` is the id of the last one seen."""
    query = newest_first(
        select(Notification).where(col(Notification.member_id) == member_id),
        col(Notification.id),
        first,
        before,
    )
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def unread_count(services: Services, member_id: int) -> int:
    async with services.db.lookups() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    col(Notification.member_id) == member_id,
                    col(Notification.read_at).is_(None),
                )
            )
            or 0
        )


async def mark_read(services: Services, member_id: int, up_to: int | None) -> int:
    """Mark read the member's notifications up to and including id `up_to` (all if None):
    the number still unread. NOT_FOUND for an id that is not one of theirs."""
    now: datetime = utcnow()
    async with services.unit_of_work() as work:
        if up_to is not None:
            named = await work.session.get(Notification, up_to)
            if named is None or named.member_id != member_id:
                raise DomainError.of(
                    ErrorCode.NOT_FOUND, N_("no notification of yours has this id"), "upToId"
                )
        statement = update(Notification).where(
            col(Notification.member_id) == member_id, col(Notification.read_at).is_(None)
        )
        if up_to is not None:
            statement = statement.where(col(Notification.id) <= up_to)
        await work.session.execute(statement.values(read_at=now))
    return await unread_count(services, member_id)


async def get_notifications(
    services: Services, notification_ids: list[int], member_id: int
) -> list[Notification | None]:
    """The notifications with these ids, in the same order: None where there is none or it
    is not `member_id`'s (no one else may see it)."""
    async with services.db.lookups() as session:
        return await rows_by_id(
            session, Notification, notification_ids, col(Notification.member_id) == member_id
        )
