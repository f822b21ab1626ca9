"""Alerts: searches a member saved, to be told of each new listing that matches."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow


class Alert(SQLModel, table=True):
    """`types` and `categories` empty mean any; `text` must appear in a match's title or
    description."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    latitude: float = Field(index=True)
    longitude: float
    radius_km: float
    types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
