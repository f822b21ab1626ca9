"""The ecosystem's own JavaScript tools, under node, against a real uvicorn: graphql-http's
GraphQL-over-HTTP audit, the graphql-ws client that GraphiQL, Apollo and urql use, Apollo
Client's persisted-query link, and urql's GET queries.

Their exact versions are pinned in tests/js_clients/package-lock.json; `npm ci` installs them
there on the first run (Debian's `nodejs` and `npm` packages provide node and npm).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from indigo.settings import Settings
from models import Database
from tests.api import CLIENT_DOCUMENTS
from tests.conftest import IN_CI
from tests.live import served, ws_url

CLIENTS = Path(__file__).resolve().parent / "js_clients"
NODE_SECONDS = 60


@pytest.fixture(scope="session")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if IN_CI:
            pytest.fail("node and npm are not installed: CI must run this test")
        pytest.skip("node and npm are not installed (Debian: apt-get install nodejs npm)")
    installed = CLIENTS / "node_modules" / ".package-lock.json"
    lock = CLIENTS / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=CLIENTS,
            check=True,
            timeout=300,
        )
    return node


async def run_node(node: str, script: str, *arguments: str) -> list[dict[str, Any]]:
    """The JSON lines a script prints; it must exit with 0."""
    process = await asyncio.create_subprocess_exec(
        node,
        script,
        *arguments,
        cwd=CLIENTS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(NODE_SECONDS):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_the_graphql_over_http_audit_passes_every_must_should_and_may(
    node: str, settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        results = await run_node(node, "audit.mjs", f"{server.url}/graphql")

    assert [r for r in results if r["status"] != "ok"] == []
    levels = Counter(r["name"].split()[0] for r in results)
    assert levels == {"MUST": 13, "SHOULD": 20, "MAY": 27}  # graphql-http 1.22.4's audits


async def test_the_graphql_ws_client_is_told_at_once_that_a_token_signs_no_one_in(
    node: str, settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        alice = await server.api.register()
        await server.api.data("Logout", token=alice.token)
        [result] = await run_node(
            node,
            "graphql_ws_client.mjs",
            ws_url(server.url),
            f"Bearer {alice.token}",
            "subscription { walletUpdated { digos } }",
        )

    assert result["outcome"] == "error"
    assert result["payload"] == [
        {
            "message": "The sign-in token is invalid or has expired: sign in again",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
    assert result["ms"] < 1000
    assert result["connections"] == 1  # told, not retried


async def test_the_graphql_ws_client_runs_with_a_good_token(
    node: str, settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        alice = await server.api.register()
        [result] = await run_node(
            node,
            "graphql_ws_client.mjs",
            ws_url(server.url),
            f"Bearer {alice.token}",
            "{ me { id } }",
        )

    assert result["outcome"] == "data"
    assert result["payload"] == [{"data": {"me": {"id": alice.id}}}]
    assert result["connections"] == 1


async def test_apollo_clients_persisted_query_link_registers_then_sends_the_hash_alone(
    node: str, settings: Settings, database: Database
) -> None:
    document = CLIENT_DOCUMENTS["Categories"]
    async with served(settings) as server:
        url = f"{server.url}/graphql"
        [first] = await run_node(node, "apollo_persisted_queries.mjs", url, document)
        [second] = await run_node(node, "apollo_persisted_queries.mjs", url, document)

    [sha256] = {request["sha256Hash"] for request in first["requests"] + second["requests"]}
    assert first["requests"] == [
        {"document": False, "sha256Hash": sha256, "status": 200},  # PersistedQueryNotFound
        {"document": True, "sha256Hash": sha256, "status": 200},
    ]
    assert second["requests"] == [{"document": False, "sha256Hash": sha256, "status": 200}]
    assert first["data"] == second["data"]
    assert first["data"]["categories"][0] == {
        "__typename": "Category",
        "slug": "lessons",
        "label": "Lessons and tutoring",
    }


async def test_urqls_get_queries_need_no_preflight_header(
    node: str, settings: Settings, database: Database
) -> None:
    async with served(settings) as server:
        [result] = await run_node(
            node, "urql_query.mjs", f"{server.url}/graphql", CLIENT_DOCUMENTS["Categories"]
        )

    assert result["requests"] == [{"method": "GET", "status": 200}]
    assert result["error"] is None
    assert result["data"]["categories"][0]["slug"] == "lessons"
