"""The nearby search under load, beside a peer and beside its own ceiling.

    .venv/bin/python -m bench.nearby --listings 100000 --workers 2 --rounds 3 --from-memory --peer

Listings are spread over Paris (bench/paris.py, databases `nearby_<n>`) and searched at
(48.9, 2.35) within 2 km, first 20, with their authors: the client's `Nearby` selection.
The servers are started together and measured in turn, round after round (A, B, C, A, B,
C...), so that each round sees the machine as loaded as the others:

- Indigo: the app as `indigo serve` runs it, with `/bare` beside `/graphql` (--bare): the same
  search as JSON from the same resolver function, without GraphQL.
- Indigo, search from memory (--from-memory): every search after the first of its kind is
  answered from memory, so its rows show what HTTP, Strawberry and graphql-core cost without
  the search: the most this machine can serve of this query.
- PostGraphile (--peer, PostgreSQL only): PostGraphile 4 (bench/peer/: run `npm ci` there
  first) in as many worker processes, over its own copy of the rows in the schema `peer`
  (bench/peer/schema.sql: a box of cells on a btree index, the distance in SQL), asked for
  the same fields. Both must answer the same listings in the same order, at the same
  distances.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.cpu import cpu_seconds, named_cpu_seconds, worker_pids
from bench.paris import DATA, asyncpg_dsn, load_average, prepare
from indigo.app import app_from_environment
from resolvers import nearby
from resolvers.geo import GeoPoint
from resolvers.pages import Page
from resolvers.services import Services
from schema.ids import decode_id
from tests.procfs import listening_on

PEER = Path(__file__).resolve().parent / "peer"
CENTRE = GeoPoint(48.9, 2.35)
RADIUS_KM = 2.0
FIRST = 20
FROM_MEMORY = "INDIGO_BENCH_SEARCH_FROM_MEMORY"
CEILING = "Indigo, search from memory"
QUERY = """query Nearby($near: GeoPointInput!, $radiusKm: Float!, $first: Int) {
  nearby(near: $near, radiusKm: $radiusKm, first: $first) {
    edges {
      cursor distanceKm
      node { id type kind category title digos author { id displayName } }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
# The same fields from PostGraphile: its connection's edges hold no more than a cursor and a
# node, so the distance is a computed column of the listing.
PEER_QUERY = """query Nearby($latitude: Float!, $longitude: Float!, $radiusKm: Float!,
    $first: Int) {
  nearby(latitude: $latitude, longitude: $longitude, radiusKm: $radiusKm, first: $first) {
    edges {
      cursor
      node {
        id type kind category title digos
        distanceKm(latitude: $latitude, longitude: $longitude)
        author: memberByAuthorId { id displayName }
      }
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
    workers = worker_pids(pid)
    before = cpu_seconds(pid), [cpu_seconds(w) for w in workers], named_cpu_seconds("postgres")
    result = await drive(port, path, body, clients, seconds)
    spent = [cpu_seconds(w) - b for w, b in zip(workers, before[1], strict=True)]
    result.server_cpu_seconds = cpu_seconds(pid) - before[0]
    result.worker_shares = [s / max(sum(spent), 1e-9) for s in spent]
    result.database_cpu_seconds = named_cpu_seconds("postgres") - before[2]
    return result


@dataclass
class Server:
    name: str
    process: asyncio.subprocess.Process
    port: int
    # What each endpoint is asked: its path and request body.
    endpoints: dict[str, tuple[str, bytes]]

    async def ask(self, endpoint: str) -> dict[str, object]:
        path, body = self.endpoints[endpoint]
        connection = await Connection.open(self.port)
        try:
            answer: dict[str, object] = json.loads(await connection.post(path, body))
        finally:
            connection.close()
        return answer

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


def free_port() -> int:
    return 18_000 + random.randrange(2000)


def server_log(name: str) -> int:
    """Where a server's output goes: a request log line per request would flood a terminal."""
    DATA.mkdir(exist_ok=True)
    return os.open(DATA / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


async def start_indigo(url: str, workers: int, *, from_memory: bool, bare: bool) -> Server:
    port = free_port()
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
    name = CEILING if from_memory else "Indigo"
    log = server_log("nearby-memory" if from_memory else "nearby-indigo")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", serve, env=environment, stdout=log, stderr=log
    )
    os.close(log)
    variables = {
        "near": {"latitude": CENTRE.latitude, "longitude": CENTRE.longitude},
        "radiusKm": RADIUS_KM,
        "first": FIRST,
    }
    endpoints = {"GraphQL": ("/graphql", json.dumps({"query": QUERY, "variables": variables}))}
    if bare:
        endpoints["bare"] = ("/bare", json.dumps(variables))
    server = Server(name, process, port, {k: (p, b.encode()) for k, (p, b) in endpoints.items()})
    try:
        # Until every worker listens: connections made while only some do would all go to
        # those, and stay there.
        async with asyncio.timeout(60):
            while listening_on(port) < workers:
                if process.returncode is not None:
                    raise SystemExit(f"{name} did not start: see {DATA}")
                await asyncio.sleep(0.2)
    except BaseException:
        await server.stop()
        raise
    return server


async def start_peer(url: str, workers: int) -> Server:
    if not (PEER / "node_modules").is_dir():
        raise SystemExit(f"PostGraphile is not installed: run `npm ci` in {PEER}")
    await ensure_peer_schema(url)
    port = free_port()
    log = server_log("nearby-peer")
    process = await asyncio.create_subprocess_exec(
        "node",
        "server.js",
        cwd=PEER,
        env=os.environ
        | {
            "PORT": str(port),
            "WORKERS": str(workers),
            "DATABASE_URL": asyncpg_dsn(url),
            "NODE_ENV": "production",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    os.close(log)
    variables = {
        "latitude": CENTRE.latitude,
        "longitude": CENTRE.longitude,
        "radiusKm": RADIUS_KM,
        "first": FIRST,
    }
    body = json.dumps({"query": PEER_QUERY, "variables": variables}).encode()
    server = Server("PostGraphile", process, port, {"GraphQL": ("/graphql", body)})
    try:
        # Each worker says when it listens (the first process hands connections round).
        assert process.stdout is not None
        async with asyncio.timeout(60):
            for _ in range(workers):
                if not await process.stdout.readline():
                    raise SystemExit(f"PostGraphile did not start: see {DATA}")
    except BaseException:
        await server.stop()
        raise
    return server


async def ensure_peer_schema(url: str) -> None:
    """The peer's copy of the rows, made once per database."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = 'peer'"):
            await connection.execute((PEER / "schema.sql").read_text())
    finally:
        await connection.close()


async def page_of(server: Server) -> list[tuple[int, float]]:
    """The listings a server answers, with their distances; a full page."""
    answer = await server.ask("GraphQL")
    assert "errors" not in answer, answer
    data = answer["data"]
    assert isinstance(data, dict)
    edges = data["nearby"]["edges"]
    assert len(edges) == FIRST, answer
    if server.name == "PostGraphile":
        return [(e["node"]["id"], e["node"]["distanceKm"]) for e in edges]
    return [(decode_id("Listing", e["node"]["id"]), e["distanceKm"]) for e in edges]


async def main(arguments: argparse.Namespace) -> None:
    print(f"load average before: {load_average()}", flush=True)
    print(
        "| database | listings | round | server | endpoint | req/s | p50 ms | p95 ms "
        "| server CPU ms/req | workers' shares % | PostgreSQL CPU ms/req | load |"
    )
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---|---:|---|")
    for kind in arguments.database:
        for listings in arguments.listings:
            url = await prepare(kind, "nearby", listings, arguments.server)
            await measure(kind, listings, url, arguments)
    print(f"load average after: {load_average()}")


async def measure(kind: str, listings: int, url: str, arguments: argparse.Namespace) -> None:
    # Started for its turn and stopped after it: the PostgreSQL server is shared, and idle
    # servers would hold its connections.
    starts: dict[str, Callable[[], Awaitable[Server]]] = {
        "Indigo": lambda: start_indigo(
            url, arguments.workers, from_memory=False, bare=arguments.bare
        ),
    }
    if arguments.peer and kind == "postgresql":
        starts["PostGraphile"] = lambda: start_peer(url, arguments.workers)
    if arguments.from_memory:
        starts[CEILING] = lambda: start_indigo(
            url, arguments.workers, from_memory=True, bare=arguments.bare
        )
    pages = {}
    rates: dict[str, list[float]] = {name: [] for name in starts}
    ratios: dict[str, list[float]] = {name: [] for name in starts if name != "Indigo"}
    # The ceiling's server CPU per request over ours: req/s follow a busy machine's load of
    # the moment, CPU per request much less so; both servers run the same HTTP and GraphQL,
    # and where their CPU is what limits them, their req/s ratio comes to this one.
    cpu_ratios: list[float] = []
    for round_ in range(1, arguments.rounds + 1):
        graphql = {}
        graphql_cpu = {}
        for name, start in starts.items():
            server = await start()
            try:
                pages[name] = await page_of(server)
                for endpoint, (path, body) in server.endpoints.items():
                    result = await drive_server(
                        server.process.pid,
                        server.port,
                        path,
                        body,
                        arguments.clients,
                        arguments.seconds,
                    )
                    if endpoint == "GraphQL":
                        graphql[name] = result.per_second
                        graphql_cpu[name] = result.cpu_ms_per_request
                    print_result(kind, listings, round_, name, endpoint, result)
            finally:
                await server.stop()
        # Every server answered the same listings in the same order, at the same distances.
        assert len({tuple(page) for page in pages.values()}) == 1, pages
        for name, rate in graphql.items():
            rates[name].append(rate)
            if name != "Indigo":
                ratios[name].append(graphql["Indigo"] / rate)
                print(
                    f"|  |  | {round_} | Indigo / {name} | GraphQL | {ratios[name][-1]:.2f} "
                    "|  |  |  |  |  |  |",
                    flush=True,
                )
        if CEILING in graphql_cpu:
            cpu_ratios.append(graphql_cpu[CEILING] / graphql_cpu["Indigo"])
            print(f"|  |  | {round_} | Indigo / {CEILING} | GraphQL, server CPU ", end="")
            print(f"| {cpu_ratios[-1]:.2f} |  |  |  |  |  |  |", flush=True)
    # The machine's load moves from one round to the next: medians, and each round's ratio.
    for name, each in rates.items():
        print(f"|  |  | median | {name} | GraphQL | {statistics.median(each):,.0f} |", end="")
        print("  |  |  |  |  |  |", flush=True)
    if cpu_ratios:
        print(f"|  |  | median | Indigo / {CEILING} | GraphQL, server CPU ", end="")
        print(f"| {statistics.median(cpu_ratios):.2f} |  |  |  |  |  |  |", flush=True)
    for name, each in ratios.items():
        print(
            f"|  |  | median | Indigo / {name} | GraphQL | {statistics.median(each):.2f} |", end=""
        )
        print("  |  |  |  |  |  |", flush=True)


def print_result(
    kind: str, listings: int, round_: int, server: str, endpoint: str, result: Result
) -> None:
    database_cpu = f"{result.database_cpu_ms_per_request:.2f}" if kind == "postgresql" else ""
    shares = "/".join(f"{100 * share:.0f}" for share in result.worker_shares)
    print(
        f"| {kind} | {listings:,} | {round_} | {server} | {endpoint} | {result.per_second:,.0f} "
        f"| {result.percentile(50):.1f} | {result.percentile(95):.1f} "
        f"| {result.cpu_ms_per_request:.2f} | {shares} | {database_cpu} | {load_average()} |",
        flush=True,
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgresql"], default=["postgresql"]
    )
    parser.add_argument("--listings", nargs="+", type=int, default=[100_000])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--bare", action="store_true", help="also measure the `/bare` endpoints")
    parser.add_argument(
        "--from-memory",
        action="store_true",
        help="also measure a server that answers each search from memory after its first",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also measure PostGraphile over a copy of the rows (bench/peer/)",
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
