"""What refusing an abusive document costs the server, beside answering a small query.

    .venv/bin/python -m bench.limits --seconds 5

One production app in-process (httpx over ASGI, a fresh SQLite file), one client sending
the same document again and again for `--seconds` each; the time is the whole round trip
inside the process, the CPU time that of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from indigo import migrations
from indigo.app import create_app
from indigo.settings import Settings
from tests.api import Api

FRAGMENT_BOMB = (
    "query { me { ...F0 } } "
    + " ".join(f"fragment F{i} on Member {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    + " fragment F40 on Member { id }"
)
DOCUMENTS = {
    "{ __typename } (answered)": "{ __typename }",
    "Me, signed in (answered)": "{ me { id displayName email wallet { digos heldDigos } } }",
    "15,001 characters": "{ __typename }" + " " * (15001 - len("{ __typename }")),
    "2,001 tokens": "{ me {" + " id" * 1996 + " } }",
    "11 levels deep": "{" + " me {" * 10 + " id" + " }" * 10 + " }",
    "16 aliases": "{" + " ".join(f"a{i}: __typename" for i in range(16)) + " }",
    "fragment bomb (2^40 fields)": FRAGMENT_BOMB,
    "first: 100000 on myExchanges": "{ myExchanges(first: 100000) { edges { cursor } } }",
}


async def measure(seconds: float) -> list[tuple[str, int, float, float]]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        await asyncio.to_thread(migrations.upgrade, url)
        app = create_app(Settings(_env_file=None, database_url=url, production=True))
        rows = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                token = (await Api(http).register()).token
                for name, document in DOCUMENTS.items():
                    body = {"query": document}
                    headers = {"Authorization": f"Bearer {token}"}
                    await http.post("/graphql", json=body, headers=headers)  # warm the caches
                    count, started, cpu = 0, time.perf_counter(), time.process_time()
                    while time.perf_counter() - started < seconds:
                        await http.post("/graphql", json=body, headers=headers)
                        count += 1
                    wall = time.perf_counter() - started
                    used = time.process_time() - cpu
                    rows.append((name, count, wall / count * 1000, used / count * 1000))
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    arguments = parser.parse_args()
    rows = asyncio.run(measure(arguments.seconds))
    print("| document | requests | ms/request | CPU ms/request |")
    print("|---|---:|---:|---:|")
    for name, count, wall_ms, cpu_ms in rows:
        print(f"| {name} | {count} | {wall_ms:.2f} | {cpu_ms:.2f} |")


if __name__ == "__main__":
    main()
