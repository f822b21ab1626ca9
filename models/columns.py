"""Column types and text lengths shared by the tables."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The longest text these columns hold: the rules refuse longer input before the database
# would, and the schema's descriptions quote the same numbers.
EMAIL_LENGTH = 254
DISPLAY_NAME_LENGTH = 60
BIO_LENGTH = 1000
TITLE_LENGTH = 120
DESCRIPTION_LENGTH = 4000
REVIEW_COMMENT_LENGTH = 1000
REPORT_DETAILS_LENGTH = 1000
MODERATION_REASON_LENGTH = 1000
MAIL_SUBJECT_LENGTH = 200


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always read back timezone-aware in UTC.

    SQLite keeps no zone, so without this the same row reads differently per database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
