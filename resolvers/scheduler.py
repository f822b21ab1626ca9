"""The time-driven jobs (sending mail, daily digests, and any job added to `jobs.JOBS`), run
by one process at a time among all those serving.

Each process runs a `Scheduler`; the one holding the lease row runs the jobs, renewing the
lease at every tick. A lease left by a process that stopped runs out after `lease_seconds`,
and another process takes over; one that stops cleanly hands it back at once. The lease is a
row in the database, so it works the same on SQLite and PostgreSQL.

A periodic job's next due time is kept in the database and moves on only once its run for
that time is done: after a restart, or a change of leader, each due time is run once, in
order, none skipped and none repeated (a run cut short is run again, so a job does its work
in transactions that leave nothing to redo).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from models import ScheduledJob, SchedulerLease
from models.columns import utcnow
from models.database import upsert
from realtime.channels import OUTBOX_CHANNEL
from realtime.fanout import Listener
from resolvers.services import Services

log = logging.getLogger("indigo.scheduler")

LEASE = "jobs"
LEASE_TICKS = 10


def _at_once(now: datetime) -> datetime:
    return now


@dataclass(frozen=True, slots=True)
class Job:
    """`run(services, due)` is called at every tick when `every` is None (`due` is then
    now, and nothing is recorded); otherwise once for each due time, `every` apart, the
    first at `first_due(now)` when the job is first seen."""

    name: str
    run: Callable[[Services, datetime], Awaitable[None]]
    every: timedelta | None = None
    first_due: Callable[[datetime], datetime] = _at_once


class Scheduler:
    def __init__(
        self,
        services: Services,
        jobs: Sequence[Job],
        *,
        tick_seconds: float = 1.0,
        holder: str | None = None,
    ) -> None:
        self.services = services
        self.jobs = list(jobs)
        self.tick_seconds = tick_seconds
        self.lease_seconds = max(5.0, LEASE_TICKS * tick_seconds)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tick now rather than at the next period (new mail to send, say)."""
        self._wake.set()

    async def run(self) -> None:
        """Tick until cancelled, then hand the lease back."""
        try:
            async with self.services.hub.listen([OUTBOX_CHANNEL], self.wake) as wakes:
                waker = asyncio.create_task(self._wake_on(wakes))
                try:
                    while True:
                        try:
                            await self.tick()
                        except Exception:  # a failed tick is logged; the next one tries again
                            log.exception("scheduled jobs failed")
                        await self._sleep()
                finally:
                    waker.cancel()
        finally:
            await asyncio.shield(self._release())

    async def _wake_on(self, wakes: Listener) -> None:
        async for _ in wakes:
            self.wake()

    async def _sleep(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that
        # arrives as the wake-up does (mail queued at shutdown), and the loop never stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.tick_seconds):
                await self._wake.wait()
        self._wake.clear()

    async def tick(self) -> bool:
        """One round: take or renew the lease, and if held, run what is due. Whether this
        process holds the lease."""
        if not await self._lead():
            return False
        for job in self.jobs:
            if job.every is None:
                await job.run(self.services, utcnow())
            else:
                await self._run_due(job, job.every)
        return True

    async def _lead(self) -> bool:
        now = utcnow()
        until = now + timedelta(seconds=self.lease_seconds)
        async with self.services.db.write() as session:
            insert = upsert(session)
            await session.execute(
                insert(SchedulerLease)
                .values(name=LEASE, holder=self.holder, expires_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            taken = await session.execute(
                update(SchedulerLease)
                .where(
                    col(SchedulerLease.name) == LEASE,
                    (col(SchedulerLease.holder) == self.holder)
                    | (col(SchedulerLease.expires_at) <= now),
                )
                .values(holder=self.holder, expires_at=until)
            )
        return bool(getattr(taken, "rowcount", 0))

    async def _release(self) -> None:
        try:
            async with self.services.db.write() as session:
                await session.execute(
                    update(SchedulerLease)
                    .where(
                        col(SchedulerLease.name) == LEASE,
                        col(SchedulerLease.holder) == self.holder,
                    )
                    .values(expires_at=utcnow())
                )
        except Exception:  # stopping anyway: the lease then runs out by itself
            log.warning("could not hand the scheduler's lease back", exc_info=True)

    async def _run_due(self, job: Job, every: timedelta) -> None:
        now = utcnow()
        async with self.services.db.write() as session:
            insert = upsert(session)
            await session.execute(
                insert(ScheduledJob)
                .values(name=job.name, next_run_at=job.first_due(now))
                .on_conflict_do_nothing(index_elements=["name"])
            )
        while True:
            async with self.services.db.read() as session:
                due = await session.scalar(
                    select(col(ScheduledJob.next_run_at)).where(col(ScheduledJob.name) == job.name)
                )
            if due is None or due > utcnow():
                return
            await job.run(self.services, due)
            async with self.services.db.write() as session:
                await session.execute(
                    update(ScheduledJob)
                    .where(
                        col(ScheduledJob.name) == job.name,
                        col(ScheduledJob.next_run_at) == due,
                    )
                    .values(next_run_at=due + every)
                )
