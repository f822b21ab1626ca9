"""Staying safe: reporting a member or a listing to the moderators, and blocking members."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from models import Report as ReportRow
from models import ReportReason, ReportStatus
from resolvers import blocks, reports
from resolvers.reports import ReportDraft
from schema.context import Info
from schema.conversations import Message
from schema.errors import UserError, payload_or_user_errors
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member
from schema.nodes import Node, private_node_kind
from schema.permissions import IsAuthenticated, signed_in_id

strawberry.enum(ReportReason)
strawberry.enum(ReportStatus, description="OPEN until a moderator dismisses or acts on it.")


async def member_of(info: Info, member_id: int) -> Member:
    member = await info.context.loaders.member.load(member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    return Member(row=member)


@strawberry.type(description="A report to the moderators. Seen by its reporter and moderators.")
class Report(Node):
    row: strawberry.Private[ReportRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Report", self.row.id)

    @strawberry.field
    def reason(self) -> ReportReason:
        return ReportReason(self.row.reason)

    @strawberry.field
    def details(self) -> str | None:
        return self.row.details

    @strawberry.field
    def status(self) -> ReportStatus:
        return ReportStatus(self.row.status)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    async def reporter(self, info: Info) -> Member:
        return await member_of(info, self.row.reporter_id)

    @strawberry.field(description="The member reported, or the author of what was reported.")
    async def member(self, info: Info) -> Member:
        return await member_of(info, self.row.member_id)

    @strawberry.field(description="The listing reported, if a listing was.")
    async def listing(self, info: Info) -> Listing | None:
        if self.row.listing_id is None:
            return None
        listing = await info.context.loaders.listing.load(self.row.listing_id)
        return None if listing is None else Listing(row=listing)

    @strawberry.field(description="The message reported, if a message was.")
    async def message(self, info: Info) -> Message | None:
        if self.row.message_id is None:
            return None
        message = await reports.reported_message(info.context.services, self.row.message_id)
        return None if message is None else Message(row=message)


private_node_kind("Report", reports.get_reports, lambda row: Report(row=row))


@strawberry.input(description="Exactly one of memberId, listingId or messageId.")
class ReportInput:
    reason: ReportReason
    member_id: strawberry.ID | None = None
    listing_id: strawberry.ID | None = None
    message_id: strawberry.ID | None = None
    details: str | None = strawberry.field(default=None, description="At most 1,000.")
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.input
class BlockMemberInput:
    member_id: strawberry.ID


@strawberry.type
class ReportPayload:
    report: Report | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BlockPayload:
    member: Member | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _optional_id(kind: str, value: strawberry.ID | None, field: str) -> int | None:
    return None if value is None else decode_id(kind, value, field)


@strawberry.type
class SafetyQuery:
    @strawberry.field(
        description="The members you blocked, the latest first. Visible to you alone.",
        permission_classes=[IsAuthenticated],
    )
    async def my_blocks(self, info: Info) -> list[Member] | None:
        rows = await blocks.my_blocks(info.context.services, signed_in_id(info))
        return [Member(row=row) for row in rows]


@strawberry.type
class SafetyMutation:
    @strawberry.mutation(
        description="Report a member, a listing or a message to the moderators.",
        permission_classes=[IsAuthenticated],
    )
    async def report(self, info: Info, input: ReportInput) -> ReportPayload | None:
        async def filed() -> ReportPayload:
            draft = ReportDraft(
                reason=input.reason,
                member_id=_optional_id("Member", input.member_id, "memberId"),
                listing_id=_optional_id("Listing", input.listing_id, "listingId"),
                message_id=_optional_id("Message", input.message_id, "messageId"),
                details=input.details,
                idempotency_key=input.idempotency_key,
            )
            row = await reports.report(info.context.services, signed_in_id(info), draft)
            return ReportPayload(report=Report(row=row))

        return await payload_or_user_errors(ReportPayload, filed())

    @strawberry.mutation(
        description="Block a member: neither of you sees the other's listings or can start an "
        "exchange or a conversation with the other.",
        permission_classes=[IsAuthenticated],
    )
    async def block_member(self, info: Info, input: BlockMemberInput) -> BlockPayload | None:
        async def blocked() -> BlockPayload:
            member_id = decode_id("Member", input.member_id, "memberId")
            row = await blocks.block(info.context.services, signed_in_id(info), member_id)
            return BlockPayload(member=Member(row=row))

        return await payload_or_user_errors(BlockPayload, blocked())

    @strawberry.mutation(
        description="Lift a block of yours.", permission_classes=[IsAuthenticated]
    )
    async def unblock_member(self, info: Info, input: BlockMemberInput) -> BlockPayload | None:
        async def unblocked() -> BlockPayload:
            member_id = decode_id("Member", input.member_id, "memberId")
            row = await blocks.unblock(info.context.services, signed_in_id(info), member_id)
            return BlockPayload(member=Member(row=row))

        return await payload_or_user_errors(BlockPayload, unblocked())
