"""The pool on PostgreSQL (reads without a transaction, connections the server closed), and
work handed to a turn of the whole network."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from models import Database
from tests.polling import until

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@on_postgresql
async def test_lookups_run_each_statement_in_its_own_transaction(database: Database) -> None:
    async with database.lookups() as session:
        first = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        second = await session.scalar(text("SELECT pg_current_xact_id()::text"))
    async with database.read() as session:
        one = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        same = await session.scalar(text("SELECT pg_current_xact_id()::text"))

    assert first != second
    assert one == same


@on_postgresql
async def test_a_connection_the_server_closed_is_replaced_at_checkout(
    database: Database, database_url: str
) -> None:
    closed = asyncio.Event()
    async with database.lookups() as session:
        pooled = await (await session.connection()).get_raw_connection()
        driver = pooled.driver_connection
        assert driver is not None
        driver.add_termination_listener(lambda _connection: closed.set())
        killed = await session.scalar(text("SELECT pg_backend_pid()"))
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", killed)
    finally:
        await admin.close()
    # Until this process has read the server's close, as a request after a restart would.
    await asyncio.wait_for(closed.wait(), 10)

    async with database.lookups() as session:
        looked_up = await session.scalar(text("SELECT pg_backend_pid()"))
    async with database.write() as session:
        wrote = await session.scalar(text("SELECT pg_backend_pid()"))

    assert killed not in (looked_up, wrote)


async def test_callers_that_arrive_during_a_turn_are_served_together_in_the_next(
    database: Database,
) -> None:
    handled: list[list[str]] = []
    release = asyncio.Event()

    async def handle(_held: AsyncConnection, items: list[str]) -> None:
        handled.append(items)
        if items == ["first"]:
            await release.wait()

    first = asyncio.create_task(database.sequence("test", ["first"], handle))
    await until(lambda: handled == [["first"]])
    later = [
        asyncio.create_task(database.sequence("test", items, handle))
        for items in (["a", "b"], ["c"])
    ]
    await asyncio.sleep(0)  # both are waiting for the turn
    release.set()
    await asyncio.gather(first, *later)

    assert handled == [["first"], ["a", "b", "c"]]


async def test_every_caller_served_by_a_failed_turn_hears_of_it(database: Database) -> None:
    release = asyncio.Event()

    async def handle(_held: AsyncConnection, items: list[str]) -> None:
        if items == ["first"]:
            await release.wait()
        else:
            raise ValueError(items)

    first = asyncio.create_task(database.sequence("test", ["first"], handle))
    later = [asyncio.create_task(database.sequence("test", [n], handle)) for n in ("a", "b")]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(first, *later, return_exceptions=True)

    assert outcomes[0] is None
    assert [repr(outcome) for outcome in outcomes[1:]] == ["ValueError(['a', 'b'])"] * 2
