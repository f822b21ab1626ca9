"""Fixed-window counters that every process shares through the database."""

from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limit_counter"

    key: str = Field(primary_key=True, max_length=300)
    window: int = Field(primary_key=True, index=True)
    hits: int = 0
