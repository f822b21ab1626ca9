"""Creating and dropping the throwaway PostgreSQL databases that tests run in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.engine import make_url


class Admin:
    """A blocking facade over one asyncpg connection to the server's maintenance database."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(
            False
        )
        self._loop = asyncio.new_event_loop()
        self._connection = self._loop.run_until_complete(asyncpg.connect(self._dsn))

    def execute(self, statement: str) -> None:
        self._loop.run_until_complete(self._connection.execute(statement))

    def close(self) -> None:
        self._loop.run_until_complete(self._connection.close())
        self._loop.close()


@contextmanager
def admin(url: str) -> Iterator[Admin]:
    connection = Admin(url)
    try:
        yield connection
    finally:
        connection.close()


def create_database(connection: Admin, name: str, template: str | None = None) -> None:
    connection.execute(
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    )


def drop_database(connection: Admin, name: str) -> None:
    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
