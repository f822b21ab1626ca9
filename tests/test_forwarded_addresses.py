"""Behind a proxy, the client address (rate limits per address) comes from X-Forwarded-For,
but only when the proxy is one INDIGO_FORWARDED_ALLOW_IPS names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from indigo.settings import Settings
from models import Database
from tests.api import CLIENT_DOCUMENTS, Api
from tests.variants import api_with

LIMIT = 2
# httpx's ASGI transport connects from this address.
PROXY = "127.0.0.1"


pytestmark = pytest.mark.usefixtures("fresh_rate_window")


async def register_from(api: Api, client: str, number: int) -> list[dict[str, Any]]:
    body = {
        "query": CLIENT_DOCUMENTS["Register"],
        "operationName": "Register",
        "variables": {
            "input": {
                "email": f"{client}-{number}@example.org".replace(":", "-"),
                "password": "correct horse battery",
                "displayName": "Camille",
            }
        },
    }
    response = await api.http.post("/graphql", json=body, headers={"X-Forwarded-For": client})
    errors: list[dict[str, Any]] = response.json()["data"]["register"]["userErrors"]
    return errors


async def codes_from(api: Api, client: str, count: int) -> list[str | None]:
    outcomes = []
    for number in range(count):
        errors = await register_from(api, client, number)
        outcomes.append(errors[0]["code"] if errors else None)
    return outcomes


@pytest.fixture
async def behind_proxy(settings: Settings, database: Database) -> AsyncIterator[Api]:
    async with api_with(
        settings, mutations_per_minute=LIMIT, forwarded_allow_ips=(f"{PROXY}/32",)
    ) as api:
        yield api


@pytest.fixture
async def exposed(settings: Settings, database: Database) -> AsyncIterator[Api]:
    async with api_with(settings, mutations_per_minute=LIMIT) as api:
        yield api


async def test_a_trusted_proxy_names_the_client_of_each_request(behind_proxy: Api) -> None:
    first = await codes_from(behind_proxy, "203.0.113.7", LIMIT + 1)
    second = await codes_from(behind_proxy, "198.51.100.4", LIMIT)

    assert first == [None] * LIMIT + ["RATE_LIMITED"]
    assert second == [None] * LIMIT


async def test_without_trusted_proxies_the_header_is_ignored(exposed: Api) -> None:
    first = await codes_from(exposed, "203.0.113.7", LIMIT)
    second = await codes_from(exposed, "198.51.100.4", 1)

    assert first == [None] * LIMIT
    assert second == ["RATE_LIMITED"]


async def test_a_proxy_not_listed_is_not_trusted(settings: Settings, database: Database) -> None:
    async with api_with(
        settings, mutations_per_minute=LIMIT, forwarded_allow_ips=("10.0.0.1",)
    ) as api:
        first = await codes_from(api, "203.0.113.7", LIMIT)
        second = await codes_from(api, "198.51.100.4", 1)

    assert first == [None] * LIMIT
    assert second == ["RATE_LIMITED"]


def test_the_setting_names_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDIGO_FORWARDED_ALLOW_IPS", "10.0.0.1, 192.168.0.0/16,::1")
    assert Settings(_env_file=None).forwarded_allow_ips == ("10.0.0.1", "192.168.0.0/16", "::1")

    monkeypatch.setenv("INDIGO_FORWARDED_ALLOW_IPS", "*")
    with pytest.raises(ValidationError, match="'\\*' is not an IP address or network"):
        Settings(_env_file=None)
