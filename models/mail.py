"""The outbox: mails written in the transaction that causes them, sent later by one sender."""

from datetime import datetime

from sqlalchemy import Index, Text, text
from sqlmodel import Field, SQLModel

from models.columns import EMAIL_LENGTH, MAIL_SUBJECT_LENGTH, UTCDateTime, utcnow

UNSENT = text("sent_at IS NULL")


class Mail(SQLModel, table=True):
    """A plain-text mail to send. `next_attempt_at` moves back after each failed attempt."""

    __table_args__ = (
        Index(
            "ix_mail_unsent",
            "next_attempt_at",
            sqlite_where=UNSENT,
            postgresql_where=UNSENT,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    to_address: str = Field(max_length=EMAIL_LENGTH)
    subject: str = Field(max_length=MAIL_SUBJECT_LENGTH)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
