"""The helpers' live feed: new appeals within a circle, replayed from a cursor, then live
(resolvers/feeds.py).

The cursor is the appeal's id, and appeals commit and are published in id order
(appeal_turn).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlmodel import col, func, or_, select

from models import Listing, ListingStatus, ListingType, Member
from realtime.channels import cells_in_box
from realtime.fanout import Notice
from resolvers import blocks, members
from resolvers.categories import SLUGS
from resolvers.feeds import FeedSource, replayed_then_live
from resolvers.geo import GRID_REACH_KM, GeoPoint, haversine_km
from resolvers.nearby import Box, bounding_box
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

APPEAL_TURN = "appeals"


@asynccontextmanager
async def appeal_turn(services: Services) -> AsyncIterator[None]:
    """Post one appeal at a time, from its insert until it is published.

    The feed's cursor is the appeal's id. Appeals must commit in id order, or a feed resuming
    after id 11 would skip an id 10 that committed later; and they must be published in that
    order, or a helper cut off after 11 but before a late 10 resumes after 11 and misses 10.
    """
    async with services.db.turn(APPEAL_TURN):
        yield


# A neighbourhood, not a country: a circle this wide already covers a few hundred cells.
MAX_RADIUS_KM = 100.0
REPLAY_PAGE = 100


@dataclass(frozen=True, slots=True)
class FeedRequest:
    near: GeoPoint
    radius_km: float
    categories: Collection[str] | None = None
    after: int | None = None
    viewer_id: int | None = None
    # Filled by the feed when it starts: the authors blocked either way by the viewer.
    hidden_authors: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class FeedAppeal:
    listing: Listing
    author: Member | None
    distance_km: float
    notice: Notice | None = None  # what announced it live, shared by the process's helpers


def check_feed(request: FeedRequest) -> None:
    checks = Checks()
    checks.point("near", request.near)
    if not (math.isfinite(request.radius_km) and 0 < request.radius_km <= MAX_RADIUS_KM):
        checks.refuse(
            "radiusKm", N_("must be above 0 and at most {max_km:g} km"), max_km=MAX_RADIUS_KM
        )
    unknown = sorted(set(request.categories or ()) - SLUGS)
    if unknown:
        checks.refuse("categories", N_("unknown categories: {slugs}"), slugs=", ".join(unknown))
    checks.done()


def appeal_feed(
    services: Services, request: FeedRequest, on_overflow: Callable[[], None]
) -> AsyncIterator[FeedAppeal]:
    """The feed, or a DomainError now (not at the first appeal) if the request is wrong."""
    check_feed(request)
    return _feed(services, request, on_overflow)


async def _feed(
    services: Services, request: FeedRequest, on_overflow: Callable[[], None]
) -> AsyncIterator[FeedAppeal]:
    # Appeals are announced in the cell of their rounded point, which the circle holds.
    cells = bounding_box(request.near, request.radius_km)
    # Their exact points, which the database holds, lie within reach of the rounded ones.
    box = bounding_box(request.near, request.radius_km + GRID_REACH_KM)
    request = replace(
        request, hidden_authors=await blocks.hidden_from(services, request.viewer_id)
    )

    async def live(notice: Notice, appeal_id: int) -> FeedAppeal | None:
        found = await notice.once(("appeal", appeal_id), _loader(services, appeal_id))
        return None if found is None else _matching(request, *found, notice)

    source = FeedSource(
        "appeal",
        partial(_latest_appeal_id, services),
        partial(_replay, services, request, box),
        live,
    )
    async with services.hub.listen(
        cells_in_box(cells.south, cells.north, cells.longitudes), on_overflow
    ) as listener:
        async for appeal in replayed_then_live(listener, source, request.after):
            yield appeal


async def _latest_appeal_id(services: Services) -> int:
    """Appeals alone: an offer or need may commit a greater id while an appeal with a smaller
    one is still committing (only appeals take turns), and the feed would skip that appeal."""
    async with services.db.read() as session:
        latest = select(func.max(col(Listing.id))).where(col(Listing.type) == ListingType.APPEAL)
        return await session.scalar(latest) or 0


async def _replay(
    services: Services, request: FeedRequest, box: Box, after: int
) -> AsyncIterator[tuple[FeedAppeal | None, int]]:
    """Each open appeal in the box with an id above `after`, in id order, with that id;
    the appeal is None where it is outside the circle or its categories."""
    last_id = after
    while True:
        async with services.db.read() as session:
            page = (
                await session.scalars(
                    select(Listing)
                    .where(
                        col(Listing.type) == ListingType.APPEAL,
                        col(Listing.status) == ListingStatus.OPEN,
                        col(Listing.id) > last_id,
                        col(Listing.latitude).between(box.south, box.north),
                        or_(
                            *(
                                col(Listing.longitude).between(west, east)
                                for west, east in box.longitudes
                            )
                        ),
                    )
                    .order_by(col(Listing.id))
                    .limit(REPLAY_PAGE)
                )
            ).all()
        authors = await members.get_members(services, [row.author_id for row in page])
        for listing, author in zip(page, authors, strict=True):
            assert listing.id is not None
            last_id = listing.id
            yield _matching(request, listing, author), last_id
        if len(page) < REPLAY_PAGE:
            return


def _loader(
    services: Services, appeal_id: int
) -> Callable[[], Coroutine[Any, Any, tuple[Listing, Member | None] | None]]:
    async def load() -> tuple[Listing, Member | None] | None:
        async with services.db.read() as session:
            listing = await session.get(Listing, appeal_id)
            if listing is None or listing.type != ListingType.APPEAL:
                return None
            return listing, await session.get(Member, listing.author_id)

    return load


def _matching(
    request: FeedRequest, listing: Listing, author: Member | None, notice: Notice | None = None
) -> FeedAppeal | None:
    if listing.status != ListingStatus.OPEN or listing.author_id in request.hidden_authors:
        return None
    if request.categories and listing.category not in request.categories:
        return None
    # Measured to the point helpers are shown, so that no feed tells more than the grid.
    shown = GeoPoint(listing.latitude, listing.longitude).rounded()
    distance = haversine_km(request.near, shown)
    if distance > request.radius_km:
        return None
    return FeedAppeal(listing, author, distance, notice)
