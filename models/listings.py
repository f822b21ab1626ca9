"""Listings: what members offer, need, or appeal for."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, Text, text
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow

OPEN_ONLY = text("status = 'OPEN'")


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
    HIDDEN = "HIDDEN"  # by a moderator; its author still sees it


class Listing(SQLModel, table=True):
    """A listing; `lat_band` and `search_text` are derived from it for the nearby search.

    The nearby index holds only open listings and every column the search's first pass
    reads, so that pass never touches the table itself (`status` too: SQLite does not count
    a partial index's condition as covered).
    """

    __table_args__ = (
        CheckConstraint("digos >= 0", name="ck_listing_digos_not_negative"),
        Index(
            "ix_listing_open_nearby",
            "lat_band",
            "longitude",
            "latitude",
            "id",
            "status",
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
        Index(
            "ix_listing_open_appeals",
            "author_id",
            sqlite_where=text("status = 'OPEN' AND type = 'APPEAL'"),
            postgresql_where=text("status = 'OPEN' AND type = 'APPEAL'"),
        ),
    )

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
    lat_band: int
    search_text: str = Field(sa_type=Text)
    status: ListingStatus = Field(default=ListingStatus.OPEN, sa_type=String(10))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
