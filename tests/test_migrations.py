"""The migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from models import Database


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_database_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []
