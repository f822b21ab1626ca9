"""The engine and the two kinds of session: read, and write (one unit of work)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm.util import identity_key

_WRITE = "indigo_write"
T = TypeVar("T")


def dialect(session: AsyncSession) -> str:
    """The database's dialect name: a few statements differ between SQLite and PostgreSQL."""
    assert session.bind is not None
    return session.bind.dialect.name


def upsert(session: AsyncSession) -> Callable[[Any], Any]:
    """The `insert` of the session's dialect, the one with `on_conflict_do_*`: both dialects
    have it, with the same arguments, but SQLAlchemy keeps it per dialect."""
    return postgresql_insert if dialect(session) == "postgresql" else sqlite_insert


async def rows_by_id(session: AsyncSession, model: type[T], ids: Collection[int]) -> dict[int, T]:
    """The rows of `model` with these ids, by id: those the session already holds as they
    are (a unit of work need not read a row twice), the others by one query."""
    found: dict[int, T] = {}
    for i in set(ids):
        if (row := session.identity_map.get(identity_key(model, i))) is not None:
            found[i] = row
    missing = set(ids) - found.keys()
    if missing:
        key = inspect(model).primary_key[0]
        for row in await session.scalars(select(model).where(key.in_(missing))):
            found[getattr(row, key.key)] = row
    return found


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url)
            _configure_sqlite(self.engine)
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
            _replace_dead_connections(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = (
            self._sessions
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )
        self._turns: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; whatever it changes is rolled back."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def lookups(self) -> AsyncIterator[AsyncSession]:
        """A session for reads that need no snapshot in common, and for reads only: on
        PostgreSQL each statement is its own transaction (committed at once), which spares a
        BEGIN and a ROLLBACK round trip."""
        async with self._autocommit() as session:
            yield session

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """A session for writes that each stand alone, committed as each statement runs: on
        PostgreSQL that spares the BEGIN and COMMIT round trips. On SQLite, where a writer
        must take the write lock first, they run as one unit of work."""
        if self.is_sqlite:
            async with self.write() as session:
                yield session
            return
        async with self._autocommit() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises.

        On SQLite the transaction starts with BEGIN IMMEDIATE, so writers queue for the
        write lock at the start instead of failing mid-way when a read lock cannot upgrade.
        """
        async with self._sessions() as session, session.begin():
            await session.connection(execution_options={_WRITE: True})
            yield session

    @asynccontextmanager
    async def turn(self, name: str) -> AsyncIterator[None]:
        """One holder of `name` at a time, in every process on this database, for the block.

        Waiters queue on a local lock first, so a process spends at most one pooled connection
        on waiting. On PostgreSQL, that connection then takes a session advisory lock, which
        outlives the transactions inside the block; SQLite serves one process only.
        """
        async with self._turns.setdefault(name, asyncio.Lock()):
            if self.is_sqlite:
                yield
                return
            key = {"key": zlib.crc32(name.encode())}
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
                try:
                    yield
                finally:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _replace_dead_connections(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # asyncpg sees a connection closed by the server (a restart, a terminated backend)
        # as soon as the event loop reads the close: checking that costs no round trip,
        # where SQLAlchemy's pre-ping costs three (BEGIN, ping, ROLLBACK).
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so we choose IMMEDIATE for writes.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The wait first: switching a file to WAL takes a lock that another process (or
        # engine) may hold for a moment.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
