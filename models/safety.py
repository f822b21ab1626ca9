"""What members do to stay safe: reports for the moderators, and blocks between two members."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel, col

from models.columns import REPORT_DETAILS_LENGTH, UTCDateTime, utcnow


class ReportReason(StrEnum):
    SPAM = "SPAM"
    SCAM = "SCAM"
    HARASSMENT = "HARASSMENT"
    INAPPROPRIATE = "INAPPROPRIATE"
    DANGEROUS = "DANGEROUS"
    OTHER = "OTHER"


class ReportStatus(StrEnum):
    OPEN = "OPEN"
    DISMISSED = "DISMISSED"
    ACTIONED = "ACTIONED"


class Report(SQLModel, table=True):
    """A member's report. `member_id` is always the member concerned: the one reported, or
    the author of the listing or message reported, so that a moderator may act on them."""

    __table_args__ = (
        UniqueConstraint("reporter_id", "idempotency_key", name="uq_report_reporter_key"),
        Index("ix_report_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="member.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    listing_id: int | None = Field(default=None, foreign_key="listing.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    reason: ReportReason = Field(sa_type=String(20))
    details: str | None = Field(default=None, max_length=REPORT_DETAILS_LENGTH)
    status: ReportStatus = Field(default=ReportStatus.OPEN, sa_type=String(10))
    idempotency_key: str | None = Field(default=None, max_length=100)
    request: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Block(SQLModel, table=True):
    """`blocker_id` blocked `blocked_id`: the two no longer see or deal with each other."""

    __table_args__ = (
        CheckConstraint("blocker_id <> blocked_id", name="ck_block_two_members"),
        Index("ix_block_blocked_id", "blocked_id"),
    )

    blocker_id: int = Field(foreign_key="member.id", primary_key=True)
    blocked_id: int = Field(foreign_key="member.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def blocked_between(one: Any, other: Any) -> ColumnElement[bool]:
    """The blocks between two members (ids, or columns that hold them), whoever blocked whom."""
    blocker, blocked = col(Block.blocker_id), col(Block.blocked_id)
    either: ColumnElement[bool] = ((blocker == one) & (blocked == other)) | (
        (blocker == other) & (blocked == one)
    )
    return either
