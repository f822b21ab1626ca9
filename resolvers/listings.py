"""Listings: posting offers, needs and appeals (with the appeal rules), closing them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Asset, Listing, ListingKind, ListingStatus, ListingType
from models.columns import DESCRIPTION_LENGTH, TITLE_LENGTH, utcnow
from models.locks import lock_accounts, lock_listing
from models.lookups import rows_by_id
from resolvers import alerts, idempotency, ledger, listing_feed
from resolvers.categories import SLUGS
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint, grid_of
from resolvers.listing_lifecycle import end_listing
from resolvers.nearby import lat_band, searchable
from resolvers.services import Services
from resolvers.standpoints import standpoint_of
from resolvers.translations import N_
from resolvers.validation import Checks

log = logging.getLogger("indigo.listings")


@dataclass(frozen=True, slots=True)
class ListingDraft:
    type: ListingType
    kind: ListingKind
    category: str
    title: str
    description: str
    digos: int
    location: GeoPoint


def location_of(listing: Listing) -> GeoPoint:
    return GeoPoint(listing.latitude, listing.longitude)


def location_seen_by(listing: Listing, viewer_id: int | None) -> GeoPoint:
    """Exact for its author, rounded for anyone else."""
    return location_of(listing).seen_from(standpoint_of(listing.author_id, viewer_id))


def visible_to(listing: Listing, viewer_id: int | None) -> bool:
    """A listing hidden by a moderator is seen by its author alone, as if it did not exist."""
    return listing.status != ListingStatus.HIDDEN or listing.author_id == viewer_id


def seen_by(listing: Listing | None, viewer_id: int | None) -> Listing | None:
    """The listing if `viewer_id` may see it; None, as for no listing at all, if not."""
    return listing if listing is not None and visible_to(listing, viewer_id) else None


def new_listing(author_id: int, draft: ListingDraft, ttl_days: int) -> Listing:
    """The row of a checked draft, open for `ttl_days`, with what the searches derive from it."""
    listing = Listing(
        author_id=author_id,
        type=draft.type,
        kind=draft.kind,
        category=draft.category,
        title=draft.title,
        description=draft.description,
        digos=draft.digos,
        latitude=draft.location.latitude,
        longitude=draft.location.longitude,
        lat_band=0,
        grid_latitude=0,
        grid_longitude=0,
        search_text="",
        expires_at=utcnow() + timedelta(days=ttl_days),
    )
    derive_search_columns(listing)
    return listing


def derive_search_columns(listing: Listing) -> None:
    """What the nearby search and the map read of a listing, from its point and its text."""
    listing.lat_band = lat_band(listing.latitude)
    listing.grid_latitude = grid_of(listing.latitude)
    listing.grid_longitude = grid_of(listing.longitude)
    listing.search_text = searchable(listing.title, listing.description)


def check_category(checks: Checks, category: str) -> None:
    if category not in SLUGS:
        checks.refuse("category", N_("is not one of the categories"))


def checked(
    draft: ListingDraft, max_price: int, idempotency_key: str | None = None
) -> ListingDraft:
    """The draft with its text trimmed, or every problem with it at once."""
    checks = Checks()
    check_category(checks, draft.category)
    title = checks.text("title", draft.title, min_length=1, max_length=TITLE_LENGTH)
    description = checks.text("description", draft.description, max_length=DESCRIPTION_LENGTH)
    checks.whole_number("digos", draft.digos, minimum=0, maximum=max_price)
    checks.point("location", draft.location)
    idempotency.check_key(checks, idempotency_key)
    checks.done()
    return ListingDraft(
        draft.type, draft.kind, draft.category, title, description, draft.digos, draft.location
    )


async def create_listing(
    services: Services, author_id: int, draft: ListingDraft, idempotency_key: str | None = None
) -> Listing:
    """Post a listing; once committed, it enters the live feed of every listing (appeals
    included: the helpers' feed is that feed kept to appeals). A repeated idempotency key
    gives the first listing back, and posts nothing."""
    draft = checked(draft, services.economy.max_price, idempotency_key)
    listing, posted = await _insert(services, author_id, draft, idempotency_key)
    if not posted:
        return listing
    try:
        await listing_feed.enter_feed(services, [listing])
    except Exception:  # committed already: the scheduled job gives it its place
        log.warning("listing %s awaits its place in the live feed", listing.id, exc_info=True)
    return listing


async def _insert(
    services: Services, author_id: int, draft: ListingDraft, idempotency_key: str | None
) -> tuple[Listing, bool]:
    """The listing, and whether it was posted now (not the replay of a repeated key)."""
    request = idempotency.request_of("createListing", draft=draft)
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, author_id, idempotency_key, request, Listing
        )
        if replay is not None:
            return replay, False
        if draft.type is ListingType.APPEAL:
            await check_may_appeal(work.session, author_id, draft.digos, services)
        listing = new_listing(author_id, draft, services.lifetimes.listing_ttl_days)
        work.session.add(listing)
        await work.session.flush()
        assert listing.id is not None
        if idempotency_key is not None:
            await idempotency.record(work.session, author_id, idempotency_key, listing.id)
        await alerts.tell_watchers(work, listing)
    return listing, True


async def check_short_of_digos(session: AsyncSession, author_id: int, digos: int) -> None:
    """An appeal is for a member whose available digos are below its value.

    The member's digo account is locked first, so two appeals posted at once by one member
    are counted one after the other (on SQLite, BEGIN IMMEDIATE already serialises them).
    """
    await lock_accounts(session, [(author_id, Asset.DIGO)])
    available = (await ledger.wallet(session, author_id)).available_digos
    if available >= digos:
        raise DomainError.of(
            ErrorCode.NOT_SHORT_OF_DIGOS,
            N_(
                "an appeal is for members short of digos: you have {available} available, "
                "enough for this; post a NEED instead"
            ),
            "digos",
            available=available,
        )


async def check_may_appeal(
    session: AsyncSession, author_id: int, digos: int, services: Services
) -> None:
    """Short of digos, and under the cap of open appeals."""
    await check_short_of_digos(session, author_id, digos)
    open_appeals = await session.scalar(
        select(func.count())
        .select_from(Listing)
        .where(
            col(Listing.author_id) == author_id,
            col(Listing.type) == ListingType.APPEAL,
            col(Listing.status) == ListingStatus.OPEN,
        )
    )
    cap = services.economy.max_open_appeals
    if (open_appeals or 0) >= cap:
        raise DomainError.of(
            ErrorCode.TOO_MANY_APPEALS,
            N_("at most {cap} open appeals: close one before posting another"),
            cap=cap,
        )


async def close_listing(
    services: Services, member_id: int, listing_id: int, idempotency_key: str | None = None
) -> Listing:
    """The author closes a listing: it leaves the searches, and what was only requested on it
    is cancelled."""
    checks = Checks()
    idempotency.check_key(checks, idempotency_key)
    checks.done()
    request = f"closeListing listing={listing_id}"
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Listing
        )
        if replay is not None:
            return replay
        listing = await lock_listing(work.session, listing_id)
        if listing is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no listing has this id"), "listingId")
        if listing.author_id != member_id:
            raise DomainError.of(
                ErrorCode.FORBIDDEN, N_("only its author may close a listing"), "listingId"
            )
        if listing.status not in (ListingStatus.OPEN, ListingStatus.EXPIRED):
            raise DomainError.of(
                ErrorCode.LISTING_CLOSED, N_("this listing is already closed"), "listingId"
            )
        await end_listing(work, listing, ListingStatus.CLOSED, by=member_id)
        if idempotency_key is not None:
            await idempotency.record(work.session, member_id, idempotency_key, listing_id)
    return listing


async def get_listings(services: Services, listing_ids: list[int]) -> list[Listing | None]:
    """The listings with these ids, in the same order (None where there is none)."""
    async with services.db.lookups() as session:
        return await rows_by_id(session, Listing, listing_ids)
