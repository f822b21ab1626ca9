"""Listings spread over Paris: the data of the nearby and map benches.

Listings are spread uniformly over latitude 48.8 to 49.0 and longitude 2.25 to 2.45 (central
Paris and around: the dense case), by 1,000 authors. Databases are kept between runs
(bench/data/<name>_<n>.db for SQLite, `indigo_bench_<name>_<n>` on the PostgreSQL server)
and loaded only when missing.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from indigo import migrations
from models import Database, Listing, Member
from models.columns import utcnow
from resolvers.geo import grid_of
from resolvers.nearby import lat_band, searchable

DATA = Path(__file__).resolve().parent / "data"
AUTHORS = 1000
BATCH = 10_000


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def database_url(kind: str, name: str, listings: int, server: str) -> str:
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{DATA / f'{name}_{listings}.db'}"
    database = f"indigo_bench_{name}_{listings}"
    return make_url(server).set(database=database).render_as_string(False)


async def prepare(kind: str, name: str, listings: int, server: str) -> str:
    """The URL of a database of `listings` listings, migrated, loaded when it was not."""
    url = database_url(kind, name, listings, server)
    if kind == "postgresql":
        await _ensure_postgres_database(url)
    await asyncio.to_thread(migrations.upgrade, url)
    count = await _listing_count(url)
    if count != listings:
        if count:
            raise SystemExit(f"{url} holds {count} listings, not {listings}: drop it first")
        began = time.perf_counter()
        await _load(url, listings)
        print(f"loaded {listings} listings in {time.perf_counter() - began:.0f} s", flush=True)
    return url


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


async def _ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        asyncpg_dsn(parsed.set(database="postgres").render_as_string(False))
    )
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await connection.close()


async def _listing_count(url: str) -> int:
    database = Database(url)
    try:
        async with database.read() as session:
            return await session.scalar(select(func.count()).select_from(Listing)) or 0
    finally:
        await database.dispose()


async def _load(url: str, listings: int) -> None:
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
