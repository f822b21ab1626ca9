"""The order in which new listings entered the live feed."""

from sqlmodel import Field, SQLModel


class ListingFeedEntry(SQLModel, table=True):
    """`position` is the feed's cursor: given after the listing committed, one at a time, so
    positions become visible in order even when listings commit out of id order."""

    __tablename__ = "listing_feed_entry"

    position: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listing.id", unique=True)
