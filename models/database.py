"""The engine and the two kinds of session: read, and write (one unit of work)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_WRITE = "indigo_write"
T = TypeVar("T")


def dialect(session: AsyncSession | AsyncConnection) -> str:
    """The database's dialect name: a few statements differ between SQLite and PostgreSQL."""
    if isinstance(session, AsyncConnection):
        return session.dialect.name
    assert session.bind is not None
    return session.bind.dialect.name


# The `insert` of each dialect, the one with `on_conflict_do_*`: both dialects have it, with
# the same arguments, but SQLAlchemy keeps it per dialect.
UPSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql_insert,
    "sqlite": sqlite_insert,
}


def upsert(session: AsyncSession | AsyncConnection) -> Callable[[Any], Any]:
    """The `insert` of the database's dialect (`UPSERTS`)."""
    return UPSERTS[dialect(session)]


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
        self._autocommit_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._autocommit = async_sessionmaker(self._autocommit_engine, expire_on_commit=False)
        self._turns: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, list[tuple[list[Any], asyncio.Future[None]]]] = {}

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
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection for writes that each stand alone, committed as each statement runs:
        on PostgreSQL that spares the BEGIN and COMMIT round trips. On SQLite, where a writer
        must take the write lock first, they run as one unit of work. No ORM: what runs here
        is a few Core statements on a hot path (the rate limit of every mutation), where the
        ORM would cost more CPU than the statement."""
        async with self._autocommit_engine.connect() as connection:
            if not self.is_sqlite:
                yield connection
                return
            await connection.execution_options(**{_WRITE: True})
            async with connection.begin():
                yield connection

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
    async def exclusive(self, name: str) -> AsyncIterator[AsyncConnection]:
        """Be the one holder of `name` in every process on this database, for the block, with
        the connection that holds it, for the block's statements (each committed at once):
        waiting for a pooled connection while holding `name` would make every process wait.

        Waiters queue on a local lock first, so a process spends at most one pooled connection
        on waiting. On PostgreSQL, that connection then takes a session advisory lock, which
        outlives the transactions inside the block; SQLite serves one process only.
        """
        async with self._turns.setdefault(name, asyncio.Lock()), self.engine.connect() as pooled:
            # Each statement its own transaction: the fewest round trips while others wait.
            held = await pooled.execution_options(isolation_level="AUTOCOMMIT")
            if self.is_sqlite:
                yield held
                return
            key = {"key": zlib.crc32(name.encode())}
            await held.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield held
            finally:
                await held.execute(text("SELECT pg_advisory_unlock(:key)"), key)

    async def sequence(
        self,
        name: str,
        items: Sequence[T],
        handle: Callable[[AsyncConnection, list[T]], Awaitable[None]],
    ) -> None:
        """Hand `items` to `handle` as the one holder of `name` (`exclusive`), together with
        the items that other tasks of this process bring while it waits: under load, one
        turn serves many callers, rather than each waiting for the whole network's turns.
        Raises what `handle` raised for them."""
        waiting = self._waiting.setdefault(name, [])
        done = asyncio.get_running_loop().create_future()
        waiting.append((list(items), done))
        async with self._turns.setdefault(f"{name} batch", asyncio.Lock()):
            if not done.done():  # a caller before it took these items along
                batch, waiting[:] = waiting[:], []
                try:
                    async with self.exclusive(name) as held:
                        await handle(held, [item for taken, _ in batch for item in taken])
                except BaseException as error:
                    failure = error if isinstance(error, Exception) else RuntimeError(name)
                    for _, other in batch:
                        if other is not done:
                            other.set_exception(failure)
                    raise
                for _, other in batch:
                    other.set_result(None)
        await done

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
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement its own transaction, as SQLite runs it with no BEGIN
        immediate = options.get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
