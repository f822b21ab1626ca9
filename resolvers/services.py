"""What every business rule runs against: the database, the settings of each rule (the
economy, rate limits, lifetimes, mail), the event hub, and what this process has learnt of
where listings are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from models import Database
from realtime.events import Event, routes
from realtime.hub import Hub
from resolvers.economy import Economy
from resolvers.lifetimes import Lifetimes
from resolvers.mail import MailSettings
from resolvers.rate_limits import RateLimits
from resolvers.rings import RingHints


@dataclass
class UnitOfWork:
    """One transaction, and the events to publish once (and only if) it commits."""

    session: AsyncSession
    mail: MailSettings = field(default_factory=MailSettings)
    pending: list[Event] = field(default_factory=list)
    finishing: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)

    def publish_after_commit(self, event: Event) -> None:
        self.pending.append(event)

    def before_commit(
        self, name: str, finish: Callable[[], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        """Run `finish` once, as the last step of the transaction, and return it; if `name`
        was registered already, that first one runs and is returned instead. For what must
        be written last, such as notifications, whose feed order takes a lock best held for
        the shortest time."""
        return self.finishing.setdefault(name, finish)


@dataclass(frozen=True)
class Services:
    db: Database
    economy: Economy
    hub: Hub
    rings: RingHints = field(default_factory=RingHints)
    mail: MailSettings = field(default_factory=MailSettings)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    lifetimes: Lifetimes = field(default_factory=Lifetimes)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.db.write() as session:
            work = UnitOfWork(session, self.mail)
            yield work
            for finish in work.finishing.values():
                await finish()
        await self.publish(work.pending)

    async def publish(self, events: Iterable[Event]) -> None:
        """Publish committed changes, in this order (a unit of work does it for its own)."""
        routed = [route for event in events for route in routes(event)]
        if routed:
            await self.hub.publish_in_order(routed)
