"""What every business rule runs against: the database, the economy and the event hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import event as sqlalchemy_events
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import Database, Listing, ListingType
from realtime.events import Event, routes
from realtime.hub import Hub
from resolvers.economy import Economy


@dataclass
class UnitOfWork:
    """One transaction, and the events to publish once (and only if) it commits."""

    session: AsyncSession
    pending: list[Event] = field(default_factory=list)

    def publish_after_commit(self, event: Event) -> None:
        self.pending.append(event)


@dataclass(frozen=True)
class Platform:
    db: Database
    economy: Economy
    hub: Hub

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.db.write() as session:
            if not self.db.is_sqlite:
                sqlalchemy_events.listen(
                    session.sync_session, "before_flush", _appeals_in_commit_order
                )
            work = UnitOfWork(session)
            yield work
        for event in work.pending:
            for channel, message in routes(event):
                await self.hub.publish(channel, message)


# The appeal feed's cursor is the appeal's id, so appeals must commit in the order of their
# ids, or a feed resuming after id 11 would skip an id 10 that committed later. SQLite's
# BEGIN IMMEDIATE already lets one writer at a time; PostgreSQL draws an id at insert, so
# transactions inserting an appeal take turns on this lock, held until they commit.
APPEAL_ORDER_LOCK = 0x1D160_A99E


def _appeals_in_commit_order(session: Session, *_: object) -> None:
    if any(isinstance(row, Listing) and row.type == ListingType.APPEAL for row in session.new):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEAL_ORDER_LOCK})
