"""Message delivery and the mail outbox under load: two uvicorn processes sharing PostgreSQL
and Redis, members talking in many conversations at once.

    .venv/bin/python -m bench.messages --conversations 1000 --authors 20 --rate 20

A fresh PostgreSQL database (on INDIGO_BENCH_DATABASE_URL's server, default the local one),
a redis-server and an SMTP server (aiosmtpd) of the bench's own. `--authors` members post a
listing each; `conversations / authors` askers each ask every author a question (opening
the conversations), and keep a `MessageFeed` socket open, half of them on each process.
Then every author answers in each of their conversations, through both processes in turn:
`--rate` a second on a schedule, or (without it) as fast as `--concurrency` messages in
flight allow, which measures a saturated server's queue more than its delivery. Reported:
the delay from each `sendMessage`'s response to the asker's socket receiving it (p50, p99,
max), messages lost, the mails of the messages (each mails its recipient at once, the
default), all sent; then `--backlog` mails are put in the outbox at once, and the time the
one sending process takes to send them all gives its rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select
from websockets.asyncio.client import ClientConnection

from bench.fanout import percentile
from indigo import migrations
from models import Database, Mail
from resolvers.account_mail import CONFIRMATION_SUBJECTS
from tests.api import Api, SignedIn
from tests.community import sent
from tests.economy import post_listing
from tests.live import member_channel_of, subscribed
from tests.polling import until
from tests.postgres import admin, create_database, drop_database
from tests.processes import uvicorn_process
from tests.redis_server import redis_server
from tests.smtp_server import smtp_server
from tests.test_two_processes import subscribers_in_redis

SERVER_SETTINGS = {
    "INDIGO_MUTATIONS_PER_MINUTE": "1000000",
    "INDIGO_MESSAGES_PER_MINUTE": "1000000",
    "INDIGO_SCHEDULER_TICK_SECONDS": "0.2",
}
WAIT_SECONDS = 300.0
BODY = "Hello,\n\nSomething happened near you.\n\nSee it in Indigo: http://127.0.0.1:8000/\n"
T = TypeVar("T")


@dataclass
class Inbox:
    """What one asker's socket received: each message id with its arrival time."""

    arrivals: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0

    async def read(self, socket: ClientConnection) -> None:
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") == "next":
                message_id = message["payload"]["data"]["messageAdded"]["message"]["id"]
                if message_id in self.arrivals:
                    self.duplicates += 1
                self.arrivals[message_id] = time.monotonic()


@dataclass
class Outcome:
    conversations: int
    delays_ms: list[float]
    lost: int
    duplicates: int
    mails: int
    mails_per_second: float


async def measure(
    database_url: str,
    conversations: int,
    author_count: int,
    concurrency: int,
    rate: float,
    backlog: int,
) -> Outcome:
    with smtp_server() as smtp:
        settings = {**SERVER_SETTINGS, "INDIGO_SMTP_URL": smtp.url}
        async with (
            redis_server() as redis,
            uvicorn_process(database_url, redis.url, settings=settings) as first,
            uvicorn_process(database_url, redis.url, settings=settings) as second,
            httpx.AsyncClient(base_url=first.url, timeout=60) as one,
            httpx.AsyncClient(base_url=second.url, timeout=60) as two,
        ):
            apis = [Api(one), Api(two)]
            authors = [await apis[0].register() for _ in range(author_count)]
            askers = [await apis[0].register() for _ in range(conversations // author_count)]
            listings = [await post_listing(apis[0], a, "OFFER", 1) for a in authors]
            inboxes = [Inbox() for _ in askers]
            async with _sockets([first.url, second.url], askers, inboxes):
                for asker in askers:
                    await subscribers_in_redis(redis, database_url, member_channel_of(asker), 1)
                opened = await _ask(apis, askers, listings, concurrency)
                await until(lambda: all(len(i.arrivals) == len(authors) for i in inboxes))
                replies = await _answer(apis, authors, opened, concurrency, rate)
                wanted = len(opened) + len(replies)
                with contextlib.suppress(TimeoutError):  # what never came counts as lost
                    await until(
                        lambda: sum(len(i.arrivals) for i in inboxes) >= wanted,
                        within=WAIT_SECONDS,
                    )
            delays, lost = [], 0
            for (asker_index, message_id), answered in replies.items():
                arrival = inboxes[asker_index].arrivals.get(message_id)
                if arrival is None:
                    lost += 1
                else:
                    delays.append((arrival - answered) * 1000)
            mails, rate = await _outbox(database_url, wanted, backlog)
    return Outcome(
        conversations=len(opened),
        delays_ms=delays,
        lost=lost,
        duplicates=sum(i.duplicates for i in inboxes),
        mails=mails,
        mails_per_second=rate,
    )


@asynccontextmanager
async def _sockets(
    urls: Sequence[str], askers: list[SignedIn], inboxes: list[Inbox]
) -> AsyncIterator[None]:
    """Each asker's MessageFeed socket, half on each process, read by a task of its own."""
    async with AsyncExitStack() as stack:
        readers = []
        for index, (asker, inbox) in enumerate(zip(askers, inboxes, strict=True)):
            feed = await stack.enter_async_context(
                subscribed(urls[index % 2], "MessageFeed", token=asker.token)
            )
            readers.append(asyncio.create_task(inbox.read(feed.socket)))
        try:
            yield
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)


async def _in_flight(
    jobs: Sequence[T], concurrency: int, run: Callable[[T], Awaitable[None]]
) -> None:
    """Run `run` on every job, `concurrency` at a time."""
    queue = iter(jobs)

    async def worker() -> None:
        for job in queue:
            await run(job)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _ask(
    apis: list[Api], askers: list[SignedIn], listings: list[str], concurrency: int
) -> dict[tuple[int, int], str]:
    """Every asker asks every author: the conversation of each (asker, author)."""
    opened: dict[tuple[int, int], str] = {}
    turns = itertools.count()

    async def ask(pair: tuple[int, int]) -> None:
        asker, author = pair
        message = await sent(
            apis[next(turns) % 2], askers[asker], "Still there?", listingId=listings[author]
        )
        opened[pair] = message["conversation"]["id"]

    pairs = [(q, a) for q in range(len(askers)) for a in range(len(listings))]
    await _in_flight(pairs, concurrency, ask)
    return opened


async def _answer(
    apis: list[Api],
    authors: list[SignedIn],
    opened: dict[tuple[int, int], str],
    concurrency: int,
    rate: float,
) -> dict[tuple[int, str], float]:
    """Each author answers in each conversation: (asker, message id) → response time. With a
    `rate`, the answers start on a schedule of that many a second (members write when they
    write, not when the server is free); without one, each as soon as one is in flight less."""
    answered: dict[tuple[int, str], float] = {}
    turns = itertools.count()
    starts = itertools.count()
    began = time.monotonic()

    async def answer(pair: tuple[int, int]) -> None:
        asker, author = pair
        if rate:
            due = began + next(starts) / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        message = await sent(
            apis[next(turns) % 2], authors[author], "Yes!", conversationId=opened[pair]
        )
        answered[asker, message["id"]] = time.monotonic()

    await _in_flight(list(opened), concurrency, answer)
    return answered


async def _outbox(database_url: str, wanted: int, backlog: int) -> tuple[int, float]:
    """Wait until the messages' mails are sent (`wanted` of them); then put `backlog` more
    in the outbox at once and time their sending: the mails sent, and the sender's rate."""
    database = Database(database_url)

    async def unsent() -> int:
        async with database.read() as session:
            waiting = select(func.count()).select_from(Mail).where(col(Mail.sent_at).is_(None))
            return await session.scalar(waiting) or 0

    async def all_sent() -> bool:
        return await unsent() == 0

    try:
        await until(all_sent, within=WAIT_SECONDS)
        async with database.read() as session:
            # The messages' mails, not the registrations' address confirmations.
            mailed = (
                await session.scalar(
                    select(func.count())
                    .select_from(Mail)
                    .where(col(Mail.subject).not_in(CONFIRMATION_SUBJECTS))
                )
                or 0
            )
        async with database.write() as session:
            session.add_all(
                Mail(to_address=f"reader{i}@example.org", subject="Indigo: news", body=BODY)
                for i in range(backlog)
            )
        started = time.monotonic()
        await until(all_sent, within=WAIT_SECONDS)
        seconds = time.monotonic() - started
    finally:
        await database.dispose()
    assert mailed == wanted, (mailed, wanted)
    return mailed, backlog / seconds


def fresh_database(server: str) -> tuple[str, str]:
    name = f"indigo_bench_messages_{uuid.uuid4().hex[:8]}"
    with admin(server) as connection:
        create_database(connection, name)
    url = make_url(server).set(database=name).render_as_string(False)
    migrations.upgrade(url)
    return name, url


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8, help="messages in flight")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="answers started a second (0: as fast as they go)"
    )
    parser.add_argument("--backlog", type=int, default=2000, help="mails put in the outbox")
    arguments = parser.parse_args()
    server = os.environ.get(
        "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    print(f"load before: {os.getloadavg()}")
    name, url = fresh_database(server)
    try:
        outcome = asyncio.run(
            measure(
                url,
                arguments.conversations,
                arguments.authors,
                arguments.concurrency,
                arguments.rate,
                arguments.backlog,
            )
        )
    finally:
        with admin(server) as connection:
            drop_database(connection, name)
    delays = outcome.delays_ms or [float("nan")]
    print(
        "| conversations | p50 ms | p99 ms | max ms | lost | duplicates | mails sent "
        "| backlog mails/s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {outcome.conversations} | {statistics.median(delays):.1f} "
        f"| {percentile(delays, 0.99):.1f} | {max(delays):.1f} | {outcome.lost} "
        f"| {outcome.duplicates} | {outcome.mails} | {outcome.mails_per_second:.0f} |"
    )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
