"""The moderators' console: the queue of open reports, decisions, restores and the log.
Anyone but a moderator is refused with FORBIDDEN (UNAUTHENTICATED when signed out)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.permission import BasePermission

from models import ModerationAction
from models import ModerationLogEntry as LogRow
from models.columns import MODERATION_REASON_LENGTH
from resolvers import moderation, moderators
from resolvers.moderation import Decision
from resolvers.translations import N_
from schema.context import Info
from schema.errors import UserError, forbidden, payload_or_user_errors
from schema.exchanges import after_id, page_size
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member
from schema.nodes import Node, private_node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id
from schema.safety import Report, member_of

strawberry.enum(
    ModerationAction,
    description="A decision on a report (DISMISS, HIDE_LISTING, HIDE_MESSAGE, SUSPEND_MEMBER), "
    "or RESTORE_MEMBER in the log.",
)


class IsModerator(BasePermission):
    def on_unauthorized(self) -> None:
        raise forbidden(N_("the moderators' console is for moderators"))

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer_id
        return viewer is not None and await moderators.is_moderator(info.context.services, viewer)


MODERATORS = [IsAuthenticated, IsModerator]
First = Annotated[int | None, strawberry.argument(description="1 to 100; 20.")]


@strawberry.type(description="One moderation action: who, when, why and what it changed.")
class ModerationLogEntry(Node):
    row: strawberry.Private[LogRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("ModerationLogEntry", self.row.id)

    @strawberry.field
    def action(self) -> ModerationAction:
        return ModerationAction(self.row.action)

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(description="What the action changed, and what a restore could not undo.")
    def outcome(self) -> str:
        return self.row.outcome

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def suspend_until(self) -> datetime | None:
        return self.row.suspend_until

    @strawberry.field
    async def moderator(self, info: Info) -> Member:
        return await member_of(info, self.row.moderator_id)

    @strawberry.field
    async def member(self, info: Info) -> Member | None:
        return None if self.row.member_id is None else await member_of(info, self.row.member_id)

    @strawberry.field
    async def listing(self, info: Info) -> Listing | None:
        if self.row.listing_id is None:
            return None
        listing = await info.context.loaders.listing.load(self.row.listing_id)
        return None if listing is None else Listing(row=listing)


private_node_kind(
    "ModerationLogEntry", moderation.get_log_entries, lambda row: ModerationLogEntry(row=row)
)


@strawberry.type
class ReportEdge:
    cursor: str
    node: Report


@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo


@strawberry.type
class ModerationLogEdge:
    cursor: str
    node: ModerationLogEntry


@strawberry.type
class ModerationLogConnection:
    edges: list[ModerationLogEdge]
    page_info: PageInfo


@strawberry.input
class ResolveReportInput:
    report_id: strawberry.ID
    action: ModerationAction
    reason: str = strawberry.field(
        description=f"Why: 1 to {MODERATION_REASON_LENGTH:,} characters, kept in the log."
    )
    suspend_until: datetime | None = strawberry.field(
        default=None, description="With SUSPEND_MEMBER: when the suspension ends."
    )


@strawberry.input
class RestoreMemberInput:
    member_id: strawberry.ID
    reason: str


@strawberry.type
class ResolveReportPayload:
    report: Report | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RestoreMemberPayload:
    member: Member | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModerationQuery:
    @strawberry.field(description="Open reports, oldest first.", permission_classes=MODERATORS)
    async def moderation_queue(
        self, info: Info, first: First = None, after: str | None = None
    ) -> ReportConnection | None:
        size, seen = page_size(first), after_id("Report", after)
        page = await moderation.queue(info.context.services, first=size, after=seen)
        edges = [
            ReportEdge(cursor=encode_id("Report", r.id), node=Report(row=r)) for r in page.items
        ]
        return ReportConnection(edges=edges, page_info=PageInfo.forward(page.has_next, edges))

    @strawberry.field(
        description="Every moderation action, the latest first.", permission_classes=MODERATORS
    )
    async def moderation_log(
        self, info: Info, first: First = None, after: str | None = None
    ) -> ModerationLogConnection | None:
        size, before = page_size(first), after_id("ModerationLogEntry", after)
        page = await moderation.log(info.context.services, first=size, before=before)
        edges = [
            ModerationLogEdge(
                cursor=encode_id("ModerationLogEntry", e.id), node=ModerationLogEntry(row=e)
            )
            for e in page.items
        ]
        return ModerationLogConnection(
            edges=edges, page_info=PageInfo.forward(page.has_next, edges)
        )


@strawberry.type
class ModerationMutation:
    @strawberry.mutation(
        description="Dismiss a report, hide what it names, or suspend the member until a date.",
        permission_classes=MODERATORS,
    )
    async def resolve_report(
        self, info: Info, input: ResolveReportInput
    ) -> ResolveReportPayload | None:
        async def resolved() -> ResolveReportPayload:
            decision = Decision(
                report_id=decode_id("Report", input.report_id, "reportId"),
                action=input.action,
                reason=input.reason,
                suspend_until=input.suspend_until,
            )
            row = await moderation.resolve_report(
                info.context.services, signed_in_id(info), decision
            )
            return ResolveReportPayload(report=Report(row=row))

        return await payload_or_user_errors(ResolveReportPayload, resolved())

    @strawberry.mutation(
        description="Lift a member's suspension; the log says what could not be undone.",
        permission_classes=MODERATORS,
    )
    async def restore_member(
        self, info: Info, input: RestoreMemberInput
    ) -> RestoreMemberPayload | None:
        async def restored() -> RestoreMemberPayload:
            row = await moderation.restore_member(
                info.context.services,
                signed_in_id(info),
                decode_id("Member", input.member_id, "memberId"),
                input.reason,
            )
            return RestoreMemberPayload(member=Member(row=row))

        return await payload_or_user_errors(RestoreMemberPayload, restored())
