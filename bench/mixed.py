"""Posting appeals among every other kind of traffic: many clients at once against two
uvicorn processes sharing PostgreSQL and Redis, each operation timed on its own.

    .venv/bin/python -m bench.mixed [--clients 200] [--seconds 60]

A fresh PostgreSQL database (on INDIGO_BENCH_DATABASE_URL's server, default the local one)
and a redis-server of the bench's own. Each client is a member with an offer of 1 digo, sent
to the two processes in turn; clients pair up (0 and 1, 2 and 3, ...). In a loop, a client
draws one operation: post an appeal in one of several cities (so appeals of many areas
commit at once), an exchange on its partner's offer (requestExchange, the partner's
acceptExchange, completeExchange, timed apart), an offer or need, a message about its
partner's offer, or a query (nearby, the wallet, its exchanges, a listing). Reported per
operation: count, p50 and p99 of its latency, and errors (a transport failure, a GraphQL
error or a userError); then the ledger audit, which must find nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.fanout import fresh_database, percentile
from tests.api import Api, SignedIn
from tests.economy import post_listing
from tests.postgres import admin, drop_database
from tests.processes import uvicorn_process
from tests.redis_server import redis_server
from tests.test_fuzz import ledger_violations

SERVER_SETTINGS = {
    "INDIGO_MUTATIONS_PER_MINUTE": "1000000",
    "INDIGO_MESSAGES_PER_MINUTE": "1000000",
    "INDIGO_MAX_OPEN_APPEALS": "1000000",
    "INDIGO_MAX_PAIR_APPEALS_PER_MONTH": "1000000",
    # Exchanges move a digo either way between partners; an appeal asks for more than a
    # member ever holds, so every appeal is from a member short of digos.
    "INDIGO_WELCOME_DIGOS": "60",
    "INDIGO_PRODUCTION": "true",
}
APPEAL_DIGOS = 100
CITIES = [
    (48.857, 2.352),  # Paris
    (45.764, 4.836),  # Lyon
    (43.296, 5.370),  # Marseille
    (50.629, 3.057),  # Lille
    (44.838, -0.579),  # Bordeaux
    (43.605, 1.444),  # Toulouse
    (47.218, -1.554),  # Nantes
    (48.573, 7.752),  # Strasbourg
]
# How often each operation is drawn, out of their sum.
WEIGHTS = {"appeal": 2, "exchange": 2, "listing": 1, "message": 2, "query": 4}
MUTATIONS = {
    "CreateListing (appeal)",
    "CreateListing (offer or need)",
    "RequestExchange",
    "AcceptExchange",
    "CompleteExchange",
    "SendMessage",
}


@dataclass
class Member:
    signed_in: SignedIn
    offer: str


@dataclass
class Timings:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_errors: list[str] = field(default_factory=list)

    async def timed(self, name: str, call: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
        """The payload of one operation, timed; None, counted as an error, if it failed."""
        started = time.monotonic()
        try:
            result = await call
        except Exception as error:  # any failure of the request is an error of the run
            result = {"errors": [{"message": repr(error)}]}
        self.latencies_ms[name].append((time.monotonic() - started) * 1000)
        problems = result.get("errors") or [
            e for value in (result.get("data") or {}).values() for e in _user_errors(value)
        ]
        if problems:
            self.errors[name] += 1
            if len(self.first_errors) < 10:
                self.first_errors.append(f"{name}: {str(problems[0])[:300]}")
            return None
        data: dict[str, Any] = result["data"]
        return data


def _user_errors(payload: Any) -> list[Any]:
    return list(payload.get("userErrors") or []) if isinstance(payload, dict) else []


def _near(rng: random.Random) -> dict[str, float]:
    latitude, longitude = rng.choice(CITIES)
    return {
        "latitude": round(latitude + rng.uniform(-0.1, 0.1), 5),
        "longitude": round(longitude + rng.uniform(-0.1, 0.1), 5),
    }


def _listing(type_: str, digos: int, near: dict[str, float]) -> dict[str, Any]:
    return {
        "input": {
            "type": type_,
            "kind": "SERVICE",
            "category": "lessons",
            "title": f"A {type_.lower()}",
            "description": "",
            "digos": digos,
            "location": near,
        }
    }


async def _client(
    api: Api, me: Member, partner: Member, timings: Timings, rng: random.Random, until: float
) -> None:
    token = me.signed_in.token

    async def appeal() -> None:
        variables = _listing("APPEAL", APPEAL_DIGOS, _near(rng))
        await timings.timed(
            "CreateListing (appeal)", api.client_op("CreateListing", variables, token=token)
        )

    async def exchange() -> None:
        requested = await timings.timed(
            "RequestExchange",
            api.client_op("RequestExchange", {"input": {"listingId": partner.offer}}, token=token),
        )
        if requested is None:
            return
        moved = {"input": {"exchangeId": requested["requestExchange"]["exchange"]["id"]}}
        accepted = await timings.timed(
            "AcceptExchange",
            api.client_op("AcceptExchange", moved, token=partner.signed_in.token),
        )
        if accepted is not None:
            await timings.timed(
                "CompleteExchange", api.client_op("CompleteExchange", moved, token=token)
            )

    async def listing() -> None:
        variables = _listing(rng.choice(["OFFER", "NEED"]), rng.randint(1, 10), _near(rng))
        await timings.timed(
            "CreateListing (offer or need)",
            api.client_op("CreateListing", variables, token=token),
        )

    async def message() -> None:
        variables = {"input": {"body": "Still there?", "listingId": partner.offer}}
        await timings.timed("SendMessage", api.client_op("SendMessage", variables, token=token))

    async def query() -> None:
        queries: list[tuple[str, dict[str, Any]]] = [
            ("Nearby", {"near": _near(rng), "radiusKm": 10, "first": 20}),
            ("Me", {}),
            ("MyExchanges", {"first": 10}),
            ("Listing", {"id": partner.offer}),
        ]
        name, variables = rng.choice(queries)
        await timings.timed(name, api.client_op(name, variables, token=token))

    operations: dict[str, Callable[[], Awaitable[None]]] = {
        "appeal": appeal,
        "exchange": exchange,
        "listing": listing,
        "message": message,
        "query": query,
    }
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    while time.monotonic() < until:
        await operations[rng.choices(names, weights)[0]]()


async def _member(api: Api, n: int) -> Member:
    signed_in = await api.register(display_name=f"Member {n}")
    return Member(signed_in, await post_listing(api, signed_in, "OFFER", 1))


@dataclass
class Outcome:
    timings: Timings
    seconds: float
    violations: list[Any]


async def measure(database_url: str, clients: int, seconds: float) -> Outcome:
    async with contextlib.AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_server())
        servers = [
            await stack.enter_async_context(
                uvicorn_process(database_url, redis.url, settings=SERVER_SETTINGS)
            )
            for _ in range(2)
        ]
        # Idle connections let go before uvicorn closes them (after 5 s): a request sent on one
        # as it closes would fail for the harness's sake.
        limits = httpx.Limits(max_connections=clients, keepalive_expiry=1)
        apis = [
            Api(
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=s.url, limits=limits, timeout=120)
                )
            )
            for s in servers
        ]
        members = await asyncio.gather(*(_member(apis[n % 2], n) for n in range(clients)))
        timings = Timings()
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _client(apis[n % 2], me, members[n ^ 1], timings, random.Random(n), until)
                for n, me in enumerate(members)
                if n ^ 1 < clients
            )
        )
    return Outcome(timings, seconds, await ledger_violations(database_url))


def report(outcome: Outcome, clients: int) -> str:
    timings = outcome.timings
    rows = []
    for name in sorted(timings.latencies_ms, key=lambda n: (n not in MUTATIONS, n)):
        latencies = timings.latencies_ms[name]
        rows.append(
            f"| {name} | {len(latencies):,} | {statistics.median(latencies):.0f} "
            f"| {percentile(latencies, 0.99):.0f} | {timings.errors.get(name, 0)} |"
        )
    others = [
        percentile(timings.latencies_ms[n], 0.99)
        for n in MUTATIONS - {"CreateListing (appeal)"}
        if timings.latencies_ms.get(n)
    ]
    appeals = timings.latencies_ms.get("CreateListing (appeal)") or [float("nan")]
    ratio = percentile(appeals, 0.99) / max(others, default=float("nan"))
    audit_line = "green" if not outcome.violations else f"FAILED: {outcome.violations[:5]}"
    total = sum(len(v) for v in timings.latencies_ms.values())
    return "\n".join(
        [
            f"{clients} clients, {outcome.seconds:g} s, {total:,} operations "
            f"({total / outcome.seconds:.0f}/s)",
            "",
            "| operation | count | p50 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            f"p99 of posting an appeal / highest p99 of the other mutations: {ratio:.2f}",
            f"ledger audit: {audit_line}",
            *(f"error: {line}" for line in timings.first_errors),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    arguments = parser.parse_args()
    server = os.environ.get(
        "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    print(f"load before: {os.getloadavg()}", flush=True)
    name, url = fresh_database(server, "mixed")
    try:
        outcome = asyncio.run(measure(url, arguments.clients, arguments.seconds))
    finally:
        with admin(server) as connection:
            drop_database(connection, name)
    print(report(outcome, arguments.clients))
    print(f"load after: {os.getloadavg()}")
    if outcome.violations or outcome.timings.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
