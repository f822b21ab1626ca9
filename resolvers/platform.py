"""What every business rule runs against: the database, the economy, the event hub, and
what this process has learnt of where listings are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from models import Database
from realtime.events import Event, routes
from realtime.hub import Hub
from resolvers.economy import Economy
from resolvers.rings import RingHints


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
    rings: RingHints = field(default_factory=RingHints)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.db.write() as session:
            work = UnitOfWork(session)
            yield work
        for event in work.pending:
            for channel, message in routes(event):
                await self.hub.publish(channel, message)
