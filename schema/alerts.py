"""Alerts: saved searches that notify their owner of each matching new listing. Visible to
their owner alone."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from models import Alert as AlertRow
from resolvers import alerts
from resolvers.geo import GeoPoint as Point
from schema.context import Info
from schema.errors import UserError, payload_or_user_errors
from schema.geo import GeoPoint, GeoPointInput
from schema.ids import decode_id, encode_id
from schema.listing_types import ListingType
from schema.nodes import Node, private_node_kind
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.type(description="A saved search. Visible to you alone.")
class Alert(Node):
    row: strawberry.Private[AlertRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Alert", self.row.id)

    @strawberry.field(graphql_type=GeoPoint)
    def near(self) -> Point:
        return Point(self.row.latitude, self.row.longitude)

    @strawberry.field
    def radius_km(self) -> float:
        return self.row.radius_km

    @strawberry.field(description="The listing types it looks for; empty for all.")
    def types(self) -> list[ListingType]:
        return [ListingType(t) for t in self.row.types]

    @strawberry.field(description="The categories it looks for; empty for all.")
    def categories(self) -> list[str]:
        return list(self.row.categories)

    @strawberry.field(description="Words a match has in its title or description.")
    def text(self) -> str | None:
        return self.row.text

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


private_node_kind("Alert", alerts.get_alerts, lambda row: Alert(row=row))


@strawberry.input
class CreateAlertInput:
    near: GeoPointInput
    radius_km: float = strawberry.field(description="Above 0, at most 100.")
    types: list[ListingType] | None = None
    categories: list[str] | None = strawberry.field(default=None, description="Slugs.")
    text: str | None = strawberry.field(default=None, description="At most 200 characters.")


@strawberry.type
class CreateAlertPayload:
    alert: Alert | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteAlertInput:
    alert_id: strawberry.ID


@strawberry.type
class DeleteAlertPayload:
    deleted_alert_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AlertQuery:
    @strawberry.field(
        description="Your alerts, newest first.", permission_classes=[IsAuthenticated]
    )
    async def my_alerts(self, info: Info) -> list[Alert] | None:
        rows = await alerts.my_alerts(info.context.services, signed_in_id(info))
        return [Alert(row=row) for row in rows]


@strawberry.type
class AlertMutation:
    @strawberry.mutation(
        description="Save a search (at most 10): each new listing it matches notifies you.",
        permission_classes=[IsAuthenticated],
    )
    async def create_alert(self, info: Info, input: CreateAlertInput) -> CreateAlertPayload | None:
        draft = alerts.AlertDraft(
            near=input.near.to_point(),
            radius_km=input.radius_km,
            types=input.types,
            categories=input.categories,
            text=input.text,
        )

        async def created() -> CreateAlertPayload:
            row = await alerts.create_alert(info.context.services, signed_in_id(info), draft)
            return CreateAlertPayload(alert=Alert(row=row))

        return await payload_or_user_errors(CreateAlertPayload, created())

    @strawberry.mutation(
        description="Delete one of your alerts.", permission_classes=[IsAuthenticated]
    )
    async def delete_alert(self, info: Info, input: DeleteAlertInput) -> DeleteAlertPayload | None:
        async def deleted() -> DeleteAlertPayload:
            alert_id = await alerts.delete_alert(
                info.context.services,
                signed_in_id(info),
                decode_id("Alert", input.alert_id, "alertId"),
            )
            return DeleteAlertPayload(deleted_alert_id=encode_id("Alert", alert_id))

        return await payload_or_user_errors(DeleteAlertPayload, deleted())
