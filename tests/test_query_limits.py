"""Abusive documents are refused before anything runs: for each limit, the document at the
limit passes and one step over is refused with one error naming the limit."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, get_introspection_query, parse
from sqlalchemy import func, select

from indigo.settings import Settings
from models import Database, Member
from tests.api import CLIENT_DOCUMENTS, Api, error_codes
from tests.variants import api_with

LIMIT = "QUERY_LIMIT_EXCEEDED"


def refusal(message: str) -> dict[str, Any]:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": LIMIT}}]}


async def member_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def test_a_document_of_15000_characters_runs_and_one_more_is_refused(api: Api) -> None:
    query = "{ __typename }"
    at_limit = query + " " * (15000 - len(query))

    passed = await api.post(at_limit)
    refused = await api.post(at_limit + " ")

    assert passed == {"data": {"__typename": "Query"}}
    assert refused == refusal("the document has 15001 characters; at most 15000 are allowed")


async def test_a_document_of_the_token_limit_runs_and_one_more_token_is_refused(
    api: Api, settings: Settings
) -> None:
    alice = await api.register()

    def ids(count: int) -> str:  # `{ me {` and `} }` are 5 tokens, each `id` one more
        return "{ me {" + " id" * count + " } }"

    async with api_with(settings, max_query_tokens=40) as limited:
        passed = await limited.post(ids(35), token=alice.token)
        refused = await limited.post(ids(36), token=alice.token)

    assert passed == {"data": {"me": {"id": alice.id}}}
    assert refused["data"] is None
    assert [e["message"] for e in refused["errors"]] == [
        "Syntax Error: Document contains more than 40 tokens. Parsing aborted."
    ]


def test_the_default_limits_are_close_to_graphql_armors() -> None:
    limits = Settings(_env_file=None).query_limits

    assert (limits.max_depth, limits.max_aliases, limits.max_tokens, limits.max_characters) == (
        10,
        15,
        2000,
        15000,
    )
    assert limits.max_cost == 5000


async def test_a_query_as_deep_as_the_limit_runs_and_one_level_more_is_refused(
    api: Api, settings: Settings
) -> None:
    alice = await api.register()

    async with api_with(settings, max_query_depth=3) as limited:
        passed = await limited.post("{ me { wallet { digos } } }", token=alice.token)
        refused = await limited.post(
            "{ myExchanges { edges { node { id } } } }", token=alice.token
        )

    assert passed == {"data": {"me": {"wallet": {"digos": 20}}}}
    assert refused == refusal("the query is 4 levels deep; at most 3")


async def test_depth_counts_through_fragments(settings: Settings, database: Database) -> None:
    query = """
        query { myExchanges { ...Edges } }
        fragment Edges on ExchangeConnection { edges { ... on ExchangeEdge { node { id } } } }
    """
    async with api_with(settings, max_query_depth=3) as api:
        refused = await api.post(query)

    assert refused == refusal("the query is 4 levels deep; at most 3")


async def test_the_default_depth_is_10(api: Api) -> None:
    too_deep = "{" + " me {" * 10 + " id" + " }" * 10 + " }"

    result = await api.post(too_deep)

    assert result["data"] is None
    depth_refusal = refusal("the query is 11 levels deep; at most 10")["errors"][0]
    assert depth_refusal in result["errors"]


async def test_15_aliases_run_and_16_are_refused(api: Api) -> None:
    def aliases(count: int) -> str:
        return "{" + " ".join(f"a{i}: __typename" for i in range(count)) + "}"

    passed = await api.post(aliases(15))
    refused = await api.post(aliases(16))

    assert passed == {"data": {f"a{i}": "Query" for i in range(15)}}
    assert refused == refusal("the document has 16 aliases; at most 15")


async def test_a_refused_mutation_runs_nothing(api: Api, database: Database) -> None:
    registrations = " ".join(
        f'r{i}: register(input: {{email: "m{i}@example.org", password: "correct horse battery",'
        f' displayName: "M{i}"}}) {{ token }}'
        for i in range(16)
    )

    refused = await api.post(f"mutation {{ {registrations} }}")

    assert refused == refusal("the document has 16 aliases; at most 15")
    assert await member_count(database) == 0


EXCHANGE_CURSORS = "query($first: Int) { myExchanges(first: $first) { edges { cursor } } }"


@pytest.mark.parametrize(
    ("first", "cost"),
    [(10, 21), (11, 23), (None, 41)],  # 1 + first * (edges + cursor); 20 when first is not given
)
async def test_cost_counts_each_field_once_per_item_of_the_page(
    api: Api, settings: Settings, first: int | None, cost: int
) -> None:
    alice = await api.register()

    async with api_with(settings, max_query_cost=21) as limited:
        result = await limited.post(EXCHANGE_CURSORS, {"first": first}, token=alice.token)

    if cost <= 21:
        assert result == {"data": {"myExchanges": {"edges": []}}}
    else:
        assert result == refusal(
            f"the query costs {cost}; at most 21 (each field counts once per item of the "
            "`first` above it)"
        )


async def test_a_variable_left_out_weighs_its_declared_default(
    api: Api, settings: Settings
) -> None:
    alice = await api.register()
    defaulted = "query($first: Int = 11) { myExchanges(first: $first) { edges { cursor } } }"

    async with api_with(settings, max_query_cost=21) as limited:
        refused = await limited.post(defaulted, {}, token=alice.token)

    assert refused == refusal(
        "the query costs 23; at most 21 (each field counts once per item of the `first` above it)"
    )


async def test_a_literal_first_weighs_as_much_as_a_variable(
    settings: Settings, database: Database
) -> None:
    async with api_with(settings, max_query_cost=21) as api:
        refused = await api.post("{ myExchanges(first: 11) { edges { cursor } } }")

    assert error_codes(refused) == [LIMIT]


async def test_batches_are_refused_and_run_nothing(api: Api, database: Database) -> None:
    register = CLIENT_DOCUMENTS["Register"]
    operation = {
        "query": register,
        "operationName": "Register",
        "variables": {
            "input": {
                "email": "batch@example.org",
                "password": "correct horse battery",
                "displayName": "Batch",
            }
        },
    }

    response = await api.http.post("/graphql", json=[operation, operation])

    assert (response.status_code, response.text) == (400, "Batching is not enabled")
    assert await member_count(database) == 0


async def test_graphiql_introspection_fits_the_limits(api: Api) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    result = await api.post(query)

    assert "errors" not in result
    assert result["data"]["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


async def test_the_clients_documents_fit_the_limits_with_pages_of_100(api: Api) -> None:
    for name, document in CLIENT_DOCUMENTS.items():
        operation = next(
            d
            for d in parse(document).definitions
            if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
        )
        if operation.operation is OperationType.SUBSCRIPTION:
            continue
        result = await api.post(document, {"first": 100}, operation=name)
        assert LIMIT not in error_codes(result), (name, result)
