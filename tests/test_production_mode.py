"""Production mode: internal errors masked (with an id the log carries too), the API's own
refusals still said plainly, no field suggestions, introspection and GraphiQL off unless
the settings turn them on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from indigo.settings import Settings
from models import Database
from tests.api import Api, error_codes
from tests.variants import api_with

A_MEMBER_ID = "TWVtYmVyOjE="  # Member:1
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.fixture
async def production(settings: Settings, database: Database) -> AsyncIterator[Api]:
    async with api_with(settings, production=True) as api:
        yield api


@pytest.fixture
def no_database(unopenable_database_url: str) -> Settings:
    """A production process whose database cannot be opened: every read fails inside."""
    return Settings(_env_file=None, database_url=unopenable_database_url, production=True)


async def test_an_internal_error_is_masked_and_logged_with_its_id(
    no_database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with api_with(no_database) as api:
        with caplog.at_level(logging.ERROR, logger="indigo.errors"):
            result = await api.post(f'{{ member(id: "{A_MEMBER_ID}") {{ id }} }}')

    [error] = result["errors"]
    error_id = error["extensions"]["errorId"]
    assert result["data"] == {"member": None}
    assert error == {
        "message": f"internal error: quote id {error_id} to report it",
        "locations": [{"line": 1, "column": 3}],
        "path": ["member"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }
    [record] = [r for r in caplog.records if r.name == "indigo.errors"]
    assert record.getMessage() == f"internal error {error_id}"
    assert record.exc_info is not None
    assert "unable to open database file" in str(record.exc_info[1])


async def test_outside_production_the_internal_error_is_shown(no_database: Settings) -> None:
    async with api_with(no_database, production=False) as api:
        result = await api.post(f'{{ member(id: "{A_MEMBER_ID}") {{ id }} }}')

    assert "unable to open database file" in result["errors"][0]["message"]
    assert "errorId" not in result["errors"][0].get("extensions", {})


async def test_the_apis_own_refusals_stay_visible(production: Api) -> None:
    alice = await production.register()
    bob = await production.register()
    private = "query($id: ID!) { member(id: $id) { email } }"

    unauthenticated = await production.client_op("Me")
    bad_input = await production.client_op("MemberCard", {"id": "not-an-id"})
    forbidden = await production.post(private, {"id": alice.id}, token=bob.token)

    assert [(e["message"], e["extensions"]) for e in unauthenticated["errors"]] == [
        ("sign in first: send Authorization: Bearer <token>", {"code": "UNAUTHENTICATED"})
    ]
    assert [(e["message"], e["extensions"]) for e in bad_input["errors"]] == [
        ("id: is not a Member ID", {"code": "BAD_USER_INPUT", "field": "id"})
    ]
    assert [(e["message"], e["extensions"]) for e in forbidden["errors"]] == [
        ("a member's email is visible to its owner alone", {"code": "FORBIDDEN"})
    ]


@pytest.mark.parametrize(
    ("query", "variables", "without_suggestion"),
    [
        ("{ me { emial } }", {}, "Cannot query field 'emial' on type 'Member'."),
        (
            "{ myExchanges(status: [REQUESTD]) { edges { cursor } } }",
            {},
            "Value 'REQUESTD' does not exist in 'ExchangeStatus' enum.",
        ),
        (
            "query($s: [ExchangeStatus!]) { myExchanges(status: $s) { edges { cursor } } }",
            {"s": ["REQUESTD"]},
            "Variable '$s' has invalid value at [0]: Value 'REQUESTD' does not exist in "
            "'ExchangeStatus' enum.",
        ),
    ],
)
async def test_suggestions_are_hidden_in_production(
    api: Api, production: Api, query: str, variables: dict[str, object], without_suggestion: str
) -> None:
    development = await api.post(query, variables)
    hidden = await production.post(query, variables)

    assert development["errors"][0]["message"].startswith(without_suggestion + " Did you mean ")
    assert [e["message"] for e in hidden["errors"]] == [without_suggestion]


async def test_argument_suggestions_are_hidden_in_production(production: Api) -> None:
    result = await production.post('{ member(idd: "x") { id } }')

    assert [e["message"] for e in result["errors"]] == [
        "Unknown argument 'idd' on field 'Query.member'.",
        "Argument 'Query.member(id:)' of type 'ID!' is required, but it was not provided.",
    ]


async def test_introspection_is_off_in_production(production: Api) -> None:
    result = await production.post(INTROSPECTION)

    assert result["data"] is None
    assert [e["message"] for e in result["errors"]] == [
        f"GraphQL introspection has been disabled, but the requested query contained the field"
        f" '{field}'."
        for field in ("__schema", "queryType")
    ]


async def test_introspection_can_be_turned_on_in_production(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, production=True, introspection=True) as api:
        result = await api.post(INTROSPECTION)

    assert result == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_graphiql_can_be_turned_on_in_production(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, production=True, graphiql=True) as api:
        response = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_introspection_can_be_turned_off_in_development(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, introspection=False) as api:
        result = await api.post(INTROSPECTION)

    assert error_codes(result) == [None, None]
    assert result["data"] is None
