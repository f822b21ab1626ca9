"""The Subscription root: the helpers' appeal feed, and each member's exchanges and wallet.

Subscriptions run over the graphql-transport-ws WebSocket; the viewer is whoever signed in
at connection_init. Each event is read afresh, with DataLoaders made for that event alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Hashable

import strawberry

from models import ListingType
from realtime.fanout import TooSlow
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
            feed = listing_feed.listing_feed(info.context.services, request, cut_off(info))
        except DomainError as error:
            raise bad_user_input(error) from None
        direct = direct_delivery(info)
        # Its Info (and graphql-core's) would be held for as long as the subscriber listens.
        context = info.context
        del info
        try:
            async for found in feed:
                shared = shared_as(found, context.viewer_id)
                distance_km = told_km(found.distance_km)
                if shared and direct and await direct.delivered(*shared, distance_km):
                    continue
                fresh_loaders(context)
                yield AppealFeedEvent(
                    cursor=encode_id(LISTING_CURSOR, found.position),
                    distance_km=distance_km,
                    appeal=Listing(row=found.listing, author_row=found.author),
                    shared_as=shared,
                )
        except TooSlow:
            await until_closed()

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
