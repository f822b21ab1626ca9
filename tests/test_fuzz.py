"""Generated documents, valid and invalid, thrown at the production app in-process.

hypothesis-graphql writes queries and mutations from the schema itself, so every field added
later is fuzzed too; the front-end's own operations get generated variables as well. Whatever
comes in: never a 5xx, never an internal error, never a trace of the server's code in an
answer, and the ledger still whole afterwards.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, cast

import graphql
import httpx
from hypothesis import HealthCheck, given, settings, strategies
from hypothesis.strategies import SearchStrategy
from hypothesis_graphql import Mode, from_schema

from indigo.app import create_app
from indigo.settings import Settings
from models import Database
from resolvers.audit import audit
from schema import build_schema
from schema.ids import encode_id
from tests.api import CLIENT_DOCUMENTS, Api

# Per database: enough to reach every field several ways, few enough to stay quick.
GENERATED_DOCUMENTS = 900
CLIENT_OPERATIONS_SENT = 600
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
Body = dict[str, Any]

# Any JSON value at all.
JSON: SearchStrategy[Any] = strategies.recursive(
    strategies.none()
    | strategies.booleans()
    | strategies.integers()
    | strategies.floats(allow_nan=False, allow_infinity=False)
    | strategies.text(),
    lambda inner: (
        strategies.lists(inner, max_size=3)
        | strategies.dictionaries(strategies.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# IDs of rows that may well exist, so that generated input reaches the business rules.
KINDS = strategies.sampled_from(["Member", "Listing", "Exchange"])
IDS = strategies.builds(encode_id, KINDS, strategies.integers(1, 4))
FINITE = strategies.floats(allow_nan=False, allow_infinity=False)
SCALARS: dict[str, SearchStrategy[Any]] = {
    "Int": strategies.integers(-5, 120) | strategies.integers(-(2**33), 2**33),
    "Float": strategies.floats(-200, 200) | FINITE,
    "String": strategies.text(max_size=60),
    "ID": IDS | strategies.text(max_size=20),
    "Boolean": strategies.booleans(),
}


def shaped_like(type_: graphql.GraphQLInputType) -> SearchStrategy[Any]:
    """Values of the right shape for `type_`, with anything inside them."""
    if isinstance(type_, graphql.GraphQLNonNull):
        return shaped_like_non_null(type_.of_type)
    return strategies.none() | shaped_like_non_null(type_)


def shaped_like_non_null(type_: graphql.GraphQLInputType) -> SearchStrategy[Any]:
    if isinstance(type_, graphql.GraphQLList):
        return strategies.lists(shaped_like(type_.of_type), max_size=4)
    if isinstance(type_, graphql.GraphQLInputObjectType):
        return fields_of({name: field.type for name, field in type_.fields.items()})
    if isinstance(type_, graphql.GraphQLEnumType):
        return strategies.sampled_from(list(type_.values))
    assert isinstance(type_, graphql.GraphQLScalarType)
    return SCALARS.get(type_.name, strategies.text(max_size=40))


def fields_of(
    types: dict[str, graphql.GraphQLInputType], *, junk: bool = False
) -> SearchStrategy[dict[str, Any]]:
    """Required fields always there, optional ones now and then; with `junk`, now and then
    a value of any shape, which input coercion must refuse."""
    values = {
        name: shaped_like(t) | shaped_like(t) | shaped_like(t) | JSON if junk else shaped_like(t)
        for name, t in types.items()
    }
    required = {n: v for n, v in values.items() if isinstance(types[n], graphql.GraphQLNonNull)}
    optional = {n: v for n, v in values.items() if n not in required}
    return strategies.fixed_dictionaries(required, optional=optional)


def client_operations() -> SearchStrategy[Body]:
    """The front-end's queries and mutations, with variables mostly of the right shape."""
    bodies = []
    for name, document in CLIENT_DOCUMENTS.items():
        operation = next(
            d
            for d in graphql.parse(document).definitions
            if isinstance(d, graphql.OperationDefinitionNode) and d.name and d.name.value == name
        )
        if operation.operation is graphql.OperationType.SUBSCRIPTION or name == "Logout":
            continue
        if graphql.validate(ROOTS, graphql.parse(document)):
            continue  # not built yet: tests/test_schema.py reports it
        variables = {
            v.variable.name.value: cast(
                graphql.GraphQLInputType, graphql.type_from_ast(ROOTS, v.type)
            )
            for v in operation.variable_definitions or ()
        }
        bodies.append(
            strategies.fixed_dictionaries(
                {
                    "query": strategies.just(document),
                    "operationName": strategies.just(name),
                    "variables": fields_of(variables, junk=True),
                }
            )
        )
    return strategies.one_of(bodies)


CLIENT_OPERATIONS = client_operations()
SERVER_CODE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def fuzz(settings_: Settings, requests: SearchStrategy[Body], count: int) -> list[str]:
    """Send `count` request bodies to the app built from `settings_`: the problems found."""
    problems: list[str] = []
    with asyncio.Runner() as runner:
        app = create_app(settings_)
        lifespan = app.router.lifespan_context(app)
        runner.run(lifespan.__aenter__())
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        token = runner.run(Api(http).register()).token

        @given(body=requests, signed_in=strategies.booleans())
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        def answer(body: Body, signed_in: bool) -> None:
            headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
            response = runner.run(http.post("/graphql", json=body, headers=headers))
            problems.extend(f"{problem}: {body}" for problem in check(response))

        try:
            answer()
        finally:
            runner.run(http.aclose())
            runner.run(lifespan.__aexit__(None, None, None))
        problems.extend(runner.run(ledger_violations(settings_.database_url)))
    return problems


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


def production(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        broadcast_url="memory://",
        production=True,
        mutations_per_minute=1_000_000,
        _env_file=None,
    )


def test_generated_documents_never_break_the_production_app(database_url: str) -> None:
    documents = DOCUMENTS.map(lambda document: {"query": document})

    assert fuzz(production(database_url), documents, GENERATED_DOCUMENTS) == []


def test_the_clients_operations_with_generated_variables(database_url: str) -> None:
    assert fuzz(production(database_url), CLIENT_OPERATIONS, CLIENT_OPERATIONS_SENT) == []
