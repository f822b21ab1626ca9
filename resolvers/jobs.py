"""Every time-driven job, run by the one process that holds the scheduler's lease
(resolvers/scheduler.py). A new job is a `Job` added here."""

from __future__ import annotations

from resolvers.digests import DAILY_DIGEST
from resolvers.listing_feed import PLACE_ORPHAN_LISTINGS
from resolvers.outbox import SEND_MAIL
from resolvers.scheduler import Job

JOBS: tuple[Job, ...] = (DAILY_DIGEST, SEND_MAIL, PLACE_ORPHAN_LISTINGS)
