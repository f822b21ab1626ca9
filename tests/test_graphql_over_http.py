"""GraphQL over HTTP as its spec says, SHOULDs included: the media type the client accepts,
400 with no `data` for a request that runs nothing, one operation or an error, and cache
headers where a shared cache may keep the answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from indigo.http_semantics import preferred_media_type
from indigo.settings import Settings
from models import Database
from tests.api import CLIENT_DOCUMENTS, Api
from tests.live import served, ws_url

GRAPHQL_RESPONSE = "application/graphql-response+json"
UNKNOWN_FIELD = "{ qqq }"
UNPARSABLE = "{"
UNCOERCIBLE = (
    "query Q($n: Int!) { nearby(near: {latitude: 1, longitude: 1}, radiusKm: 1, first: $n) "
    "{ pageInfo { hasNextPage } } }",
    {"n": None},
)


async def post(api: Api, accept: str | None, query: str, variables: Any = None) -> Any:
    headers = {"Accept": accept} if accept else {}
    return await api.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        # Apollo Client's and graphql-http's own Accept.
        (f"{GRAPHQL_RESPONSE},application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
    ],
)
async def test_the_answer_has_the_media_type_the_client_prefers(
    api: Api, accept: str | None, media_type: str
) -> None:
    response = await post(api, accept, "{ __typename }")

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_malformed_weight_counts_as_not_accepted() -> None:
    assert preferred_media_type(f"{GRAPHQL_RESPONSE};q=high") == "application/json"


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (UNPARSABLE, None, "Syntax Error: Expected Name, found <EOF>."),
        (UNKNOWN_FIELD, None, "Cannot query field 'qqq' on type 'Query'."),
        (
            *UNCOERCIBLE,
            "Variable '$n' has invalid value: Expected value of non-null type 'Int!' not to be "
            "None.",
        ),
    ],
)
async def test_a_request_that_runs_nothing_is_a_400_without_data(
    api: Api, query: str, variables: Any, message: str
) -> None:
    response = await post(api, GRAPHQL_RESPONSE, query, variables)

    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = response.json()
    assert "data" not in body
    assert [error["message"] for error in body["errors"]] == [message]


@pytest.mark.parametrize(
    ("query", "variables"), [(UNPARSABLE, None), (UNKNOWN_FIELD, None), UNCOERCIBLE]
)
async def test_a_json_client_gets_its_request_errors_with_a_200(
    api: Api, query: str, variables: Any
) -> None:
    response = await post(api, "application/json", query, variables)

    assert response.status_code == 200
    assert response.json()["data"] is None
    assert len(response.json()["errors"]) == 1


async def test_a_field_error_is_a_200_with_its_data(api: Api) -> None:
    response = await post(api, GRAPHQL_RESPONSE, "{ me { id } }")

    assert response.status_code == 200
    assert response.json()["data"] == {"me": None}
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_two_operations_and_no_name_is_an_error(api: Api, database: object) -> None:
    document = CLIENT_DOCUMENTS["Categories"] + "\n" + CLIENT_DOCUMENTS["Register"]

    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
        response = await post(api, accept, document)
        assert response.status_code == status
        assert response.json()["errors"] == [
            {
                "message": "The document has several operations: "
                "say which to run with operationName",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
        assert "data" not in response.json() or response.json()["data"] is None


async def test_two_operations_with_a_name_run_the_one_named(api: Api) -> None:
    document = "query A { __typename } query B { me { id } }"

    result = await api.post(document, operation="A")

    assert result == {"data": {"__typename": "Query"}}


async def test_a_get_of_categories_may_be_kept_by_a_shared_cache(api: Api) -> None:
    response = await api.http.get(
        "/graphql",
        params={"query": CLIENT_DOCUMENTS["Categories"], "operationName": "Categories"},
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["vary"] == "Accept, Accept-Language"
    assert len(response.json()["data"]["categories"]) > 0


@pytest.mark.parametrize(
    ("method", "query"),
    [
        ("GET", "{ me { id } }"),  # for the member alone
        ("GET", "{ categories { slug } me { id } }"),
        ("GET", "{ categories { nope } }"),  # an error
        ("POST", "{ categories { slug } }"),  # caches keep GETs only
    ],
)
async def test_nothing_else_is_marked_cacheable(api: Api, method: str, query: str) -> None:
    if method == "GET":
        response = await api.http.get("/graphql", params={"query": query})
    else:
        response = await api.http.post("/graphql", json={"query": query})

    assert "cache-control" not in response.headers


async def test_two_operations_and_no_name_are_an_error_on_the_socket_too(
    settings: Settings, database: Database
) -> None:
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": "query A { __typename } query B { __typename }"},
    }

    async with (
        served(settings) as server,
        connect(ws_url(server.url), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket,
    ):
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        await socket.send(json.dumps(subscribe))
        refusal = json.loads(await socket.recv())

    assert refusal == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "The document has several operations: "
                "say which to run with operationName",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
