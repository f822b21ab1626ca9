"""Moderators, the suspensions they decide, and the log of every moderation action."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from models.columns import MODERATION_REASON_LENGTH, UTCDateTime, utcnow


class ModerationAction(StrEnum):
    DISMISS = "DISMISS"
    HIDE_LISTING = "HIDE_LISTING"
    HIDE_MESSAGE = "HIDE_MESSAGE"
    SUSPEND_MEMBER = "SUSPEND_MEMBER"
    RESTORE_MEMBER = "RESTORE_MEMBER"


class Moderator(SQLModel, table=True):
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Suspension(SQLModel, table=True):
    """A member suspended until `until`, unless lifted before. `hidden_listing_ids` are the
    listings the suspension hid, which a restore shows again; the exchanges it cancelled
    cannot be restored."""

    __table_args__ = (Index("ix_suspension_member_id_until", "member_id", "until"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    until: datetime = Field(sa_type=UTCDateTime)
    hidden_listing_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    cancelled_exchanges: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ModerationLogEntry(SQLModel, table=True):
    """Who did what, to whom, when and why; `outcome` says what the action changed."""

    __tablename__ = "moderation_log_entry"

    id: int | None = Field(default=None, primary_key=True)
    action: ModerationAction = Field(sa_type=String(20))
    moderator_id: int = Field(foreign_key="member.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")
    listing_id: int | None = Field(default=None, foreign_key="listing.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    report_id: int | None = Field(default=None, foreign_key="report.id")
    reason: str = Field(max_length=MODERATION_REASON_LENGTH)
    outcome: str = Field(default="", max_length=1000)
    suspend_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
