"""Reviews: what one party of a completed exchange says of the other."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import REVIEW_COMMENT_LENGTH, UTCDateTime, utcnow


class Review(SQLModel, table=True):
    """One per exchange and author. `idempotency_key` is the key its mutation was sent with,
    so that a repeat returns this review and a reuse for other input is refused."""

    __table_args__ = (
        UniqueConstraint("exchange_id", "author_id", name="uq_review_exchange_author"),
        UniqueConstraint("author_id", "idempotency_key", name="uq_review_author_key"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_review_rating_range"),
        CheckConstraint("author_id <> subject_id", name="ck_review_two_members"),
        Index("ix_review_subject_id_id", "subject_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id")
    listing_id: int = Field(foreign_key="listing.id")
    author_id: int = Field(foreign_key="member.id")
    subject_id: int = Field(foreign_key="member.id")
    rating: int
    comment: str | None = Field(default=None, max_length=REVIEW_COMMENT_LENGTH)
    idempotency_key: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
