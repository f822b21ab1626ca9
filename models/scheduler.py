"""The scheduler's state: who runs the time-driven jobs, and when each is next due."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime


class SchedulerLease(SQLModel, table=True):
    """The process that runs the jobs, until `expires_at` unless it renews its lease."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ScheduledJob(SQLModel, table=True):
    __tablename__ = "scheduled_job"

    name: str = Field(primary_key=True, max_length=40)
    next_run_at: datetime = Field(sa_type=UTCDateTime)
