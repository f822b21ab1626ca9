"""The nearby search under load: GraphQL over a real uvicorn, and beside it a bare Starlette
JSON endpoint calling the same resolver function.

    .venv/bin/python -m bench.nearby --database postgresql --listings 10000 100000

Listings are spread uniformly over latitude 48.8 to 49.0 and longitude 2.25 to 2.45 (central
Paris and around: the dense case) and searched at (48.9, 2.35) within 2 km, first 20.
Databases are kept between runs (bench/data/ for SQLite, `indigo_bench_nearby_<n>` on the
PostgreSQL server) and loaded only when missing.

With --from-memory, a second server answers every search from memory after its first, so
its rows show what HTTP, Strawberry and graphql-core cost without the search: the most
this machine can serve of this query.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.cpu import cpu_seconds, named_cpu_seconds, worker_pids
from indigo import migrations
from indigo.app import app_from_environment
from models import Database, Listing, Member
from models.columns import utcnow
from resolvers import nearby
from resolvers.geo import GeoPoint, grid_of
from resolvers.nearby import lat_band, searchable
from resolvers.pages import Page
from resolvers.services import Services
from tests.procfs import listening_on

DATA = Path(__file__).resolve().parent / "data"
CENTRE = GeoPoint(48.9, 2.35)
RADIUS_KM = 2.0
FIRST = 20
AUTHORS = 1000
FROM_MEMORY = "INDIGO_BENCH_SEARCH_FROM_MEMORY"
BATCH = 10_000
QUERY = """query Nearby($near: GeoPointInput!, $radiusKm: Float!, $first: Int) {
  nearby(near: $near, radiusKm: $radiusKm, first: $first) {
    edges {
      cursor distanceKm
      node { id type kind category title digos author { id displayName } }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


def bench_app() -> Starlette:
    """The Indigo app, plus `/bare`: the same search as JSON, without GraphQL."""
    if os.environ.get(FROM_MEMORY):
        answer_searches_from_memory()
    app = app_from_environment()
    services: Services = app.state.services

    async def bare(request: Request) -> JSONResponse:
        body = await request.json()
        page = await nearby.nearby(
            services,
            nearby.Search(
                near=GeoPoint(**body["near"]), radius_km=body["radiusKm"], first=body["first"]
            ),
        )
        edges = [
            {
                "distanceKm": round(f.position.distance_km, 3),
                "node": {
                    "id": f.listing.id,
                    "type": f.listing.type,
                    "kind": f.listing.kind,
                    "category": f.listing.category,
                    "title": f.listing.title,
                    "digos": f.listing.digos,
                    "author": {"id": f.author.id, "name": f.author.display_name},
                },
            }
            for f in page.items
        ]
        return JSONResponse({"edges": edges, "hasNextPage": page.has_next})

    app.router.routes.append(Route("/bare", bare, methods=["POST"]))
    return app


def answer_searches_from_memory() -> None:
    """Make every search after the first of its kind an answer kept in memory.

    Both endpoints call `resolvers.nearby.nearby` through its module, so replacing it there
    takes the search, and only the search, out of what is measured.
    """
    search_database = nearby.nearby
    pages: dict[nearby.Search, Page[nearby.Found]] = {}

    async def remembered(services: Services, search: nearby.Search) -> Page[nearby.Found]:
        if search not in pages:
            pages[search] = await search_database(services, search)
        return pages[search]

    nearby.nearby = remembered


# Loading -------------------------------------------------------------------------------


def database_url(kind: str, listings: int, server: str) -> str:
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{DATA / f'nearby_{listings}.db'}"
    return make_url(server).set(database=f"indigo_bench_nearby_{listings}").render_as_string(False)


async def ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    connection = await asyncpg.connect(dsn)
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await connection.close()


async def listing_count(url: str) -> int:
    database = Database(url)
    try:
        async with database.read() as session:
            return await session.scalar(select(func.count()).select_from(Listing)) or 0
    finally:
        await database.dispose()


async def load(url: str, listings: int) -> None:
    rng = random.Random(listings)
    now = utcnow()
    database = Database(url)
    try:
        async with database.write() as session:
            await session.execute(
                insert(Member),
                [
                    {
                        "email": f"bench{i}@example.org",
                        "password_hash": "-",
                        "display_name": f"Member {i}",
                        "bio": "",
                        "skills": [],
                        "created_at": now,
                    }
                    for i in range(AUTHORS)
                ],
            )
            first_author = await session.scalar(select(func.min(Member.id)))
        assert first_author is not None
        for start in range(0, listings, BATCH):
            rows = []
            for i in range(start, min(listings, start + BATCH)):
                latitude, longitude = rng.uniform(48.8, 49.0), rng.uniform(2.25, 2.45)
                title = f"Listing {i}"
                description = "Bench listing, spread over Paris."
                rows.append(
                    {
                        "author_id": first_author + i % AUTHORS,
                        "type": ("OFFER", "NEED", "APPEAL")[i % 3],
                        "kind": "SERVICE",
                        "category": "repairs",
                        "title": title,
                        "description": description,
                        "digos": i % 50,
                        "latitude": latitude,
                        "longitude": longitude,
                        "lat_band": lat_band(latitude),
                        "grid_latitude": grid_of(latitude),
                        "grid_longitude": grid_of(longitude),
                        "expires_at": now + timedelta(days=60),
                        "search_text": searchable(title, description),
                        "status": "OPEN",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            async with database.write() as session:
                await session.execute(insert(Listing), rows)
        async with database.engine.connect() as connection:
            if database.is_sqlite:
                await connection.execute(text("ANALYZE"))
            else:
                raw = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await raw.execute(text("VACUUM ANALYZE listing"))
                await raw.execute(text("VACUUM ANALYZE member"))
    finally:
        await database.dispose()


async def prepare(kind: str, listings: int, server: str) -> str:
    url = database_url(kind, listings, server)
    if kind == "postgresql":
        await ensure_postgres_database(url)
    await asyncio.to_thread(migrations.upgrade, url)
    count = await listing_count(url)
    if count != listings:
        if count:
            raise SystemExit(f"{url} holds {count} listings, not {listings}: drop it first")
        began = time.perf_counter()
        await load(url, listings)
        print(f"loaded {listings} listings in {time.perf_counter() - began:.0f} s", flush=True)
    return url


# Load ------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    server_cpu_seconds: float = 0.0
    database_cpu_seconds: float = 0.0
    # Each worker's share of the server's CPU: connections are spread over the workers by
    # their addresses, so a few keep-alive ones may load one worker more than another.
    worker_shares: list[float] = field(default_factory=list)

    @property
    def cpu_ms_per_request(self) -> float:
        """The server's CPU time per request: unlike req/s, it holds on a busy machine."""
        return self.server_cpu_seconds / self.requests * 1000

    @property
    def database_cpu_ms_per_request(self) -> float:
        return self.database_cpu_seconds / self.requests * 1000

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


class Connection:
    """A bare HTTP/1.1 keep-alive client: light enough not to be what is measured."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, body: bytes) -> bytes:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        answer = await self.reader.readexactly(length)
        if status != b"200":
            raise RuntimeError(f"{path} answered {status!r}: {answer[:300]!r}")
        return answer

    def close(self) -> None:
        self.writer.close()


async def drive(port: int, path: str, body: bytes, clients: int, seconds: float) -> Result:
    connections = [await Connection.open(port) for _ in range(clients)]
    latencies: list[float] = []

    async def warm_up(connection: Connection) -> None:
        for _ in range(5):
            await connection.post(path, body)

    # All at once, so that the servers' pools open as many database connections as the
    # measured run will use before the clock starts.
    await asyncio.gather(*(warm_up(c) for c in connections))
    deadline = time.perf_counter() + seconds

    async def client(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            await connection.post(path, body)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - began
    for connection in connections:
        connection.close()
    return Result(len(latencies), elapsed, latencies)


async def drive_server(
    pid: int, port: int, path: str, body: bytes, clients: int, seconds: float
) -> Result:
    workers = worker_pids(pid) or [pid]
    before = [cpu_seconds(w) for w in workers], named_cpu_seconds("postgres")
    result = await drive(port, path, body, clients, seconds)
    spent = [cpu_seconds(w) - b for w, b in zip(workers, before[0], strict=True)]
    result.server_cpu_seconds = sum(spent)
    result.worker_shares = [s / max(sum(spent), 1e-9) for s in spent]
    result.database_cpu_seconds = named_cpu_seconds("postgres") - before[1]
    return result


async def wait_until_up(port: int, workers: int, server: asyncio.subprocess.Process) -> None:
    """Until every worker listens: connections made while only some do would all go to
    those, and stay there."""
    async with asyncio.timeout(60):
        while listening_on(port) < workers:
            if server.returncode is not None:
                raise SystemExit("the benchmark server did not start")
            await asyncio.sleep(0.2)


async def measure(
    url: str, workers: int, clients: int, seconds: float, *, from_memory: bool = False
) -> dict[str, Result]:
    port = 18_000 + random.randrange(2000)
    environment = os.environ | {
        "INDIGO_DATABASE_URL": url,
        "INDIGO_BROADCAST_URL": "memory://",
        "INDIGO_PRODUCTION": "true",
    }
    if from_memory:
        environment[FROM_MEMORY] = "1"
    # What `indigo serve` runs, with the bench's app.
    serve = (
        "import uvicorn; from indigo.serving import UVICORN_OPTIONS; "
        "from indigo.workers import serve_workers; "
        "serve_workers(uvicorn.Config('bench.nearby:bench_app', factory=True, "
        f"host='127.0.0.1', port={port}, log_level='warning', access_log=False, "
        f"**UVICORN_OPTIONS), {workers})"
    )
    server = await asyncio.create_subprocess_exec(sys.executable, "-c", serve, env=environment)
    try:
        await wait_until_up(port, workers, server)
        near = {"latitude": CENTRE.latitude, "longitude": CENTRE.longitude}
        variables = {"near": near, "radiusKm": RADIUS_KM, "first": FIRST}
        graphql = json.dumps({"query": QUERY, "variables": variables}).encode()
        bare = json.dumps(variables).encode()
        check = json.loads(await (await Connection.open(port)).post("/graphql", graphql))
        assert "errors" not in check, check
        assert len(check["data"]["nearby"]["edges"]) == FIRST, check
        return {
            "GraphQL": await drive_server(server.pid, port, "/graphql", graphql, clients, seconds),
            "bare": await drive_server(server.pid, port, "/bare", bare, clients, seconds),
        }
    finally:
        server.terminate()
        await server.wait()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main(arguments: argparse.Namespace) -> None:
    print(f"load average before: {load_average()}", flush=True)
    print(
        "| database | listings | workers | clients | endpoint | req/s | p50 ms | p95 ms "
        "| server CPU ms/req | workers' shares % | PostgreSQL CPU ms/req |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|")
    for kind in arguments.database:
        for listings in arguments.listings:
            url = await prepare(kind, listings, arguments.server)
            for from_memory in (False, True) if arguments.from_memory else (False,):
                results = await measure(
                    url,
                    arguments.workers,
                    arguments.clients,
                    arguments.seconds,
                    from_memory=from_memory,
                )
                print_results(kind, listings, arguments, results, from_memory)
    print(f"load average after: {load_average()}")


def print_results(
    kind: str,
    listings: int,
    arguments: argparse.Namespace,
    results: dict[str, Result],
    from_memory: bool,
) -> None:
    suffix = ", search from memory" if from_memory else ""
    for endpoint, result in results.items():
        database_cpu = f"{result.database_cpu_ms_per_request:.2f}" if kind == "postgresql" else ""
        shares = "/".join(f"{100 * share:.0f}" for share in result.worker_shares)
        print(
            f"| {kind} | {listings:,} | {arguments.workers} | {arguments.clients} "
            f"| {endpoint}{suffix} | {result.per_second:,.0f} | {result.percentile(50):.1f} "
            f"| {result.percentile(95):.1f} | {result.cpu_ms_per_request:.2f} | {shares} "
            f"| {database_cpu} |",
            flush=True,
        )
    ratio = results["GraphQL"].per_second / results["bare"].per_second
    print(f"|  |  |  |  | GraphQL / bare{suffix} | {ratio:.2f} |  |  |  |  |  |", flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--listings", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--from-memory",
        action="store_true",
        help="also measure a server that answers each search from memory after its first",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "INDIGO_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server URL; the benchmark databases are created on it",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
