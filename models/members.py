"""Members, their sign-in tokens and the single-use tokens mailed to them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from models.columns import (
    BIO_LENGTH,
    DISPLAY_NAME_LENGTH,
    EMAIL_LENGTH,
    UTCDateTime,
    utcnow,
)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_LENGTH, unique=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=DISPLAY_NAME_LENGTH)
    bio: str = Field(default="", max_length=BIO_LENGTH)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The language of the mails sent to this member: "en" or "fr".
    language: str = Field(default="en", max_length=2, sa_column_kwargs={"server_default": "en"})
    email_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A former member: their personal data is erased, the row stays for the ledger's sake.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthToken(SQLModel, table=True):
    """A sign-in: only the SHA-256 of the token is kept, so a leaked table signs no one in."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccountTokenPurpose(StrEnum):
    RESET_PASSWORD = "RESET_PASSWORD"
    CONFIRM_EMAIL = "CONFIRM_EMAIL"


class AccountToken(SQLModel, table=True):
    """A single-use token mailed to a member (a password reset, an address to confirm); only
    its SHA-256 is kept."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    purpose: AccountTokenPurpose = Field(sa_type=String(20))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
