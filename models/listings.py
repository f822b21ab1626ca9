"""Listings: what members offer, need, or appeal for."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, Text, text
from sqlmodel import Field, SQLModel

from models.columns import DESCRIPTION_LENGTH, TITLE_LENGTH, UTCDateTime, utcnow

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
    EXPIRED = "EXPIRED"
    # Set by a moderator: out of every search, still shown to its author.
    HIDDEN = "HIDDEN"


class Listing(SQLModel, table=True):
    """A listing; `grid_latitude` and `grid_longitude` (its point as others see it) are
    derived from it for the map and the nearby search, `search_text` for the search's words.

    The nearby index holds only open listings, by the cell others see them in and then in
    id order (the order of a search among listings of one cell), and every column the
    search's first pass reads, so that pass never touches the table itself (`status` too:
    SQLite does not count a partial index's condition as covered).
    """

    __table_args__ = (
        CheckConstraint("digos >= 0", name="ck_listing_digos_not_negative"),
        Index(
            "ix_listing_open_cell",
            "grid_latitude",
            "grid_longitude",
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
        Index(
            "ix_listing_open_expires_at",
            "expires_at",
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
        Index(
            "ix_listing_open_grid",
            "grid_latitude",
            "grid_longitude",
            "type",
            "category",
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="member.id", index=True)
    type: ListingType = Field(sa_type=String(10))
    kind: ListingKind = Field(sa_type=String(10))
    category: str = Field(max_length=40)
    title: str = Field(max_length=TITLE_LENGTH)
    description: str = Field(max_length=DESCRIPTION_LENGTH)
    digos: int
    latitude: float
    longitude: float
    lat_band: int
    # The point others see (rounded to 0.01°), in hundredths of a degree: the map counts
    # and clusters these, never the exact point.
    grid_latitude: int
    grid_longitude: int
    search_text: str = Field(sa_type=Text)
    status: ListingStatus = Field(default=ListingStatus.OPEN, sa_type=String(10))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    # When its author was told it is about to expire; cleared when it is renewed.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
