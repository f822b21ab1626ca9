"""Listings: what members offer, need, or appeal for."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow


class ListingType(StrEnum):
    OFFER = "OFFER"
    NEED = "NEED"
    APPEAL = "APPEAL"


class ListingKind(StrEnum):
    SERVICE = "SERVICE"
    GOOD = "GOOD"


class ListingStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Listing(SQLModel, table=True):
    __table_args__ = (CheckConstraint("digos >= 0", name="ck_listing_digos_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="member.id", index=True)
    type: ListingType = Field(sa_type=String(10))
    kind: ListingKind = Field(sa_type=String(10))
    category: str = Field(max_length=40)
    title: str = Field(max_length=120)
    description: str = Field(max_length=4000)
    digos: int
    latitude: float
    longitude: float
    status: ListingStatus = Field(default=ListingStatus.OPEN, sa_type=String(10))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
