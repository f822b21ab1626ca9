"""Notifications and how each kind reaches the member. Visible to that member alone."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import strawberry

from models import Delivery, NotificationKind
from models import Notification as NotificationRow
from resolvers import notification_settings, notifications
from resolvers.notification_texts import Told, notification_text
from schema.context import Info
from schema.conversations import Message
from schema.errors import UserError, payload_or_user_errors
from schema.exchanges import Exchange, after_id, page_size
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member, load_member
from schema.nodes import Node, private_node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id

strawberry.enum(NotificationKind)
strawberry.enum(
    Delivery,
    description="APP: in the app only; EMAIL: a mail at once; DAILY_DIGEST: in one mail a day.",
)


@strawberry.type(description="Something that concerns you. Visible to you alone.")
class Notification(Node):
    row: strawberry.Private[NotificationRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Notification", self.row.id)

    @strawberry.field
    def kind(self) -> NotificationKind:
        return NotificationKind(self.row.kind)

    @strawberry.field(description="What happened, in the language of `Accept-Language`.")
    async def text(self, info: Info) -> str:
        loaders = info.context.loaders
        actor = None if self.row.actor_id is None else await loaders.member.load(self.row.actor_id)
        listing = (
            None
            if self.row.listing_id is None
            else await loaders.listing.load(self.row.listing_id)
        )
        told = Told(
            NotificationKind(self.row.kind),
            actor=None if actor is None else actor.display_name,
            listing=None if listing is None else listing.title,
        )
        language = info.context.language
        return notification_text(told, language)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def read_at(self) -> datetime | None:
        return self.row.read_at

    @strawberry.field(description="Who caused it, if a member did.")
    async def actor(self, info: Info) -> Member | None:
        if self.row.actor_id is None:
            return None
        return await load_member(info, self.row.actor_id)

    @strawberry.field
    async def exchange(self, info: Info) -> Exchange | None:
        if self.row.exchange_id is None:
            return None
        row = await info.context.loaders.exchange.load((self.row.exchange_id, self.row.member_id))
        return None if row is None else Exchange(row=row)

    @strawberry.field
    async def listing(self, info: Info) -> Listing | None:
        if self.row.listing_id is None:
            return None
        row = await info.context.loaders.listing.load(self.row.listing_id)
        return None if row is None else Listing(row=row)

    @strawberry.field
    async def message(self, info: Info) -> Message | None:
        if self.row.message_id is None:
            return None
        row = await info.context.loaders.message.load((self.row.message_id, self.row.member_id))
        return None if row is None else Message(row=row)


private_node_kind(
    "Notification", notifications.get_notifications, lambda row: Notification(row=row)
)


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


@strawberry.type(description="How one kind of notification reaches you.")
class NotificationSetting:
    kind: NotificationKind
    delivery: Delivery


@strawberry.input
class NotificationSettingInput:
    kind: NotificationKind
    delivery: Delivery


@strawberry.input
class UpdateNotificationSettingsInput:
    settings: list[NotificationSettingInput] = strawberry.field(
        description="The kinds to change; the others stay as they are."
    )


@strawberry.type
class UpdateNotificationSettingsPayload:
    settings: list[NotificationSetting] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkNotificationsReadInput:
    up_to_id: strawberry.ID | None = strawberry.field(
        default=None, description="Up to and including this one; all when not given."
    )


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int | None = strawberry.field(default=None, description="Still unread.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _settings(choices: list[notification_settings.Choice]) -> list[NotificationSetting]:
    return [NotificationSetting(kind=kind, delivery=delivery) for kind, delivery in choices]


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description="Your notifications, newest first.", permission_classes=[IsAuthenticated]
    )
    async def notifications(
        self,
        info: Info,
        unread_only: bool | None = False,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> NotificationConnection | None:
        size, before = page_size(first), after_id("Notification", after)
        page = await notifications.my_notifications(
            info.context.services,
            signed_in_id(info),
            unread_only=bool(unread_only),
            first=size,
            before=before,
        )
        edges = [
            NotificationEdge(cursor=encode_id("Notification", n.id), node=Notification(row=n))
            for n in page.items
        ]
        return NotificationConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )

    @strawberry.field(
        description="How each kind of notification reaches you.",
        permission_classes=[IsAuthenticated],
    )
    async def notification_settings(self, info: Info) -> list[NotificationSetting] | None:
        return _settings(
            await notification_settings.notification_settings(
                info.context.services, signed_in_id(info)
            )
        )


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description="Mark your notifications read, up to one or all.",
        permission_classes=[IsAuthenticated],
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload | None:
        async def marked() -> MarkNotificationsReadPayload:
            up_to = (
                None
                if input.up_to_id is None
                else decode_id("Notification", input.up_to_id, "upToId")
            )
            unread = await notifications.mark_read(
                info.context.services, signed_in_id(info), up_to
            )
            return MarkNotificationsReadPayload(unread_count=unread)

        return await payload_or_user_errors(MarkNotificationsReadPayload, marked())

    @strawberry.mutation(
        description="Choose how some kinds of notification reach you.",
        permission_classes=[IsAuthenticated],
    )
    async def update_notification_settings(
        self, info: Info, input: UpdateNotificationSettingsInput
    ) -> UpdateNotificationSettingsPayload | None:
        async def updated() -> UpdateNotificationSettingsPayload:
            choices = await notification_settings.update_notification_settings(
                info.context.services,
                signed_in_id(info),
                [(s.kind, s.delivery) for s in input.settings],
            )
            return UpdateNotificationSettingsPayload(settings=_settings(choices))

        return await payload_or_user_errors(UpdateNotificationSettingsPayload, updated())
