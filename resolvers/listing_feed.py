"""The live feed of new listings within a circle (`listingCreated`, and `appealCreated`,
which is this feed kept to appeals), replayed from a cursor, then live (resolvers/feeds.py).

The cursor is a listing's position in the feed, given after its listing committed by a
sequencer that takes one listing at a time across processes and publishes it before letting
the next one in: positions become visible, and are announced, in order, while posting a
listing waits on no lock shared by the whole network inside its own transaction. A listing
whose process stopped between its commit and its position is given one by a scheduled job.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, func, or_, select

from models import Listing, ListingFeedEntry, ListingStatus, ListingType, Member
from models.database import upsert
from realtime.channels import cells_in_box
from realtime.events import ListingCreated
from realtime.fanout import Notice
from resolvers import blocks, members
from resolvers.categories import SLUGS
from resolvers.feeds import FeedSource, replayed_then_live
from resolvers.geo import GRID_REACH_KM, GeoPoint, distance_to_shown_km
from resolvers.nearby import Box, bounding_box
from resolvers.scheduler import Job
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

LISTING_FEED_TURN = "listing-feed"
# A neighbourhood, not a country: a circle this wide already covers a few hundred cells.
MAX_RADIUS_KM = 100.0
REPLAY_PAGE = 100
# A listing this long without a position lost its process before it got one.
ORPHAN_AFTER = timedelta(seconds=10)
# How far back (in listing ids) orphans are looked for.
ORPHAN_REACH = 1000


@dataclass(frozen=True, slots=True)
class ListingFeedRequest:
    near: GeoPoint
    radius_km: float
    types: Collection[ListingType] | None = None
    categories: Collection[str] | None = None
    after: int | None = None
    viewer_id: int | None = None
    # Filled by the feed when it starts: the authors blocked either way by the viewer.
    hidden_authors: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class FeedListing:
    position: int
    listing: Listing
    author: Member | None
    distance_km: float
    live: bool = False  # announced as it entered the feed, rather than replayed


async def enter_feed(services: Services, listings: Collection[Listing]) -> None:
    """Give committed listings their positions, in this order, and announce them."""
    await services.db.sequence(LISTING_FEED_TURN, list(listings), partial(_place, services))


async def _place(services: Services, held: AsyncConnection, listings: list[Listing]) -> None:
    """Positions for these listings, by one statement, then their announcements in order, all
    in the feed's turn: the next positions can only follow these, once announced."""
    wanted = [{"listing_id": listing.id} for listing in listings]
    if not wanted:
        return
    placed = (
        await held.execute(
            upsert(held)(ListingFeedEntry)
            .values(wanted)
            .on_conflict_do_nothing(index_elements=["listing_id"])  # placed by the job below
            .returning(col(ListingFeedEntry.listing_id), col(ListingFeedEntry.position))
        )
    ).all()
    by_id = {listing.id: listing for listing in listings}
    announced = []
    for listing_id, position in sorted(placed, key=lambda row: row[1]):
        # Announced in the cells of its rounded point, the one others are shown.
        shown = GeoPoint(by_id[listing_id].latitude, by_id[listing_id].longitude).rounded()
        announced.append(ListingCreated(position, listing_id, shown.latitude, shown.longitude))
    await services.publish(announced)


async def place_orphans(services: Services, due: datetime) -> None:
    """The scheduled job: position the listings whose process stopped before doing it."""
    async with services.db.read() as session:
        first, last = (
            await session.execute(
                select(
                    func.min(col(ListingFeedEntry.listing_id)),
                    func.max(col(ListingFeedEntry.listing_id)),
                )
            )
        ).one()
        if first is None or last is None:
            return  # listings from before the feed (or seeded without it) are not new
        orphans = (
            await session.scalars(
                select(Listing)
                .outerjoin(ListingFeedEntry, col(ListingFeedEntry.listing_id) == col(Listing.id))
                .where(
                    col(Listing.id) > max(first, last - ORPHAN_REACH),
                    col(ListingFeedEntry.position).is_(None),
                    col(Listing.created_at) < due - ORPHAN_AFTER,
                )
                .order_by(col(Listing.id))
            )
        ).all()
    if orphans:
        await enter_feed(services, orphans)


PLACE_ORPHAN_LISTINGS = Job("place-orphan-listings", place_orphans)


async def position_after_appeal(services: Services, appeal_id: int) -> int:
    """Where to resume for a cursor of the appeal feed as it was before positions: the appeal
    it names. Those appeals committed in id order, so every appeal with a greater id is
    replayed; one placed before an appeal with a smaller id (both posted in the same
    moment) may come a second time, none is missed."""
    async with services.db.read() as session:
        following = await session.scalar(
            select(func.min(col(ListingFeedEntry.position))).where(
                col(ListingFeedEntry.listing_id) > appeal_id
            )
        )
    return following - 1 if following is not None else await _latest(services)


def check_circle(
    checks: Checks, near: GeoPoint, radius_km: float, categories: Collection[str] | None
) -> None:
    """What a feed or an alert watches: a point, a radius and categories."""
    checks.point("near", near)
    if not (math.isfinite(radius_km) and 0 < radius_km <= MAX_RADIUS_KM):
        checks.refuse(
            "radiusKm", N_("must be above 0 and at most {max_km:g} km"), max_km=MAX_RADIUS_KM
        )
    unknown = sorted(set(categories or ()) - SLUGS)
    if unknown:
        checks.refuse("categories", N_("unknown categories: {slugs}"), slugs=", ".join(unknown))


def check_feed(request: ListingFeedRequest) -> None:
    checks = Checks()
    check_circle(checks, request.near, request.radius_km, request.categories)
    checks.done()


def listing_feed(
    services: Services, request: ListingFeedRequest, on_overflow: Callable[[], None]
) -> AsyncIterator[FeedListing]:
    """The feed, or a DomainError now (not at the first listing) if the request is wrong."""
    check_feed(request)
    return _feed(services, request, on_overflow)


async def _feed(
    services: Services, request: ListingFeedRequest, on_overflow: Callable[[], None]
) -> AsyncIterator[FeedListing]:
    request = replace(
        request, hidden_authors=await blocks.hidden_from(services, request.viewer_id)
    )

    async def live(notice: Notice, position: int) -> FeedListing | None:
        listing_id = notice.body.get("id")
        if not isinstance(listing_id, int):
            return None
        # Loaded once per process for every feed that hears it, whatever its types.
        found = await notice.once(("listing", listing_id), _loader(services, listing_id))
        return None if found is None else _matching(request, position, *found, live=True)

    source = FeedSource(
        "listing", partial(_latest, services), partial(_replay, services, request), live
    )
    listen = services.hub.listen(_cells(request), on_overflow)
    async for found in replayed_then_live(listen, source, request.after):
        yield found


# The boxes are made when wanted, not kept by the feed for as long as it listens.


def _cells(request: ListingFeedRequest) -> list[str]:
    """Listings are announced in the cells of their rounded point, which the circle holds."""
    cells = bounding_box(request.near, request.radius_km)
    return cells_in_box(cells.south, cells.north, cells.longitudes)


def _replay_box(request: ListingFeedRequest) -> Box:
    """Their exact points, which the database holds, lie within reach of the rounded ones."""
    return bounding_box(request.near, request.radius_km + GRID_REACH_KM)


async def _latest(services: Services) -> int:
    async with services.db.read() as session:
        return await session.scalar(select(func.max(col(ListingFeedEntry.position)))) or 0


async def _replay(
    services: Services, request: ListingFeedRequest, after: int
) -> AsyncIterator[tuple[FeedListing | None, int]]:
    box = _replay_box(request)
    last = after
    of_types = [col(Listing.type).in_(request.types)] if request.types else []
    while True:
        async with services.db.read() as session:
            page = (
                await session.execute(
                    select(ListingFeedEntry.position, Listing)
                    .join(Listing, col(Listing.id) == col(ListingFeedEntry.listing_id))
                    .where(
                        col(ListingFeedEntry.position) > last,
                        *of_types,
                        col(Listing.latitude).between(box.south, box.north),
                        or_(
                            *(
                                col(Listing.longitude).between(west, east)
                                for west, east in box.longitudes
                            )
                        ),
                    )
                    .order_by(col(ListingFeedEntry.position))
                    .limit(REPLAY_PAGE)
                )
            ).all()
        authors = await members.get_members(services, [row.author_id for _, row in page])
        for (position, listing), author in zip(page, authors, strict=True):
            assert position is not None
            last = position
            yield _matching(request, position, listing, author), position
        if len(page) < REPLAY_PAGE:
            return


def _loader(
    services: Services, listing_id: int
) -> Callable[[], Coroutine[Any, Any, tuple[Listing, Member | None] | None]]:
    async def load() -> tuple[Listing, Member | None] | None:
        async with services.db.read() as session:
            listing = await session.get(Listing, listing_id)
            if listing is None:
                return None
            return listing, await session.get(Member, listing.author_id)

    return load


def _matching(
    request: ListingFeedRequest,
    position: int,
    listing: Listing,
    author: Member | None,
    *,
    live: bool = False,
) -> FeedListing | None:
    """The listing if it is for this feed, its distance from its rounded point."""
    if listing.status != ListingStatus.OPEN or listing.author_id in request.hidden_authors:
        return None
    if request.types and listing.type not in request.types:
        return None
    if request.categories and listing.category not in request.categories:
        return None
    distance = distance_to_shown_km(request.near, GeoPoint(listing.latitude, listing.longitude))
    if distance > request.radius_km:
        return None
    return FeedListing(position, listing, author, distance, live)
