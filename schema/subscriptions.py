"""The Subscription root: the helpers' appeal feed, and each member's exchanges and wallet.

Subscriptions run over the graphql-transport-ws WebSocket; the viewer is whoever signed in
at connection_init. Each event is read afresh, with DataLoaders made for that event alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Hashable
from typing import TypeVar

import strawberry

from models import ListingType
from realtime.fanout import TooSlow
from realtime.live_results import DirectDelivery
from resolvers import listing_feed, member_feed
from resolvers.errors import DomainError
from resolvers.geo import told_km
from resolvers.listing_feed import FeedListing
from resolvers.standpoints import standpoint_of
from schema.context import Context, Info
from schema.errors import bad_user_input
from schema.exchanges import Exchange
from schema.geo import GeoPointInput
from schema.ids import decode_any_id, decode_id, encode_id
from schema.listings import Listing
from schema.loaders import Loaders
from schema.members import Wallet
from schema.permissions import IsAuthenticated, signed_in_id
from schema.shared_execution import direct_delivery

# The cursor of the feed of new listings, which `appealCreated` keeps to appeals: a position
# in that feed, so a cursor of either subscription resumes the other.
LISTING_CURSOR = "ListingFeed"
# `appealCreated`'s cursors as they were before positions, each an appeal's id: still valid.
APPEAL_ID_CURSOR = "AppealFeed"


@strawberry.type(description="A new appeal within a helper's circle.")
class AppealFeedEvent:
    cursor: str = strawberry.field(
        description="Pass as `after` to resume the feed after this appeal, missing nothing."
    )
    distance_km: float
    appeal: Listing
    shared_as: strawberry.Private[tuple[Hashable, Hashable] | None] = None


def shared_as(found: FeedListing, viewer_id: int | None) -> tuple[Hashable, Hashable] | None:
    """Under what a listing heard live is executed once per process for each document and
    standpoint (schema.shared_execution); a replayed one is executed for its subscriber."""
    if not found.live:
        return None
    return ("listing", found.position), standpoint_of(found.listing.author_id, viewer_id)


def cut_off(info: Info) -> Callable[[], None]:
    """What to do with a subscriber that fell too far behind: its transport closes it."""
    transport = info.context.transport
    return transport.cut_off if transport is not None else _stays


def _stays() -> None:
    """A transport that cannot be told to cut a subscriber off: it ends with its client."""


async def until_closed() -> None:
    """Park a subscriber that was cut off: its socket is closing, and the protocol handler
    cancels its operations when it is closed; ending the operation now would send a last
    `complete` after the close frame."""
    await asyncio.get_running_loop().create_future()


async def _appeal_feed_after(info: Info, after: str) -> int:
    """The position in the feed of new listings that `after` resumes from."""
    if decode_any_id(after, "after")[0] == APPEAL_ID_CURSOR:
        appeal_id = decode_id(APPEAL_ID_CURSOR, after, "after")
        return await listing_feed.position_after_appeal(info.context.services, appeal_id)
    return decode_id(LISTING_CURSOR, after, "after")


def fresh_loaders(context: Context) -> None:
    context.loaders = Loaders(context.services)


E = TypeVar("E")
# How a feed's event is made: from its cursor, distance, listing and shared execution.
MakeEvent = Callable[[str, float, Listing, tuple[Hashable, Hashable] | None], E]


def listing_events(
    info: Info, request: listing_feed.ListingFeedRequest, make_event: MakeEvent[E]
) -> AsyncGenerator[E, None]:
    """A feed of new listings as a subscription's events. The feed is returned, not iterated
    by the resolver, so that no frame holds the resolver's Info (and graphql-core's) for as
    long as the subscriber listens: it keeps the context alone."""
    return _listing_events(info.context, request, cut_off(info), direct_delivery(info), make_event)


async def _listing_events(
    context: Context,
    request: listing_feed.ListingFeedRequest,
    on_overflow: Callable[[], None],
    direct: DirectDelivery | None,
    make_event: MakeEvent[E],
) -> AsyncGenerator[E, None]:
    try:
        feed = listing_feed.listing_feed(context.services, request, on_overflow)
    except DomainError as error:
        raise bad_user_input(error) from None
    try:
        async for found in feed:
            shared = shared_as(found, context.viewer_id)
            distance_km = told_km(found.distance_km)
            if shared and direct and await direct.delivered(*shared, distance_km):
                continue
            fresh_loaders(context)
            yield make_event(
                encode_id(LISTING_CURSOR, found.position),
                distance_km,
                Listing(row=found.listing, author_row=found.author),
                shared,
            )
    except TooSlow:
        await until_closed()


def _appeal_event(
    cursor: str, distance_km: float, appeal: Listing, shared: tuple[Hashable, Hashable] | None
) -> AppealFeedEvent:
    return AppealFeedEvent(cursor=cursor, distance_km=distance_km, appeal=appeal, shared_as=shared)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each new appeal within `radiusKm` of `near` (at most 100 km), in the given "
        "categories (all if none). With `after`, first every such appeal created since then."
    )
    async def appeal_created(
        self,
        info: Info,
        near: GeoPointInput,
        radius_km: float,
        categories: list[str] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[AppealFeedEvent, None]:
        try:
            request = listing_feed.ListingFeedRequest(
                near=near.to_point(),
                radius_km=radius_km,
                types=[ListingType.APPEAL],
                categories=categories,
                after=None if after is None else await _appeal_feed_after(info, after),
                viewer_id=info.context.viewer_id,
            )
        except DomainError as error:
            raise bad_user_input(error) from None
        return listing_events(info, request, _appeal_event)

    @strawberry.subscription(
        description="Each change of status of the signed-in member's exchanges.",
        permission_classes=[IsAuthenticated],
    )
    async def exchange_updated(self, info: Info) -> AsyncGenerator[Exchange, None]:
        updates = member_feed.exchange_updates(
            info.context.services, signed_in_id(info), cut_off(info)
        )
        try:
            async for exchange in updates:
                fresh_loaders(info.context)
                yield Exchange(row=exchange)
        except TooSlow:
            await until_closed()

    @strawberry.subscription(
        description="The signed-in member's wallet, after every change to it.",
        permission_classes=[IsAuthenticated],
    )
    async def wallet_updated(self, info: Info) -> AsyncGenerator[Wallet, None]:
        updates = member_feed.wallet_updates(
            info.context.services, signed_in_id(info), cut_off(info)
        )
        try:
            async for wallet in updates:
                yield Wallet.from_wallet(wallet)
        except TooSlow:
            await until_closed()
