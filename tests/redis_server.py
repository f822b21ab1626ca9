"""A redis-server of the test's own on a free port, which the test may stop and start again.

Fault tests use it so that stopping Redis never touches the shared one other tests use.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

START_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed (apt-get install redis-server)"
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self._process = await asyncio.create_subprocess_exec(
            executable, *options, "--appendonly", "no", stdout=asyncio.subprocess.DEVNULL
        )
        client = Redis.from_url(self.url)
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                while True:
                    try:
                        await client.ping()
                        return
                    except RedisConnectionError:
                        assert self._process.returncode is None, "redis-server exited"
                        await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.wait_for(self._process.wait(), START_TIMEOUT_SECONDS)
            self._process = None


@asynccontextmanager
async def redis_server() -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
