"""Settings: read from the environment, and a wrong one stops start-up with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from indigo.settings import Settings, describe


def test_defaults_are_the_embedded_single_process_setup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("INDIGO_"):
            monkeypatch.delenv(name)

    settings = Settings(_env_file=None)

    assert settings.database_url == "sqlite+aiosqlite:///./indigo.db"
    assert settings.broadcast_url == "memory://"
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.economy.welcome_digos == 20
    assert settings.graphiql_enabled
    assert settings.introspection_enabled


def test_production_turns_graphiql_and_introspection_off_unless_asked() -> None:
    assert not Settings(_env_file=None, production=True).graphiql_enabled
    assert Settings(_env_file=None, production=True, introspection=True).introspection_enabled


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"database_url": "mysql://localhost/indigo"}, "INDIGO_DATABASE_URL: must start with"),
        ({"broadcast_url": "kafka://x"}, "INDIGO_BROADCAST_URL: must be memory://"),
        ({"welcome_digos": -1}, "INDIGO_WELCOME_DIGOS: Input should be greater than or equal"),
        ({"max_discount_percent": 101}, "INDIGO_MAX_DISCOUNT_PERCENT: Input should be less"),
        ({"workers": 4}, "INDIGO_WORKERS above 1 needs PostgreSQL"),
        ({"broadcast_prefix": "two words"}, "INDIGO_BROADCAST_PREFIX: String should match"),
    ],
)
def test_wrong_settings_are_named(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **values)  # type: ignore[arg-type]

    assert message in describe(refused.value)


def test_a_wrong_setting_stops_the_command_with_one_line() -> None:
    environment = os.environ | {"INDIGO_MAX_PRICE": "-5"}

    run = subprocess.run(
        [sys.executable, "-m", "indigo", "audit"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "indigo: invalid settings: INDIGO_MAX_PRICE: Input should be greater than or equal to 0"
    ]


def test_the_channel_prefix_names_the_database_and_where_it_is() -> None:
    def prefix(url: str, **more: str) -> str:
        return Settings(_env_file=None, database_url=url, **more).channel_prefix  # type: ignore[arg-type]

    here = prefix("postgresql+asyncpg://db.example:5432/indigo")
    elsewhere = prefix("postgresql+asyncpg://other.example:5432/indigo")

    assert here.startswith("indigo-")
    assert elsewhere.startswith("indigo-")
    assert here != elsewhere
    assert prefix("sqlite+aiosqlite:////srv/a/indigo.db").startswith("indigo-")
    assert prefix("sqlite+aiosqlite:////srv/a/indigo.db") != prefix(
        "sqlite+aiosqlite:////srv/b/indigo.db"
    )
    assert prefix("sqlite+aiosqlite:///x.db", broadcast_prefix="staging") == "staging"
