"""Real components for every test: a migrated SQLite file or PostgreSQL database of its own,
the ASGI app with its lifespan, and the ledger audit checked when each test ends."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from indigo import migrations
from indigo.app import create_app
from indigo.settings import Settings
from models import Database
from realtime.hub import Hub
from resolvers.audit import audit
from tests.api import Api
from tests.polling import until
from tests.postgres import admin, create_database, drop_database
from tests.redis_server import RedisServer, redis_server
from tests.smtp_server import PUBLIC_URL, SmtpServer, smtp_server
from tests.variants import api_on, app_with

IN_CI = os.environ.get("CI") == "true"


def required_env(name: str) -> str:
    """A service URL from the environment; without it a test skips, except in CI: it fails."""
    value = os.environ.get(name)
    if not value:
        if IN_CI:
            pytest.fail(f"{name} is not set: CI must run this test")
        pytest.skip(f"{name} is not set")
    return value


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "indigo.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    server = required_env("INDIGO_TEST_DATABASE_URL")
    name = f"indigo_template_{uuid.uuid4().hex[:12]}"
    with admin(server) as connection:
        create_database(connection, name)
    try:
        migrations.upgrade(make_url(server).set(database=name).render_as_string(False))
        yield name
    finally:
        with admin(server) as connection:
            drop_database(connection, name)


@pytest.fixture
async def unopenable_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A SQLite file in a folder that does not exist: every connection fails inside."""
    before = set(threading.enumerate())
    yield f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'indigo.db'}"
    # aiosqlite's thread of a connection that failed to open hands its last result to the
    # test's event loop after the request is over: once that loop has closed, the thread
    # fails, and the test (or the next one in the process) fails on its exception. An
    # async fixture ends before the loop closes, and waits here, the loop running, for it.
    failed = [
        thread
        for thread in set(threading.enumerate()) - before
        if thread.name.endswith("(_connection_worker_thread)")
    ]
    await until(lambda: not any(thread.is_alive() for thread in failed), within=30)


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    """A fan-out of the test's own, in memory, that holds 3 notices per subscriber."""
    running = Hub("memory://", queue_size=3)
    await running.connect()
    yield running
    await running.disconnect()


RATE_LIMIT_WINDOW_SECONDS = 60
# Longer than any test's hits take on a loaded machine.
RATE_LIMIT_MARGIN_SECONDS = 20


@pytest.fixture
async def fresh_rate_window() -> None:
    """Start well inside a rate limits' counting window (a minute of the clock), so that a
    test's hits cannot straddle two windows and start counting again."""
    left = RATE_LIMIT_WINDOW_SECONDS - time.time() % RATE_LIMIT_WINDOW_SECONDS
    if left < RATE_LIMIT_MARGIN_SECONDS:
        await asyncio.sleep(left)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database of this test's own, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "indigo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    server = os.environ["INDIGO_TEST_DATABASE_URL"]
    name = f"indigo_test_{uuid.uuid4().hex[:12]}"
    with admin(server) as connection:
        create_database(connection, name, template=template)
    try:
        yield make_url(server).set(database=name).render_as_string(False)
    finally:
        with admin(server) as connection:
            drop_database(connection, name)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The test's database; when the test ends, the ledger audit must find nothing."""
    db = Database(database_url)
    yield db
    async with db.read() as session:
        violations = await audit(session)
    await db.dispose()
    assert violations == [], violations


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, broadcast_url="memory://", _env_file=None)


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    async with api_on(app) as client:
        yield client


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    """A redis-server of the test's own, on a free port, that the test may stop and start."""
    async with redis_server() as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server of the test's own, on a free port, that the test may stop and start."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mailing_app(settings: Settings, smtp: SmtpServer) -> AsyncIterator[Starlette]:
    """The app sending mail to the test's SMTP server, its scheduler ticking fast."""
    async with app_with(
        settings,
        smtp_url=smtp.url,
        public_url=PUBLIC_URL,
        scheduler_tick_seconds=0.05,
        mail_retry_seconds=0.1,
    ) as application:
        yield application


@pytest.fixture
async def mailing(mailing_app: Starlette) -> AsyncIterator[Api]:
    async with api_on(mailing_app) as client:
        yield client
