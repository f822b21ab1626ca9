"""Listings: posting offers, needs and appeals (with the appeal rules), closing them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Asset, Listing, ListingKind, ListingStatus, ListingType
from models.columns import utcnow
from realtime.events import AppealCreated
from resolvers import appeal_feed, ledger
from resolvers.categories import SLUGS
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint
from resolvers.nearby import lat_band, searchable
from resolvers.platform import Platform
from resolvers.validation import Checks


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


def new_listing(author_id: int, draft: ListingDraft) -> Listing:
    """The row of a checked draft, with what the nearby search derives from it."""
    return Listing(
        author_id=author_id,
        type=draft.type,
        kind=draft.kind,
        category=draft.category,
        title=draft.title,
        description=draft.description,
        digos=draft.digos,
        latitude=draft.location.latitude,
        longitude=draft.location.longitude,
        lat_band=lat_band(draft.location.latitude),
        search_text=searchable(draft.title, draft.description),
    )


def checked(draft: ListingDraft, max_price: int) -> ListingDraft:
    """The draft with its text trimmed, or every problem with it at once."""
    checks = Checks()
    if draft.category not in SLUGS:
        checks.refuse("category", "is not one of the categories")
    title = checks.text("title", draft.title, min_length=1, max_length=120)
    description = checks.text("description", draft.description, max_length=4000)
    checks.whole_number("digos", draft.digos, minimum=0, maximum=max_price)
    checks.point("location", draft.location)
    checks.done()
    return ListingDraft(
        draft.type, draft.kind, draft.category, title, description, draft.digos, draft.location
    )


async def create_listing(platform: Platform, author_id: int, draft: ListingDraft) -> Listing:
    draft = checked(draft, platform.economy.max_price)
    if draft.type is not ListingType.APPEAL:
        return await _insert(platform, author_id, draft)
    async with appeal_feed.appeal_turn(platform):
        return await _insert(platform, author_id, draft)


async def _insert(platform: Platform, author_id: int, draft: ListingDraft) -> Listing:
    async with platform.unit_of_work() as work:
        if draft.type is ListingType.APPEAL:
            await _check_may_appeal(work.session, author_id, draft.digos, platform)
        listing = new_listing(author_id, draft)
        work.session.add(listing)
        await work.session.flush()
        assert listing.id is not None
        if draft.type is ListingType.APPEAL:
            shown = location_of(listing).rounded()
            work.publish_after_commit(AppealCreated(listing.id, shown.latitude, shown.longitude))
    return listing


async def _check_may_appeal(
    session: AsyncSession, author_id: int, digos: int, platform: Platform
) -> None:
    """Short of digos, and under the cap of open appeals.

    The member's digo account is locked first, so two appeals posted at once by one member
    are counted one after the other (on SQLite, BEGIN IMMEDIATE already serialises them).
    """
    await ledger.locked_accounts(session, [(author_id, Asset.DIGO)])
    available = (await ledger.wallet(session, author_id)).available_digos
    if available >= digos:
        raise DomainError.of(
            ErrorCode.NOT_SHORT_OF_DIGOS,
            f"an appeal is for members short of digos: you have {available} available, "
            f"enough for this; post a NEED instead",
            "digos",
        )
    open_appeals = await session.scalar(
        select(func.count())
        .select_from(Listing)
        .where(
            col(Listing.author_id) == author_id,
            col(Listing.type) == ListingType.APPEAL,
            col(Listing.status) == ListingStatus.OPEN,
        )
    )
    cap = platform.economy.max_open_appeals
    if (open_appeals or 0) >= cap:
        raise DomainError.of(
            ErrorCode.TOO_MANY_APPEALS,
            f"at most {cap} open appeals: close one before posting another",
        )


async def close_listing(platform: Platform, member_id: int, listing_id: int) -> Listing:
    async with platform.unit_of_work() as work:
        listing = await work.session.get(Listing, listing_id, with_for_update=True)
        if listing is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, "no listing has this id", "listingId")
        if listing.author_id != member_id:
            raise DomainError.of(
                ErrorCode.FORBIDDEN, "only its author may close a listing", "listingId"
            )
        if listing.status != ListingStatus.OPEN:
            raise DomainError.of(
                ErrorCode.LISTING_CLOSED, "this listing is already closed", "listingId"
            )
        listing.status = ListingStatus.CLOSED
        listing.updated_at = utcnow()
        await work.session.flush()
    return listing


async def get_listings(platform: Platform, listing_ids: list[int]) -> list[Listing | None]:
    """The listings with these ids, in the same order (None where there is none)."""
    async with platform.db.lookups() as session:
        rows = (
            await session.scalars(select(Listing).where(col(Listing.id).in_(listing_ids)))
        ).all()
    by_id = {listing.id: listing for listing in rows}
    return [by_id.get(i) for i in listing_ids]
