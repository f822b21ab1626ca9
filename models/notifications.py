"""Notifications: what a member is told, and how each kind reaches them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, text
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow

DIGEST_PENDING = text("digest_pending")


class NotificationKind(StrEnum):
    EXCHANGE_REQUESTED = "EXCHANGE_REQUESTED"
    EXCHANGE_ACCEPTED = "EXCHANGE_ACCEPTED"
    EXCHANGE_DECLINED = "EXCHANGE_DECLINED"
    EXCHANGE_CANCELLED = "EXCHANGE_CANCELLED"
    EXCHANGE_COMPLETED = "EXCHANGE_COMPLETED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    REVIEW_RECEIVED = "REVIEW_RECEIVED"
    APPEAL_ANSWERED = "APPEAL_ANSWERED"
    ALERT_MATCH = "ALERT_MATCH"
    LISTING_EXPIRING = "LISTING_EXPIRING"
    MODERATION = "MODERATION"


class Delivery(StrEnum):
    APP = "APP"
    EMAIL = "EMAIL"
    DAILY_DIGEST = "DAILY_DIGEST"


class Notification(SQLModel, table=True):
    """One event told to one member. `digest_pending` marks those waiting for the member's
    next daily digest mail."""

    __table_args__ = (
        Index("ix_notification_member_id_id", "member_id", "id"),
        Index(
            "ix_notification_digest_pending",
            "member_id",
            sqlite_where=DIGEST_PENDING,
            postgresql_where=DIGEST_PENDING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    kind: NotificationKind = Field(sa_type=String(30))
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    exchange_id: int | None = Field(default=None, foreign_key="exchange.id")
    listing_id: int | None = Field(default=None, foreign_key="listing.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest_pending: bool = False


class NotificationSetting(SQLModel, table=True):
    """A member's choice of delivery for one kind; kinds without a row use the default."""

    __tablename__ = "notification_setting"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    kind: NotificationKind = Field(sa_type=String(30), primary_key=True)
    delivery: Delivery = Field(sa_type=String(20))
