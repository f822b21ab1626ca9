"""CSRF over HTTP, as Apollo Server refuses it: a POST a browser would send cross-site
without a preflight may not carry an operation. A GET may: it carries no credential and
never runs a mutation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from indigo.csrf import REFUSAL
from models import Database, Member
from tests.api import CLIENT_DOCUMENTS, Api

REFUSED = {"errors": [{"message": REFUSAL, "extensions": {"code": "BAD_REQUEST"}}]}
REGISTER = json.dumps(
    {
        "query": CLIENT_DOCUMENTS["Register"],
        "operationName": "Register",
        "variables": {
            "input": {
                "email": "csrf@example.org",
                "password": "correct horse battery",
                "displayName": "Mallory's victim",
            }
        },
    }
)


async def member_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
async def test_a_post_a_browser_sends_without_preflight_is_refused(
    api: Api, database: Database, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = await api.http.post("/graphql", content=REGISTER, headers=headers)

    assert response.status_code == 400
    assert response.json() == REFUSED
    assert await member_count(database) == 0


async def test_a_json_post_needs_no_header(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        content='{"query": "{ __typename }"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


async def test_a_get_query_needs_no_preflight_header(api: Api) -> None:
    # urql sends queries as GET by default: no credential rides along, so nothing to forge.
    response = await api.http.get("/graphql", params={"query": "{ __typename }"})

    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


async def test_an_empty_preflight_header_does_not_count(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        content=REGISTER,
        headers={
            "Content-Type": "text/plain",
            "Apollo-Require-Preflight": " ",
            "X-Apollo-Operation-Name": "",
        },
    )

    assert (response.status_code, response.json()) == (400, REFUSED)


async def test_a_mutation_is_never_run_by_a_get(api: Api) -> None:
    alice = await api.register()

    response = await api.http.get(
        "/graphql",
        params={"query": "mutation { logout { ok } }"},
        headers={"Authorization": f"Bearer {alice.token}"},
    )

    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.json() == {
        "data": None,
        "errors": [{"message": "mutations are not allowed when using GET"}],
    }
    assert (await api.data("Me", token=alice.token))["me"]["id"] == alice.id


async def test_graphiql_needs_no_preflight(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
