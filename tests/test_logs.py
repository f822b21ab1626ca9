"""The log: one line per request with its operation, status, duration and id; no traceback
for a client's mistake; a traceback with an error id for what failed inside; JSON lines for
machines with INDIGO_LOG_FORMAT=json."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from indigo.logs import RequestLog
from indigo.settings import Settings
from models import Database
from tests.api import CLIENT_DOCUMENTS, Api
from tests.polling import until
from tests.redis_server import free_port
from tests.variants import api_with

NEARBY = {"near": {"latitude": 48.85661, "longitude": 2.35222}, "radiusKm": 5}
TOO_MANY_ALIASES = (
    "query Aliased { " + " ".join(f"a{i}: categories {{ slug }}" for i in range(20)) + " }"
)
A_MEMBER_ID = "TWVtYmVyOjE="  # Member:1
# What is logged does not depend on the database engine.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.fields for r in caplog.records if r.name == "indigo.requests"]  # type: ignore[attr-defined]


@SQLITE_ONLY
async def test_a_request_is_one_line_with_its_operation_status_duration_and_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"query": CLIENT_DOCUMENTS["Nearby"], "variables": NEARBY}
    with caplog.at_level(logging.INFO):
        given = await api.http.post("/graphql", json=body, headers={"X-Request-Id": "edge-42"})
        made = await api.http.post("/graphql", json=body)

    first, second = request_lines(caplog)
    assert given.headers["x-request-id"] == "edge-42"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert first.pop("duration_ms") >= 0
    assert first == {
        "method": "POST",
        "path": "/graphql",
        "operation": "Nearby",
        "outcome": "ok",
        "status": 200,
        "request_id": "edge-42",
    }
    assert second["request_id"] == made.headers["x-request-id"]
    assert [r.getMessage().split()[:5] for r in caplog.records if r.name == "indigo.requests"] == [
        ["POST", "/graphql", "Nearby", "ok", "200"]
    ] * 2


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("document", "outcome"),
    [
        ("query Mine { me { id } }", "UNAUTHENTICATED"),
        ('query Card { member(id: "not an id") { id } }', "BAD_USER_INPUT"),
        ("query Broken { me ", "GRAPHQL_PARSE_FAILED"),
        ("query Unknown { nothing }", "GRAPHQL_VALIDATION_FAILED"),
        (TOO_MANY_ALIASES, "QUERY_LIMIT_EXCEEDED"),
    ],
    ids=["unauthenticated", "bad-input", "syntax", "validation", "refused-document"],
)
async def test_a_clients_mistake_is_logged_without_a_traceback(
    api: Api, caplog: pytest.LogCaptureFixture, document: str, outcome: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await api.http.post("/graphql", json={"query": document})

    [line] = request_lines(caplog)
    assert line["outcome"] == outcome
    assert line["status"] == response.status_code
    assert [r.name for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


@SQLITE_ONLY
async def test_a_refusal_before_graphql_is_logged_with_its_status(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await api.http.post(
            "/graphql", content=b"{ me { id } }", headers={"Content-Type": "text/plain"}
        )

    [line] = request_lines(caplog)
    assert (
        (line["outcome"], line["status"])
        == ("HTTP_400", response.status_code)
        == (
            "HTTP_400",
            400,
        )
    )
    assert [r for r in caplog.records if r.exc_info] == []


async def test_an_internal_error_is_logged_with_its_traceback_and_an_id(
    unopenable_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, database_url=unopenable_database_url)
    async with api_with(settings) as api:
        with caplog.at_level(logging.INFO):
            response = await api.http.post(
                "/graphql", json={"query": f'{{ member(id: "{A_MEMBER_ID}") {{ id }} }}'}
            )

    [line] = request_lines(caplog)
    [error] = [r for r in caplog.records if r.name == "indigo.errors"]
    assert line["outcome"] == "INTERNAL_SERVER_ERROR"
    assert error.exc_info is not None
    assert "unable to open database file" in str(error.exc_info[1])
    fields: dict[str, str] = error.fields  # type: ignore[attr-defined]
    assert error.getMessage() == f"internal error {fields['error_id']}"
    assert fields["request_id"] == line["request_id"] == response.headers["x-request-id"]


async def test_an_exception_outside_graphql_is_a_500_with_its_error_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = Starlette(routes=[Route("/broken", broken)], middleware=[Middleware(RequestLog)])
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.INFO):
        async with httpx.AsyncClient(transport=transport, base_url="http://indigo.test") as http:
            response = await http.get("/broken")

    [error] = [r for r in caplog.records if r.name == "indigo.errors"]
    [line] = request_lines(caplog)
    error_id = error.fields["error_id"]  # type: ignore[attr-defined]
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "errorId": error_id,
    }
    assert error.exc_info is not None
    assert str(error.exc_info[1]) == "a bug"
    assert (line["status"], line["outcome"]) == (500, "INTERNAL_SERVER_ERROR")


@SQLITE_ONLY
async def test_json_logs_are_one_object_per_line(database_url: str, database: Database) -> None:
    port = free_port()
    environment = os.environ | {
        "INDIGO_DATABASE_URL": database_url,
        "INDIGO_PORT": str(port),
        "INDIGO_LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "indigo", "serve", env=environment, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def answers() -> bool:
                try:
                    return (await http.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(answers, within=30)
            await http.post("/graphql", json={"query": "query Mine { me { id } }"})
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)

    entries = [json.loads(line) for line in stderr.decode().splitlines()]
    requests = [e for e in entries if e["logger"] == "indigo.requests"]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert [(e["path"], e["operation"], e["outcome"], e["status"]) for e in requests][-1] == (
        "/graphql",
        "Mine",
        "UNAUTHENTICATED",
        200,
    )
    assert not any(e["logger"] == "uvicorn.access" for e in entries)
