"""The server memory a connected helper holds: one WebSocket (graphql-transport-ws) with one
`AppealFeed` subscription, idle between appeals.

    .venv/bin/python -m bench.helper_memory --helpers 2000
    .venv/bin/python -m bench.helper_memory --helpers 300 --traced --top 25

One uvicorn process (as `indigo serve` runs it) on a fresh PostgreSQL database (on
INDIGO_BENCH_DATABASE_URL's server, default the local one) with in-memory pub/sub. A first
batch of helpers subscribes and hears an appeal, so that what the first subscriber and the
first delivery build once (caches, the schema's first validation) is in place; then the
measured batch subscribes from a client process of picows sockets (bench/fanout.py's), and
each helper of both batches hears a second appeal. Reported: the server's resident memory
after, minus before the measured batch, per helper of it.

With --traced the server runs with tracemalloc (--frames deep) and dumps a snapshot when told,
after a full collection: the Python memory per helper, by the package that allocated it (the
innermost frame's; asyncio and contextlib apart from the rest of the standard library), and
with --top the lines that allocated most. Tracing slows the server and adds to its resident
memory: take resident memory from a run without it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import httpx

from bench.fanout import (
    CONNECT_AT_ONCE,
    SERVER_SETTINGS,
    _expect,
    _pk,
    fresh_database,
    resident_kib,
    run_helpers,
)
from tests.api import Api, SignedIn
from tests.live import post_appeal
from tests.polling import until
from tests.postgres import admin, drop_database
from tests.processes import UvicornProcess, serve, uvicorn_process

WARM_HELPERS = 100
TRACED_CONNECT_AT_ONCE = 4
TOP_FRAMES = 8
HEAR_SECONDS = 120.0
SNAPSHOT_SECONDS = 600.0
PROJECT_PACKAGES = ("indigo", "schema", "resolvers", "realtime", "models")
SNAPSHOT_SIGNAL = signal.SIGUSR1
TRACED_SERVER = "--traced-server"


class _HelperBatch:
    """A client process of `count` helpers on the server, subscribed once `opened`."""

    def __init__(self, server: UvicornProcess, count: int, seed: int, at_once: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self.count = count
        self._process = context.Process(
            target=run_helpers, args=([server.url], count, seed, theirs, at_once)
        )

    async def opened(self) -> None:
        self._process.start()
        await _expect(self._pipe, "connected")

    async def heard(self, appeal_id: int) -> int:
        """How many of these helpers heard the appeal (all of them, or the wait ran out)."""
        self._pipe.send(("wait", [appeal_id], HEAR_SECONDS))
        heard: int = await _expect(self._pipe, "heard")
        return heard

    async def close(self) -> None:
        if self._process.pid is None:
            return
        self._pipe.send(("stop", [], 0))
        await _expect(self._pipe, "results")
        self._process.join(30)


async def _all_hear(api: Api, asker: SignedIn, batches: list[_HelperBatch]) -> None:
    appeal_id = _pk(await post_appeal(api, asker))
    for batch in batches:
        heard = await batch.heard(appeal_id)
        if heard != batch.count:
            raise SystemExit(f"{heard} of {batch.count} helpers heard the appeal")


class _Tracer:
    """A traced server, told by signals to start tracing, then to dump a snapshot into
    `directory`."""

    def __init__(self, directory: Path, frames: int) -> None:
        self.directory = directory
        self.entry = ("-m", "bench.helper_memory", TRACED_SERVER, str(directory), str(frames))

    def start(self, pid: int) -> None:
        os.kill(pid, SNAPSHOT_SIGNAL)

    @property
    def path(self) -> Path:
        return self.directory / "1.snapshot"

    async def snapshot(self, pid: int) -> None:
        os.kill(pid, SNAPSHOT_SIGNAL)
        await until(self.path.exists, within=SNAPSHOT_SECONDS)


async def measure(database_url: str, helpers: int, tracer: _Tracer | None) -> float:
    """Resident KiB per helper; with a tracer, its snapshot is dumped once they all heard."""
    entry = tracer.entry if tracer is not None else ("-m", "tests.processes")
    async with (
        uvicorn_process(
            database_url, "memory://", settings=SERVER_SETTINGS, entry=entry
        ) as server,
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
    ):
        api = Api(http)
        # Each asker posts one appeal: no one reaches the cap of open appeals.
        askers = [await api.register(display_name=f"Asker {n}") for n in range(2)]
        warm = _HelperBatch(server, WARM_HELPERS, seed=1, at_once=CONNECT_AT_ONCE)
        # A traced server is slow to shake hands: a few at a time, each within the timeout.
        at_once = TRACED_CONNECT_AT_ONCE if tracer is not None else CONNECT_AT_ONCE
        measured = _HelperBatch(server, helpers, seed=2, at_once=at_once)
        try:
            await warm.opened()
            await _all_hear(api, askers[0], [warm])
            if tracer is not None:
                tracer.start(server.pid)
            rss_before = resident_kib(server.pid)
            await measured.opened()
            await _all_hear(api, askers[1], [warm, measured])
            rss_after = resident_kib(server.pid)
            if tracer is not None:
                await tracer.snapshot(server.pid)
        finally:
            await measured.close()
            await warm.close()
    return (rss_after - rss_before) / helpers


def _package(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    for package in PROJECT_PACKAGES:
        if f"/{package}/" in filename and "/.venv/" not in filename:
            return f"(project) {package}"
    if "asyncio" in parts:
        return "asyncio"
    if filename.startswith("<"):
        return filename
    return path.stem if path.stem in ("contextlib", "functools") else "(standard library)"


def report(snapshot: tracemalloc.Snapshot, helpers: int, top: int) -> None:
    """What was allocated since tracing started and is still alive, per helper."""
    statistics = snapshot.statistics("traceback")
    by_package: Counter[str] = Counter()
    for statistic in statistics:
        by_package[_package(statistic.traceback[-1].filename)] += statistic.size
    total = sum(by_package.values())
    print(f"traced Python memory per helper: {total / helpers / 1024:.2f} KiB")
    for package, size in by_package.most_common():
        print(f"  {size / helpers / 1024:6.2f} KiB  {package}")
    if top:
        print(f"the {top} tracebacks that allocated most (KiB per helper, innermost first):")
        for statistic in statistics[:top]:
            print(f"  {statistic.size / helpers / 1024:6.2f} KiB")
            for frame in statistic.traceback.format(limit=TOP_FRAMES, most_recent_first=True):
                print(f"      {frame.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, default=2000)
    parser.add_argument("--traced", action="store_true", help="trace the server's allocations")
    parser.add_argument("--frames", type=int, default=12, help="frames kept per allocation")
    parser.add_argument("--top", type=int, default=0, help="tracebacks to show (with --traced)")
    parser.add_argument("--keep", type=Path, help="where to keep the snapshot (with --traced)")
    arguments = parser.parse_args()
    server = os.environ.get(
        "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    print(f"load before: {os.getloadavg()}")
    name, url = fresh_database(server, "helper_memory")
    with tempfile.TemporaryDirectory() as directory:
        tracer = _Tracer(Path(directory), arguments.frames) if arguments.traced else None
        try:
            per_helper = asyncio.run(measure(url, arguments.helpers, tracer))
        finally:
            with admin(server) as connection:
                drop_database(connection, name)
        print(f"{arguments.helpers} helpers: {per_helper:.1f} KiB resident memory per helper")
        if tracer is not None:
            if arguments.keep is not None:
                shutil.copyfile(tracer.path, arguments.keep)
            report(tracemalloc.Snapshot.load(str(tracer.path)), arguments.helpers, arguments.top)
    print(f"load after: {os.getloadavg()}")


# --- the traced server --------------------------------------------------------------------


@contextmanager
def _traced_on_signal(directory: Path, frames: int) -> Iterator[None]:
    """Tracing starts on the first signal (start-up traced would take minutes); each later
    one dumps a snapshot of what was allocated since and is still alive."""
    dumped = 0

    def on_signal(_signal: int, _frame: FrameType | None) -> None:
        nonlocal dumped
        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start(frames)
            return
        dumped += 1
        written = directory / f"{dumped}.partial"
        tracemalloc.take_snapshot().dump(str(written))
        written.rename(directory / f"{dumped}.snapshot")

    previous = signal.signal(SNAPSHOT_SIGNAL, on_signal)
    try:
        yield
    finally:
        signal.signal(SNAPSHOT_SIGNAL, previous)


def traced_server(directory: Path, frames: int, port: int) -> None:
    """The server of a --traced run: starts tracing on a first SIGUSR1, and dumps a snapshot
    into `directory` on each one after it."""
    with _traced_on_signal(directory, frames):
        serve(port)


if __name__ == "__main__":
    if sys.argv[1:2] == [TRACED_SERVER]:
        traced_server(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
