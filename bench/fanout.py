"""The live appeal feed under load: helpers on WebSockets spread over two uvicorn processes
that share PostgreSQL and Redis, and appeals posted one after another.

    .venv/bin/python -m bench.fanout --helpers 1000 5000 --appeals 100 --interval 1

For each size: a fresh PostgreSQL database (on INDIGO_BENCH_DATABASE_URL's server, default
the local one) and a redis-server of its own; the helpers (every one within 10 km of the
appeals) subscribe to `AppealFeed` from two client processes of picows sockets, which keep
each frame raw with its arrival time and read them after the run; once each has heard a
first appeal, the appeals are posted through the first process, each after the previous
one's response plus `--interval`. Reported: the delay from each mutation's response to its
delivery at each helper (p50, p99, max), deliveries lost (expected minus received), the
servers' resident memory per connected helper, and the CPU time the servers and the clients
spent over the appeals per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import resource
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import httpx
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
from sqlalchemy.engine import make_url

from bench.cpu import cpu_seconds
from indigo import migrations
from schema.ids import decode_id
from tests.api import CLIENT_DOCUMENTS, Api, SignedIn
from tests.live import PARIS, post_appeal
from tests.polling import until
from tests.postgres import admin, create_database, drop_database
from tests.processes import UvicornProcess, uvicorn_process
from tests.redis_server import redis_server

CLIENT_PROCESSES = 2
CONNECT_AT_ONCE = 50
RADIUS_KM = 10.0
SPREAD_DEGREES = 0.03  # helpers stand within about 3 km of the centre
APPEALS_PER_ASKER = 3
WAIT_SECONDS = 120.0
WARM_UPS = 20
WARM_UP_SECONDS = 10.0
SERVER_SETTINGS = {
    "INDIGO_MUTATIONS_PER_MINUTE": "100000",
    # Every helper is an anonymous socket from the one address of the client processes.
    "INDIGO_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS": "100000",
    "INDIGO_MAX_ANONYMOUS_SUBSCRIPTIONS_PER_ADDRESS": "100000",
}


@dataclass
class Outcome:
    helpers: int
    appeals: int
    delays_ms: list[float]
    lost: int
    duplicates: int
    rss_per_helper_kib: float
    seconds: float
    server_cpu_us: float  # the servers' CPU time over the appeals, per delivery
    client_cpu_us: float  # the same for the helpers' client processes


# --- client processes -------------------------------------------------------------------


def run_helpers(
    urls: Sequence[str],
    count: int,
    seed: int,
    pipe: Connection,
    at_once: int = CONNECT_AT_ONCE,
) -> None:
    """A client process: `count` helpers over `urls`, reporting what each heard and when;
    `at_once` of them connecting at a time."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(_helpers(urls, count, random.Random(seed), pipe, at_once))


class _Helper(WSListener):
    """One helper's socket: each frame is kept as it came, with the time it came, and read
    once the appeals are out, so that the clients spend as little as they can meanwhile."""

    def __init__(self) -> None:
        self.frames: list[tuple[bytes, float]] = []
        self.acknowledged = asyncio.get_running_loop().create_future()
        self._read = 0
        self.heard: list[tuple[int, float]] = []
        self._heard_ids: set[int] = set()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self.frames.append((frame.get_payload_as_bytes(), time.monotonic()))
            if not self.acknowledged.done():
                self.acknowledged.set_result(None)

    def heard_ids(self) -> set[int]:
        for raw, received in self.frames[self._read :]:
            message = json.loads(raw)
            if message.get("type") == "next":
                appeal_id = _pk(message["payload"]["data"]["appealCreated"]["appeal"]["id"])
                self.heard.append((appeal_id, received))
                self._heard_ids.add(appeal_id)
        self._read = len(self.frames)
        return self._heard_ids


async def _helpers(
    urls: Sequence[str], count: int, rng: random.Random, pipe: Connection, connecting: int
) -> None:
    at_once = asyncio.Semaphore(connecting)

    async def open_helper(index: int) -> tuple[WSTransport, _Helper]:
        near = {
            "latitude": PARIS["latitude"] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            "longitude": PARIS["longitude"] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
        }
        async with at_once:
            url = urls[index % len(urls)].replace("http", "ws", 1) + "/graphql"
            transport, listener = await ws_connect(
                _Helper, url, extra_headers={"Sec-WebSocket-Protocol": "graphql-transport-ws"}
            )
            helper = cast(_Helper, listener)
            transport.send(WSMsgType.TEXT, _json({"type": "connection_init", "payload": {}}))
            await helper.acknowledged
            document = {
                "query": CLIENT_DOCUMENTS["AppealFeed"],
                "variables": {"near": near, "radiusKm": RADIUS_KM},
            }
            transport.send(
                WSMsgType.TEXT, _json({"id": "1", "type": "subscribe", "payload": document})
            )
        return transport, helper

    connected = await asyncio.gather(*(open_helper(i) for i in range(count)))
    helpers = [helper for _, helper in connected]
    # The clients measure: a pause of theirs would count as the servers' delay. A full
    # collection over 1,250 connections took up to half a second; the run needs no collector.
    gc.freeze()
    gc.disable()
    pipe.send(("connected", count))
    loop = asyncio.get_running_loop()
    while True:
        command, appeal_ids, seconds = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        # ("wait", ids, s): how many helpers heard all of `ids`, once all have or after s.
        wanted = set(appeal_ids)
        with contextlib.suppress(TimeoutError):
            await until(partial(_all_heard, helpers, wanted), within=seconds)
        pipe.send(("heard", sum(wanted <= h.heard_ids() for h in helpers)))
    pipe.send(("results", [helper.heard for helper in helpers]))
    for transport, _ in connected:
        transport.disconnect()


def _all_heard(helpers: list[_Helper], wanted: set[int]) -> bool:
    return all(wanted <= helper.heard_ids() for helper in helpers)


def _json(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def _pk(listing_id: str) -> int:
    return decode_id("Listing", listing_id)


# --- the coordinator --------------------------------------------------------------------


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")


async def measure(database_url: str, helpers: int, appeals: int, interval: float) -> Outcome:
    async with (
        redis_server() as redis,
        uvicorn_process(database_url, redis.url, settings=SERVER_SETTINGS) as first,
        uvicorn_process(database_url, redis.url, settings=SERVER_SETTINGS) as second,
        httpx.AsyncClient(base_url=first.url, timeout=60) as http,
    ):
        servers: list[UvicornProcess] = [first, second]
        api = Api(http)
        askers = [
            await api.register(display_name=f"Asker {n}")
            for n in range((appeals + WARM_UPS) // APPEALS_PER_ASKER + 1)
        ]
        memory_before = sum(resident_kib(s.pid) for s in servers)

        context = multiprocessing.get_context("spawn")
        pipes: list[Connection] = []
        clients = []
        shares = [
            helpers // CLIENT_PROCESSES + (i < helpers % CLIENT_PROCESSES)
            for i in range(CLIENT_PROCESSES)
        ]
        for index, share in enumerate(shares):
            mine, theirs = context.Pipe()
            client = context.Process(
                target=run_helpers, args=([s.url for s in servers], share, index, theirs)
            )
            client.start()
            pipes.append(mine)
            clients.append(client)
        for pipe in pipes:
            await _expect(pipe, "connected")

        # Helpers subscribe on their own time: warm-up appeals until one reaches every helper.
        warm_up = _Asker(askers)
        for _ in range(WARM_UPS):
            first_heard = _pk(await post_appeal(api, warm_up.next()))
            if await _tell_all(pipes, ("wait", [first_heard], WARM_UP_SECONDS)) == helpers:
                break
        else:
            raise SystemExit(f"not all {helpers} helpers were listening after {WARM_UPS} tries")
        memory_connected = sum(resident_kib(s.pid) for s in servers)

        responses: dict[int, float] = {}
        cpu_before = [sum(cpu_seconds(s.pid) for s in servers), _clients_cpu(clients)]
        started = time.monotonic()
        for _ in range(appeals):
            appeal = await post_appeal(api, warm_up.next())
            responses[_pk(appeal)] = time.monotonic()
            await asyncio.sleep(interval)
        await _tell_all(pipes, ("wait", list(responses), WAIT_SECONDS))
        seconds = time.monotonic() - started
        server_cpu = sum(cpu_seconds(s.pid) for s in servers) - cpu_before[0]
        client_cpu = _clients_cpu(clients) - cpu_before[1]

        delays: list[float] = []
        duplicates = 0
        received = 0
        for pipe in pipes:
            pipe.send(("stop", [], 0))
            for heard in await _expect(pipe, "results"):
                seen: set[int] = set()
                for appeal_id, at in heard:
                    if appeal_id in seen:
                        duplicates += 1
                    elif appeal_id in responses:
                        seen.add(appeal_id)
                        received += 1
                        delays.append((at - responses[appeal_id]) * 1000)
        for client in clients:
            client.join(30)
        return Outcome(
            helpers=helpers,
            appeals=appeals,
            delays_ms=delays,
            lost=helpers * appeals - received,
            duplicates=duplicates,
            rss_per_helper_kib=(memory_connected - memory_before) / helpers,
            seconds=seconds,
            server_cpu_us=server_cpu / max(received, 1) * 1e6,
            client_cpu_us=client_cpu / max(received, 1) * 1e6,
        )


def _clients_cpu(clients: Sequence[multiprocessing.process.BaseProcess]) -> float:
    return sum(cpu_seconds(client.pid) for client in clients if client.pid is not None)


class _Asker:
    """Hands out askers so that none passes the cap of open appeals."""

    def __init__(self, askers: list[SignedIn]) -> None:
        self._askers = askers
        self._posted = 0

    def next(self) -> SignedIn:
        asker = self._askers[self._posted // APPEALS_PER_ASKER]
        self._posted += 1
        return asker


async def _expect(pipe: Connection, kind: str) -> Any:
    loop = asyncio.get_running_loop()
    received_kind, value = await loop.run_in_executor(None, pipe.recv)
    assert received_kind == kind, (received_kind, kind)
    return value


async def _tell_all(pipes: list[Connection], command: tuple[str, list[int], float]) -> int:
    for pipe in pipes:
        pipe.send(command)
    return sum([await _expect(pipe, "heard") for pipe in pipes])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fresh_database(server: str, bench: str = "fanout") -> tuple[str, str]:
    """A new migrated database on `server` for one run of a benchmark: its name and URL."""
    name = f"indigo_bench_{bench}_{uuid.uuid4().hex[:8]}"
    with admin(server) as connection:
        create_database(connection, name)
    url = make_url(server).set(database=name).render_as_string(False)
    migrations.upgrade(url)
    return name, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--appeals", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between appeals")
    arguments = parser.parse_args()
    server = os.environ.get(
        "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    print(f"load before: {os.getloadavg()}")
    print(
        "| helpers | appeals | p50 ms | p99 ms | max ms | lost | duplicates | RSS/helper "
        "| server CPU µs/delivery | client CPU µs/delivery |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for helpers in arguments.helpers:
        name, url = fresh_database(server)
        try:
            outcome = asyncio.run(measure(url, helpers, arguments.appeals, arguments.interval))
        finally:
            with admin(server) as connection:
                drop_database(connection, name)
        delays = outcome.delays_ms or [float("nan")]
        print(
            f"| {outcome.helpers} | {outcome.appeals} | {statistics.median(delays):.1f} "
            f"| {percentile(delays, 0.99):.1f} | {max(delays):.1f} | {outcome.lost} "
            f"| {outcome.duplicates} | {outcome.rss_per_helper_kib:.1f} KiB "
            f"| {outcome.server_cpu_us:.0f} | {outcome.client_cpu_us:.0f} |",
            flush=True,
        )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
