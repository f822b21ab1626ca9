"""The community's subscriptions: every new listing near a point, and each member's
messages and notifications, each with `after` to replay what was missed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Hashable

import strawberry

from realtime.fanout import TooSlow
from resolvers import listing_feed, member_feed
from resolvers.errors import DomainError
from schema.context import Info
from schema.conversations import Message
from schema.errors import bad_user_input
from schema.geo import GeoPointInput
from schema.ids import decode_id, encode_id
from schema.listing_types import ListingType
from schema.listings import Listing
from schema.notifications import Notification
from schema.permissions import IsAuthenticated, signed_in_id
from schema.subscriptions import (
    LISTING_CURSOR,
    cut_off,
    fresh_loaders,
    listing_events,
    until_closed,
)


@strawberry.type(description="A new listing within a member's circle.")
class ListingFeedEvent:
    cursor: str = strawberry.field(
        description="Pass as `after` to resume the feed after this listing, missing nothing."
    )
    distance_km: float = strawberry.field(description="From the listing's rounded point.")
    listing: Listing
    shared_as: strawberry.Private[tuple[Hashable, Hashable] | None] = None


@strawberry.type(description="A message you sent or received.")
class MessageFeedEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after it.")
    message: Message


@strawberry.type(description="A new notification of yours.")
class NotificationFeedEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after it.")
    notification: Notification


def _listing_event(
    cursor: str, distance_km: float, listing: Listing, shared: tuple[Hashable, Hashable] | None
) -> ListingFeedEvent:
    return ListingFeedEvent(
        cursor=cursor, distance_km=distance_km, listing=listing, shared_as=shared
    )


def _after(kind: str, after: str | None) -> int | None:
    if after is None:
        return None
    try:
        return decode_id(kind, after, "after")
    except DomainError as error:
        raise bad_user_input(error) from None


@strawberry.type
class CommunitySubscription:
    @strawberry.subscription(
        description="Each new listing within `radiusKm` of `near` (at most 100 km), of the "
        "given types and categories (all if none). With `after`, first every such listing "
        "created since then."
    )
    async def listing_created(
        self,
        info: Info,
        near: GeoPointInput,
        radius_km: float,
        types: list[ListingType] | None = None,
        categories: list[str] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[ListingFeedEvent, None]:
        request = listing_feed.ListingFeedRequest(
            near=near.to_point(),
            radius_km=radius_km,
            types=types,
            categories=categories,
            after=_after(LISTING_CURSOR, after),
            viewer_id=info.context.viewer_id,
        )
        return listing_events(info, request, _listing_event)

    @strawberry.subscription(
        description="Each message you send or receive, in any conversation. With `after`, "
        "first every one since then.",
        permission_classes=[IsAuthenticated],
    )
    async def message_added(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[MessageFeedEvent, None]:
        feed = member_feed.message_feed(
            info.context.services, signed_in_id(info), _after("Message", after), cut_off(info)
        )
        try:
            async for message in feed:
                fresh_loaders(info.context)
                yield MessageFeedEvent(
                    cursor=encode_id("Message", message.id), message=Message(row=message)
                )
        except TooSlow:
            await until_closed()

    @strawberry.subscription(
        description="Each new notification of yours. With `after`, first every one since then.",
        permission_classes=[IsAuthenticated],
    )
    async def notification_added(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[NotificationFeedEvent, None]:
        feed = member_feed.notification_feed(
            info.context.services,
            signed_in_id(info),
            _after("Notification", after),
            cut_off(info),
        )
        try:
            async for notification in feed:
                fresh_loaders(info.context)
                yield NotificationFeedEvent(
                    cursor=encode_id("Notification", notification.id),
                    notification=Notification(row=notification),
                )
        except TooSlow:
            await until_closed()
