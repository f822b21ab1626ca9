"""A member's own listings: the list of them in any status, editing one, renewing one.

Someone else's listing is NOT_FOUND here, as if it did not exist: these are the author's
tools, and an outsider learns nothing from them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import OPEN_STATUSES, Exchange, Listing, ListingStatus, ListingType
from models.columns import DESCRIPTION_LENGTH, TITLE_LENGTH, utcnow
from models.locks import lock_listing
from resolvers import idempotency
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint
from resolvers.listings import (
    check_category,
    check_may_appeal,
    check_short_of_digos,
    derive_search_columns,
)
from resolvers.members import KEEP, Keep
from resolvers.pages import Page, newest_first
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

EDITABLE = (ListingStatus.OPEN, ListingStatus.EXPIRED)


@dataclass(frozen=True, slots=True)
class ListingChanges:
    title: str | Keep = KEEP
    description: str | Keep = KEEP
    category: str | Keep = KEEP
    digos: int | Keep = KEEP
    location: GeoPoint | Keep = KEEP


async def my_listings(
    services: Services,
    member_id: int,
    *,
    statuses: Collection[ListingStatus] | None,
    first: int,
    before: int | None = None,
) -> Page[Listing]:
    """The member's listings in any status, newest first; `before` is the id of the last one
    already seen."""
    query = newest_first(
        select(Listing).where(col(Listing.author_id) == member_id), col(Listing.id), first, before
    )
    if statuses:
        query = query.where(col(Listing.status).in_(list(statuses)))
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


def _checked(changes: ListingChanges, max_price: int, key: str | None) -> ListingChanges:
    checks = Checks()
    if not isinstance(changes.category, Keep):
        check_category(checks, changes.category)
    title, description = changes.title, changes.description
    if not isinstance(title, Keep):
        title = checks.text("title", title, min_length=1, max_length=TITLE_LENGTH)
    if not isinstance(description, Keep):
        description = checks.text("description", description, max_length=DESCRIPTION_LENGTH)
    if not isinstance(changes.digos, Keep):
        checks.whole_number("digos", changes.digos, minimum=0, maximum=max_price)
    if not isinstance(changes.location, Keep):
        checks.point("location", changes.location)
    idempotency.check_key(checks, key)
    checks.done()
    return replace(changes, title=title, description=description)


async def _own(session: AsyncSession, member_id: int, listing_id: int) -> Listing:
    """The member's listing, locked against new exchanges; NOT_FOUND for anyone else's."""
    listing = await lock_listing(session, listing_id)
    if listing is None or listing.author_id != member_id:
        raise DomainError.of(
            ErrorCode.NOT_FOUND, N_("you have no listing with this id"), "listingId"
        )
    return listing


async def _has_open_exchange(session: AsyncSession, listing_id: int) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(Exchange)
        .where(
            col(Exchange.listing_id) == listing_id,
            col(Exchange.status).in_(list(OPEN_STATUSES)),
        )
    )
    return bool(count)


async def _own_editable(
    session: AsyncSession, member_id: int, listing_id: int, refusal: str
) -> Listing:
    """The member's own listing while it may still change (open or expired): else
    INVALID_STATE, with `refusal` naming what was tried."""
    listing = await _own(session, member_id, listing_id)
    if listing.status not in EDITABLE:
        raise DomainError.of(
            ErrorCode.INVALID_STATE, refusal, "listingId", status=listing.status.lower()
        )
    return listing


async def update_listing(
    services: Services,
    member_id: int,
    listing_id: int,
    changes: ListingChanges,
    idempotency_key: str | None = None,
) -> Listing:
    """Change what is given; the price only while no exchange on it is requested or accepted,
    since those were made at the old price."""
    changes = _checked(changes, services.economy.max_price, idempotency_key)
    request = idempotency.request_of("updateListing", listing=listing_id, changes=changes)
    async with services.unit_of_work() as work:
        session = work.session
        replay = await idempotency.replayed(session, member_id, idempotency_key, request, Listing)
        if replay is not None:
            return replay
        listing = await _own_editable(
            session, member_id, listing_id, N_("a {status} listing cannot be edited")
        )
        if not isinstance(changes.digos, Keep) and changes.digos != listing.digos:
            if await _has_open_exchange(session, listing_id):
                raise DomainError.of(
                    ErrorCode.INVALID_STATE,
                    N_("the price cannot change while an exchange on it is requested or accepted"),
                    "digos",
                )
            if listing.type == ListingType.APPEAL:
                await check_short_of_digos(session, member_id, changes.digos)
            listing.digos = changes.digos
        if not isinstance(changes.title, Keep):
            listing.title = changes.title
        if not isinstance(changes.description, Keep):
            listing.description = changes.description
        if not isinstance(changes.category, Keep):
            listing.category = changes.category
        if not isinstance(changes.location, Keep):
            listing.latitude = changes.location.latitude
            listing.longitude = changes.location.longitude
        derive_search_columns(listing)
        listing.updated_at = utcnow()
        session.add(listing)
        await session.flush()
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, listing_id)
    return listing


async def renew_listing(
    services: Services, member_id: int, listing_id: int, idempotency_key: str | None = None
) -> Listing:
    """Another full period from now, for an open or expired listing. An expired appeal comes
    back only if the appeal rules still allow it."""
    checks = Checks()
    idempotency.check_key(checks, idempotency_key)
    checks.done()
    request = idempotency.request_of("renewListing", listing=listing_id)
    async with services.unit_of_work() as work:
        session = work.session
        replay = await idempotency.replayed(session, member_id, idempotency_key, request, Listing)
        if replay is not None:
            return replay
        listing = await _own_editable(
            session, member_id, listing_id, N_("a {status} listing cannot be renewed")
        )
        if listing.status == ListingStatus.EXPIRED and listing.type == ListingType.APPEAL:
            await check_may_appeal(session, member_id, listing.digos, services)
        now = utcnow()
        listing.status = ListingStatus.OPEN
        listing.expires_at = now + timedelta(days=services.lifetimes.listing_ttl_days)
        listing.reminded_at = None
        listing.updated_at = now
        session.add(listing)
        await session.flush()
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, listing_id)
    return listing
