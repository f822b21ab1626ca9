"""Exchanges between two members, and the idempotency keys that make their mutations safe
to repeat."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow
from models.listings import ListingType


class ExchangeStatus(StrEnum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


OPEN_STATUSES = (ExchangeStatus.REQUESTED, ExchangeStatus.ACCEPTED)


class Exchange(SQLModel, table=True):
    """One member helping another on a listing.

    `digos` is the listing's price when requested; `held_digos` and `held_goodvibes` are what
    the beneficiary's accounts hold for this exchange right now (zero once it is closed).
    """

    __table_args__ = (
        CheckConstraint("digos >= 0", name="ck_exchange_digos_not_negative"),
        CheckConstraint(
            "discount_digos >= 0 AND discount_digos <= digos", name="ck_exchange_discount_in_price"
        ),
        CheckConstraint("goodvibes_applied >= 0", name="ck_exchange_goodvibes_not_negative"),
        CheckConstraint(
            "held_digos >= 0 AND held_goodvibes >= 0", name="ck_exchange_held_not_negative"
        ),
        CheckConstraint(
            "status IN ('REQUESTED', 'ACCEPTED') OR (held_digos = 0 AND held_goodvibes = 0)",
            name="ck_exchange_closed_holds_nothing",
        ),
        CheckConstraint("provider_id <> beneficiary_id", name="ck_exchange_two_members"),
        Index("ix_exchange_provider_id_id", "provider_id", "id"),
        Index("ix_exchange_beneficiary_id_id", "beneficiary_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", index=True)
    listing_type: ListingType = Field(sa_type=String(10))
    provider_id: int = Field(foreign_key="member.id")
    beneficiary_id: int = Field(foreign_key="member.id")
    status: ExchangeStatus = Field(sa_type=String(10))
    digos: int
    discount_digos: int = 0
    goodvibes_applied: int = 0
    held_digos: int = 0
    held_goodvibes: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """A key a member sent with a mutation, the request it named and what it gave: an
    exchange or a message.

    Unique per member in the database, so every process sees the first use of a key.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("member_id", "key", name="uq_idempotency_key_member_key"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    key: str = Field(max_length=100)
    request: str = Field(max_length=200)
    exchange_id: int | None = Field(default=None, foreign_key="exchange.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
