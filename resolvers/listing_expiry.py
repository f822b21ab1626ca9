"""Listings expire `listing_ttl_days` after they were posted or renewed; their authors are
told `REMINDER` before. Both run at every tick of the scheduler, and each is safe to run
again: a listing is expired, or its author reminded, once, whatever restarts in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from models import Listing, ListingStatus, NotificationKind
from models.columns import utcnow
from models.locks import lock_listing, lock_listings
from resolvers.listing_lifecycle import end_listing
from resolvers.notifications import notify
from resolvers.scheduler import Job
from resolvers.services import Services

REMINDER = timedelta(days=3)
BATCH = 100


async def expire_due_listings(services: Services, now: datetime | None = None) -> list[int]:
    """Expire every open listing whose time has come, each in a unit of work of its own
    (its requested exchanges cancelled with it). The ids of the listings expired."""
    now = now or utcnow()
    expired: list[int] = []
    while True:
        async with services.db.lookups() as session:
            due = (
                await session.scalars(
                    select(col(Listing.id))
                    .where(
                        col(Listing.status) == ListingStatus.OPEN,
                        col(Listing.expires_at) <= now,
                    )
                    .order_by(col(Listing.expires_at), col(Listing.id))
                    .limit(BATCH)
                )
            ).all()
        if not due:
            return expired
        for listing_id in due:
            assert listing_id is not None  # a primary key
            if await _expire(services, listing_id, now):
                expired.append(listing_id)


async def _expire(services: Services, listing_id: int, now: datetime) -> bool:
    async with services.unit_of_work() as work:
        listing = await lock_listing(work.session, listing_id)
        # Renewed or closed since it was found: nothing to do.
        if listing is None or listing.status != ListingStatus.OPEN or listing.expires_at > now:
            return False
        await end_listing(work, listing, ListingStatus.EXPIRED, by=None)
    return True


async def remind_expiring_listings(services: Services, now: datetime | None = None) -> list[int]:
    """Tell the author of each open listing that expires within REMINDER, once per period.
    The ids of the listings reminded."""
    now = now or utcnow()
    reminded: list[int] = []
    async with services.unit_of_work() as work:
        soon = await lock_listings(
            work.session,
            col(Listing.status) == ListingStatus.OPEN,
            col(Listing.expires_at) <= now + REMINDER,
            col(Listing.reminded_at).is_(None),
            skip_locked=True,
        )
        for listing in soon:
            assert listing.id is not None
            listing.reminded_at = now
            work.session.add(listing)
            notify(
                work, listing.author_id, NotificationKind.LISTING_EXPIRING, listing_id=listing.id
            )
            reminded.append(listing.id)
        await work.session.flush()
    return reminded


async def run_listing_expiry(services: Services, now: datetime) -> None:
    await remind_expiring_listings(services, now)
    await expire_due_listings(services, now)


LISTING_EXPIRY = Job("listing-expiry", run_listing_expiry)
