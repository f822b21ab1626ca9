"""Members and their sign-in tokens."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=60)
    bio: str = Field(default="", max_length=1000)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The language of the mails sent to this member: "en" or "fr".
    language: str = Field(default="en", max_length=2, sa_column_kwargs={"server_default": "en"})


class AuthToken(SQLModel, table=True):
    """A sign-in: only the SHA-256 of the token is kept, so a leaked table signs no one in."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
