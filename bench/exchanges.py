"""Completed exchanges per second under 32 concurrent clients on PostgreSQL, beside
`pgbench -b tpcb-like` on the same server, the two taking turns: the ratio is the figure.

    .venv/bin/python -m bench.exchanges [--clients 32] [--seconds 30] [--rounds 2]

One uvicorn process (on a fresh database of INDIGO_BENCH_DATABASE_URL's server, default the
local one) serves the API. Each client is a pair of members: the provider offers something
for 1 digo, and the pair loops requestExchange, acceptExchange, completeExchange (three
mutations, three units of work) through the clients' own documents. pgbench's TPC-B-like
transaction runs with as many clients for as long, on a database of its own on the same
server, right after each of our runs (ours, pgbench, ours, pgbench...), so that both see the
same load. The ledger audit must find nothing at the end. The statements and transactions of
each mutation are counted in-process with SQLAlchemy's events. The result replaces the
"Exchanges" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url

from bench.cpu import cpu_seconds
from indigo import migrations
from indigo.app import SCHEDULED_JOBS, create_app
from indigo.settings import Settings
from tests.api import Api, SignedIn
from tests.economy import exchange_of, post_listing
from tests.postgres import admin, create_database, drop_database
from tests.processes import uvicorn_process
from tests.test_fuzz import ledger_violations

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## Exchanges (`bench/exchanges.py`)"
SERVER_SETTINGS = {
    "INDIGO_MUTATIONS_PER_MINUTE": "1000000",
    "INDIGO_WELCOME_DIGOS": "1000000",
    "INDIGO_PRODUCTION": "true",
}


@dataclass
class Run:
    exchanges: int
    server_cpu_seconds: float
    client_cpu_seconds: float
    load: str


@dataclass
class Round:
    run: Run
    pgbench_tps: float
    pgbench_load: str


@dataclass
class Counted:
    """What one mutation asks of the database: statements, and transactions (a statement
    outside any, as reads of the answer are on PostgreSQL, counts as one)."""

    statements: int = 0
    transactions: int = 0


@dataclass
class Result:
    clients: int
    seconds: float
    processes: int
    rounds: list[Round]
    counts: dict[str, Counted]
    load_before: str
    load_after: str = ""


async def _pair(api: Api, n: int) -> tuple[SignedIn, SignedIn, str]:
    provider = await api.register(display_name=f"Provider {n}")
    beneficiary = await api.register(display_name=f"Beneficiary {n}")
    return provider, beneficiary, await post_listing(api, provider, "OFFER", 1)


async def _exchange(api: Api, pair: tuple[SignedIn, SignedIn, str]) -> None:
    provider, beneficiary, offer = pair
    exchange = await exchange_of(api, "RequestExchange", beneficiary, listingId=offer)
    await exchange_of(api, "AcceptExchange", provider, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", beneficiary, exchangeId=exchange["id"])


async def _client(api: Api, pair: tuple[SignedIn, SignedIn, str], until: float) -> int:
    done = 0
    while time.monotonic() < until:
        await _exchange(api, pair)
        done += 1
    return done


async def exchanges_per_second(
    database_url: str, clients: int, seconds: float, processes: int
) -> Run:
    """Completed exchanges in `seconds`; the clients spread over `processes` uvicorns."""
    broadcast = os.environ.get("INDIGO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                uvicorn_process(
                    database_url,
                    broadcast if processes > 1 else "memory://",
                    settings=SERVER_SETTINGS,
                )
            )
            for _ in range(processes)
        ]
        limits = httpx.Limits(max_connections=clients + 1)
        apis = [
            Api(
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=s.url, limits=limits, timeout=60)
                )
            )
            for s in servers
        ]
        pairs = await asyncio.gather(*(_pair(apis[n % processes], n) for n in range(clients)))
        # A short warm-up, so that connections and caches are made before the clock runs.
        await asyncio.gather(
            *(_client(apis[n % processes], p, time.monotonic() + 2) for n, p in enumerate(pairs))
        )
        cpu, client_cpu = sum(cpu_seconds(s.pid) for s in servers), time.process_time()
        counts = await asyncio.gather(
            *(
                _client(apis[n % processes], p, time.monotonic() + seconds)
                for n, p in enumerate(pairs)
            )
        )
        cpu = sum(cpu_seconds(s.pid) for s in servers) - cpu
        client_cpu = time.process_time() - client_cpu
    return Run(sum(counts), cpu, client_cpu, load())


async def statements_per_move(database_url: str) -> dict[str, Counted]:
    """Each move of one exchange, sent through the app in this process, counted; what the
    scheduled jobs run meanwhile (sending the mail the moves queue) is left out."""
    settings = Settings(
        database_url=database_url,
        broadcast_url="memory://",
        mutations_per_minute=1_000_000,
        welcome_digos=1_000_000,
        production=True,
        _env_file=None,
    )
    app = create_app(settings)
    counting = Counted()

    def counted(connection: Connection) -> bool:
        task = asyncio.current_task()
        return task is None or task.get_name() != SCHEDULED_JOBS

    def on_statement(connection: Connection, *_: Any) -> None:
        if counted(connection):
            counting.statements += 1
            if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                counting.transactions += 1

    def on_begin(connection: Connection) -> None:
        if counted(connection) and (
            connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
        ):
            counting.transactions += 1

    engine = app.state.services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    counts: dict[str, Counted] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            api = Api(http)
            pair = await _pair(api, 0)
            await _exchange(api, pair)  # the first of each kind fills the caches
            provider, beneficiary, offer = pair

            async def counted_move(operation: str, member: SignedIn, **input: Any) -> str:
                counting.statements = counting.transactions = 0
                moved = await exchange_of(api, operation, member, **input)
                counts[operation] = Counted(counting.statements, counting.transactions)
                return str(moved["id"])

            exchange = await counted_move("RequestExchange", beneficiary, listingId=offer)
            await counted_move("AcceptExchange", provider, exchangeId=exchange)
            await counted_move("CompleteExchange", beneficiary, exchangeId=exchange)
    return counts


@contextlib.contextmanager
def pgbench(server: str, clients: int) -> Iterator[Callable[[float], float]]:
    """A scratch database, `pgbench -i` once; what it yields runs pgbench for so many
    seconds and answers its transactions per second."""
    url = make_url(server)
    name = f"indigo_bench_pgbench_{uuid.uuid4().hex[:8]}"
    connect = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    connect += ["-U", url.username or "postgres"]
    with admin(server) as connection:
        create_database(connection, name)
    try:
        subprocess.run(
            ["pgbench", *connect, "-i", "-q", "-s", "1", name], check=True, capture_output=True
        )

        def tps(seconds: float) -> float:
            run = ["-b", "tpcb-like", "-c", str(clients), "-j", "2", "-T", str(int(seconds))]
            output = subprocess.run(
                ["pgbench", *connect, *run, name], check=True, capture_output=True, text=True
            ).stdout
            found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output)
            if found is None:
                raise RuntimeError(f"no tps in pgbench's output:\n{output}")
            return float(found.group(1))

        yield tps
    finally:
        with admin(server) as connection:
            drop_database(connection, name)


def load() -> str:
    return os.popen("uptime").read().strip().split("load average:")[-1].strip()


async def _measure_and_audit(
    database_url: str, clients: int, seconds: float, processes: int
) -> Run:
    measured = await exchanges_per_second(database_url, clients, seconds, processes)
    violations = await ledger_violations(database_url)
    if violations:
        raise RuntimeError(f"the ledger audit failed: {violations[:5]}")
    return measured


def run(server: str, clients: int, seconds: float, rounds: int, processes: int) -> Result:
    result = Result(clients, seconds, processes, [], {}, load())
    with pgbench(server, clients) as tps:
        for _ in range(rounds):
            with scratch_database(server) as database_url:
                measured = asyncio.run(
                    _measure_and_audit(database_url, clients, seconds, processes)
                )
            result.rounds.append(Round(measured, tps(seconds), load()))
    with scratch_database(server) as database_url:
        result.counts = asyncio.run(statements_per_move(database_url))
    result.load_after = load()
    return result


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A freshly migrated database on `server`, dropped after."""
    name = f"indigo_bench_exchanges_{uuid.uuid4().hex[:8]}"
    with admin(server) as connection:
        create_database(connection, name)
    try:
        database_url = make_url(server).set(database=name).render_as_string(False)
        migrations.upgrade(database_url)
        yield database_url
    finally:
        with admin(server) as connection:
            drop_database(connection, name)


def report(result: Result) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    plural = "es" if result.processes > 1 else ""
    rows = "\n".join(
        f"| {n} | {r.run.exchanges / result.seconds:.1f} ({r.run.load}) "
        f"| {r.pgbench_tps:.0f} ({r.pgbench_load}) "
        f"| {r.run.exchanges / result.seconds / r.pgbench_tps:.3f} "
        f"| {1000 * r.run.server_cpu_seconds / max(r.run.exchanges, 1):.1f} "
        f"| {1000 * r.run.client_cpu_seconds / max(r.run.exchanges, 1):.1f} |"
        for n, r in enumerate(result.rounds, 1)
    )
    ratio = statistics.mean(
        r.run.exchanges / result.seconds / r.pgbench_tps for r in result.rounds
    )
    cpu = statistics.mean(
        1000 * r.run.server_cpu_seconds / max(r.run.exchanges, 1) for r in result.rounds
    )
    counts = "\n".join(
        f"| {operation} | {c.statements} | {c.transactions} |"
        for operation, c in result.counts.items()
    )
    total = Counted(
        sum(c.statements for c in result.counts.values()),
        sum(c.transactions for c in result.counts.values()),
    )
    return f"""{SECTION}

{now}, 2 cores, 24 GiB, PostgreSQL 15, Redis 7:

    .venv/bin/python -m bench.exchanges --clients {result.clients} --seconds \
{result.seconds:g} --rounds {len(result.rounds)} --processes {result.processes}

{result.processes} uvicorn process{plural} (`INDIGO_PRODUCTION=true`; events over Redis when
there are several) on a fresh PostgreSQL database per round; {result.clients} clients, each a
pair of members looping requestExchange, acceptExchange, completeExchange on a 1-digo offer
through the clients' own documents over keep-alive HTTP. After each round, on a scratch
database of its own on the same server (`pgbench -i -s 1` once):

    pgbench -b tpcb-like -c {result.clients} -j 2 -T {result.seconds:g}

The ledger audit found nothing after each round. Load average (1, 5, 15 min) before:
{result.load_before}; after: {result.load_after}; after each run, in brackets.

| round | exchanges/s | pgbench TPC-B tps | ratio | server CPU ms each | client CPU ms each |
|---|---:|---:|---:|---:|---:|
{rows}

Exchanges/s are completed exchanges. Mean ratio to pgbench: **{ratio:.3f}**; mean server
CPU per completed exchange: **{cpu:.1f} ms**.

Statements and transactions of each move, counted in-process with SQLAlchemy's events (the
scheduled jobs left out):

| mutation | statements | transactions |
|---|---:|---:|
{counts}
| one completed exchange | {total.statements} | {total.transactions} |
"""


def write(section: str) -> None:
    """Replace the measured part of the section; its notes (from its first `###` heading on)
    stay."""
    text = BENCHMARKS.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    end = len(text) if end == -1 else end
    notes = text.find("\n### ", start, end)
    kept = end if notes == -1 else notes
    BENCHMARKS.write_text(text[:start] + section + text[kept:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2, help="ours then pgbench, this often")
    parser.add_argument(
        "--processes", type=int, default=1, help="uvicorn processes (above 1: events over Redis)"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    arguments = parser.parse_args()
    server = os.environ.get(
        "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    result = run(
        server, arguments.clients, arguments.seconds, arguments.rounds, arguments.processes
    )
    section = report(result)
    print(section)
    if not arguments.no_write:
        write(section)


if __name__ == "__main__":
    main()
