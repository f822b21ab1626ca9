"""The map view of a city-sized viewport, over many listings.

    .venv/bin/python -m bench.listings_map --database sqlite postgresql --listings 1000000

Listings are spread over Paris as bench/paris.py loads them (databases `map_<n>`). Each view
calls the resolver function directly (what the database and the clustering cost, without
GraphQL), `--repeat` times after one warm-up, and prints the median and the slowest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from bench.paris import load_average, prepare
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
            url = await prepare(kind, "map", listings, arguments.server)
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
