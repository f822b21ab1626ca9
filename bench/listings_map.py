"""The map view of a city-sized viewport, over many listings.

    .venv/bin/python -m bench.listings_map --database sqlite postgresql --listings 1000000

Listings are loaded as bench/nearby.py loads them: uniformly over latitude 48.8 to 49.0 and
longitude 2.25 to 2.45 (Paris and around). Each view calls the resolver function directly
(what the database and the clustering cost, without GraphQL), `--repeat` times after one
warm-up, and prints the median and the slowest. Databases are kept between runs
(bench/data/map_<n>.db, `indigo_bench_map_<n>` on the PostgreSQL server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from sqlalchemy.engine import make_url

from bench.nearby import DATA, ensure_postgres_database, listing_count, load, load_average
from indigo import migrations
from models import Database
from realtime.hub import Hub
from resolvers.economy import Economy
from resolvers.listings_map import Box, listings_on_map
from resolvers.services import Services

VIEWS = {
    "the whole city, zoom 11": (Box(48.8, 2.25, 49.0, 2.45), 11),
    "a district, zoom 14": (Box(48.85, 2.33, 48.87, 2.37), 14),
    "a street, zoom 17": (Box(48.855, 2.345, 48.865, 2.355), 17),
}


def database_url(kind: str, listings: int, server: str) -> str:
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{DATA / f'map_{listings}.db'}"
    return make_url(server).set(database=f"indigo_bench_map_{listings}").render_as_string(False)


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


async def measure(url: str, repeat: int) -> None:
    services = Services(db=Database(url), economy=Economy(), hub=Hub("memory://"))
    try:
        for name, (box, zoom) in VIEWS.items():
            view = await listings_on_map(services, box, zoom)
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                await listings_on_map(services, box, zoom)
                times.append((time.perf_counter() - began) * 1000)
            shown = (
                f"{len(view.clusters)} clusters of {sum(c.count for c in view.clusters)}"
                if view.clusters
                else f"{len(view.listings)} listings"
            )
            print(
                f"  {name}: {shown}; median {statistics.median(times):.1f} ms, "
                f"slowest {max(times):.1f} ms",
                flush=True,
            )
    finally:
        await services.db.dispose()


async def main(arguments: argparse.Namespace) -> None:
    print(f"load average before: {load_average()}", flush=True)
    for listings in arguments.listings:
        for kind in arguments.database:
            url = await prepare(kind, listings, arguments.server)
            print(f"{kind}, {listings} listings:", flush=True)
            await measure(url, arguments.repeat)
    print(f"load average after: {load_average()}", flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--listings", nargs="+", type=int, default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "INDIGO_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
