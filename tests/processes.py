"""uvicorn as a process of its own, as production runs it, for tests and benchmarks that need
several processes sharing one database and one Redis."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from indigo.serving import APP_FACTORY, UVICORN_OPTIONS
from tests.redis_server import free_port

START_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class UvicornProcess:
    url: str
    pid: int


@asynccontextmanager
async def uvicorn_process(
    database_url: str,
    broadcast_url: str,
    *,
    settings: dict[str, str] | None = None,
    entry: Sequence[str] = ("-m", "tests.processes"),
) -> AsyncIterator[UvicornProcess]:
    """A uvicorn process serving the app from INDIGO_* settings (more in `settings`), run
    by `entry` (arguments to Python that end with the port's, which is added)."""
    port = free_port()
    environment = os.environ | {
        "INDIGO_DATABASE_URL": database_url,
        "INDIGO_BROADCAST_URL": broadcast_url,
        **(settings or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, *entry, str(port), env=environment
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(START_TIMEOUT_SECONDS):
            while True:
                assert process.returncode is None, "uvicorn exited at start-up"
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        yield UvicornProcess(url, process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), START_TIMEOUT_SECONDS)


def serve(port: int) -> None:
    """`indigo serve`'s uvicorn, on this loopback port, quietly."""
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **UVICORN_OPTIONS,
    )


def main() -> None:
    """The process itself, on the port given."""
    serve(int(sys.argv[1]))


if __name__ == "__main__":
    main()
