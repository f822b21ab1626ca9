"""Generated documents, valid and invalid, thrown at the production app in-process.

hypothesis-graphql writes queries and mutations from the schema itself, so every field added
later is fuzzed too. Whatever comes in: never a 5xx, never an internal error, never a trace
of the server's code in an answer, and the ledger still whole afterwards.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings, strategies
from hypothesis_graphql import Mode, from_schema

from indigo.app import create_app
from indigo.settings import Settings
from models import Database
from resolvers.audit import audit
from schema import build_schema

DOCUMENTS_PER_DATABASE = 700
# Logout would sign the fuzzing member out half-way; it takes no input to fuzz anyway.
SDL = build_schema().as_str()
ROOTS = graphql.build_schema(SDL)
FIELDS = [
    name
    for root in (ROOTS.query_type, ROOTS.mutation_type)
    if root is not None
    for name in root.fields
    if name != "logout"
]
DOCUMENTS = strategies.one_of(
    from_schema(SDL, fields=FIELDS), from_schema(SDL, fields=FIELDS, mode=Mode.NEGATIVE)
)
# What a Python traceback looks like, should one reach an answer.
SERVER_CODE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def fuzz(settings_: Settings) -> list[str]:
    """Fuzz the app built from `settings_`; the problems found, or none."""
    problems: list[str] = []
    with asyncio.Runner() as runner:
        app = create_app(settings_)
        lifespan = app.router.lifespan_context(app)
        runner.run(lifespan.__aenter__())
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        token = runner.run(sign_up(http))

        @given(document=DOCUMENTS, signed_in=strategies.booleans())
        @settings(
            max_examples=DOCUMENTS_PER_DATABASE,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        def answer(document: str, signed_in: bool) -> None:
            headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
            response = runner.run(http.post("/graphql", json={"query": document}, headers=headers))
            problems.extend(f"{problem}: {document}" for problem in check(response))

        try:
            answer()
        finally:
            runner.run(http.aclose())
            runner.run(lifespan.__aexit__(None, None, None))
        problems.extend(runner.run(ledger_violations(settings_.database_url)))
    return problems


async def sign_up(http: httpx.AsyncClient) -> str:
    response = await http.post(
        "/graphql",
        json={
            "query": 'mutation { register(input: {email: "fuzz@example.org", '
            'password: "correct horse battery", displayName: "Fuzz"}) { token } }'
        },
    )
    token: str = response.json()["data"]["register"]["token"]
    return token


def check(response: httpx.Response) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    if SERVER_CODE.search(response.text.replace('\\"', '"')):  # JSON escapes the quotes
        problems.append(f"server code in {response.text[:200]}")
    body: Any = response.json() if response.status_code == 200 else {}
    for error in body.get("errors") or []:
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            problems.append(f"internal error {error['extensions'].get('errorId')}")
    return problems


async def ledger_violations(database_url: str) -> list[str]:
    database = Database(database_url)
    try:
        async with database.read() as session:
            return await audit(session)
    finally:
        await database.dispose()


def test_generated_documents_never_break_the_production_app(database_url: str) -> None:
    production = Settings(
        database_url=database_url,
        broadcast_url="memory://",
        production=True,
        mutations_per_minute=1_000_000,
        _env_file=None,
    )

    assert fuzz(production) == []
