"""What a signed-in member hears on their own channel: their exchanges and their wallet, and
with replay (resolvers/feeds.py) their messages and notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Mapped
from sqlmodel import col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from models import ConversationMember, Exchange, Message, Notification
from models.columns import utcnow
from realtime.channels import member_channel
from resolvers import exchanges, ledger
from resolvers.feeds import FeedSource, replayed_then_live
from resolvers.services import Services

T = TypeVar("T", Message, Notification)
REPLAY_PAGE = 100


async def exchange_updates(
    services: Services, member_id: int, on_overflow: Callable[[], None]
) -> AsyncIterator[Exchange]:
    """Each exchange of this member, as it stands when its change is announced; and after the
    broadcaster reconnects, every one changed since the last sent (those announcements were
    lost while it was down)."""
    since = utcnow()
    async with services.hub.listen([member_channel(member_id)], on_overflow) as listener:
        async for notice in listener:
            exchange_id = notice.body.get("exchange")
            found: Sequence[Exchange | None]
            if isinstance(exchange_id, int):
                found = await exchanges.get_exchanges(services, [exchange_id], member_id)
            elif "resync" in notice.body:
                found = await _changed_since(services, member_id, since)
            else:
                continue
            for exchange in found:
                if exchange is not None:
                    since = max(since, exchange.updated_at)
                    yield exchange


async def _changed_since(services: Services, member_id: int, since: datetime) -> list[Exchange]:
    party = or_(col(Exchange.provider_id) == member_id, col(Exchange.beneficiary_id) == member_id)
    async with services.db.read() as session:
        changed = await session.scalars(
            select(Exchange)
            .where(party, col(Exchange.updated_at) > since)
            .order_by(col(Exchange.updated_at), col(Exchange.id))
        )
        return list(changed.all())


async def wallet_updates(
    services: Services, member_id: int, on_overflow: Callable[[], None]
) -> AsyncIterator[ledger.Wallet]:
    """This member's wallet after each change to it, and after the broadcaster reconnects
    (changes announced while it was down were lost)."""
    async with services.hub.listen([member_channel(member_id)], on_overflow) as listener:
        async for notice in listener:
            if notice.body.get("wallet") == member_id or "resync" in notice.body:
                async with services.db.read() as session:
                    wallet = await ledger.wallet(session, member_id)
                yield wallet


def _notifications(member_id: int) -> SelectOfScalar[Notification]:
    return select(Notification).where(col(Notification.member_id) == member_id)


def _messages(member_id: int) -> SelectOfScalar[Message]:
    return (
        select(Message)
        .join(
            ConversationMember,
            col(ConversationMember.conversation_id) == col(Message.conversation_id),
        )
        .where(col(ConversationMember.member_id) == member_id)
    )


async def _latest(services: Services, rows: SelectOfScalar[T], cursor: Mapped[int | None]) -> int:
    async with services.db.read() as session:
        return await session.scalar(rows.with_only_columns(func.max(cursor))) or 0


async def _replay(
    services: Services, rows: SelectOfScalar[T], cursor: Mapped[int | None], after: int
) -> AsyncIterator[tuple[T | None, int]]:
    while True:
        async with services.db.read() as session:
            page = (
                await session.scalars(
                    rows.where(cursor > after).order_by(cursor).limit(REPLAY_PAGE)
                )
            ).all()
        for row in page:
            assert row.id is not None
            after = row.id
            yield row, row.id
        if len(page) < REPLAY_PAGE:
            return


async def _member_feed(
    services: Services,
    member_id: int,
    key: str,
    rows: SelectOfScalar[T],
    cursor: Mapped[int | None],
    after: int | None,
    on_overflow: Callable[[], None],
) -> AsyncIterator[T]:
    source: FeedSource[T] = FeedSource(
        key, partial(_latest, services, rows, cursor), partial(_replay, services, rows, cursor)
    )
    listen = services.hub.listen([member_channel(member_id)], on_overflow)
    async for row in replayed_then_live(listen, source, after):
        yield row


def notification_feed(
    services: Services, member_id: int, after: int | None, on_overflow: Callable[[], None]
) -> AsyncIterator[Notification]:
    """Each new notification of this member, in order; with `after` (a notification id),
    first those since then."""
    rows = _notifications(member_id)
    return _member_feed(
        services, member_id, "notification", rows, col(Notification.id), after, on_overflow
    )


def message_feed(
    services: Services, member_id: int, after: int | None, on_overflow: Callable[[], None]
) -> AsyncIterator[Message]:
    """Each new message this member sends or receives, in order; with `after` (a message
    id), first those since then."""
    rows = _messages(member_id)
    return _member_feed(services, member_id, "message", rows, col(Message.id), after, on_overflow)
