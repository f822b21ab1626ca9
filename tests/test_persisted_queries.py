"""Automatic persisted queries as Apollo's PersistedQueryLink sends them, shared by every
process through the database; and the trusted-documents mode, which runs nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from indigo.cli import main
from indigo.settings import Settings
from indigo.trusted_documents import manifest, sha256_of
from models import Database, PersistedQuery
from tests.api import CLIENT_DOCUMENTS, CLIENTS, Api
from tests.live import PARIS, feed_variables, post_appeal, served, subscribed
from tests.variants import api_with

# What Apollo Client's HttpLink sends with every request.
APOLLO_HEADERS = {
    "accept": "application/graphql-response+json,application/json;q=0.9",
    "content-type": "application/json",
}
CATEGORIES = CLIENT_DOCUMENTS["Categories"]
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}
NOT_IN_LIST = {
    "errors": [
        {
            "message": "Only trusted documents are accepted here",
            "extensions": {"code": "PERSISTED_QUERY_NOT_IN_LIST"},
        }
    ]
}


def persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(document)}}


def hash_only(operation: str, document: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps(
        {
            "operationName": operation,
            "variables": variables or {},
            "extensions": persisted(document),
        }
    )


def hash_and_document(
    operation: str, document: str, variables: dict[str, Any] | None = None
) -> str:
    return json.dumps(
        {
            "operationName": operation,
            "variables": variables or {},
            "extensions": persisted(document),
            "query": document,
        }
    )


async def stored(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(PersistedQuery)) or 0


async def test_an_apq_round_as_apollo_sends_it(api: Api, database: Database) -> None:
    first = await api.http.post(
        "/graphql", content=hash_only("Categories", CATEGORIES), headers=APOLLO_HEADERS
    )
    # The link reads this error (a 200, so even older links do) and sends the document.
    assert (first.status_code, first.json()) == (200, NOT_FOUND)

    second = await api.http.post(
        "/graphql", content=hash_and_document("Categories", CATEGORIES), headers=APOLLO_HEADERS
    )
    third = await api.http.post(
        "/graphql", content=hash_only("Categories", CATEGORIES), headers=APOLLO_HEADERS
    )

    assert second.status_code == third.status_code == 200
    assert second.json() == third.json()
    assert third.json()["data"]["categories"][0]["slug"] == "lessons"
    assert await stored(database) == 1


async def test_hashed_gets_need_no_preflight(api: Api) -> None:
    # Apollo's `useGETForHashedQueries: true`, for CDNs: the same round over GET.
    params = {
        "operationName": "Categories",
        "variables": "{}",
        "extensions": json.dumps(persisted(CATEGORIES)),
    }
    accept = {"accept": APOLLO_HEADERS["accept"]}

    first = await api.http.get("/graphql", params=params, headers=accept)
    second = await api.http.get("/graphql", params={**params, "query": CATEGORIES}, headers=accept)
    third = await api.http.get("/graphql", params=params, headers=accept)

    assert (first.status_code, first.json()) == (200, NOT_FOUND)
    assert second.status_code == third.status_code == 200
    assert second.json() == third.json()
    assert third.headers["cache-control"] == "public, max-age=300"


async def test_every_process_knows_a_registered_hash(
    api: Api, settings: Settings, database: Database
) -> None:
    await api.http.post(
        "/graphql", content=hash_and_document("Categories", CATEGORIES), headers=APOLLO_HEADERS
    )

    async with api_with(settings) as other_process:
        answer = await other_process.http.post(
            "/graphql", content=hash_only("Categories", CATEGORIES), headers=APOLLO_HEADERS
        )

    assert answer.status_code == 200
    assert "categories" in answer.json()["data"]


async def test_a_document_that_is_not_its_hash_is_refused(api: Api, database: Database) -> None:
    body = json.loads(hash_and_document("Categories", CATEGORIES))
    body["query"] = "query Categories { __typename }"

    response = await api.http.post("/graphql", json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    assert await stored(database) == 0


async def test_a_document_that_does_not_validate_is_not_kept(api: Api, database: Database) -> None:
    document = "query Nope { nope }"

    refused = await api.http.post(
        "/graphql", content=hash_and_document("Nope", document), headers=APOLLO_HEADERS
    )

    assert refused.status_code == 400
    assert await stored(database) == 0


async def test_an_unknown_persisted_query_version_is_refused(api: Api) -> None:
    body = {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}

    response = await api.http.post("/graphql", json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unsupported persistedQuery extension"


@pytest.fixture
def trusted_manifest(tmp_path: Path) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps(manifest(CLIENTS)))
    return path


@pytest.fixture
async def trusted_api(settings: Settings, database: Database, trusted_manifest: Path) -> Any:
    async with api_with(settings, trusted_documents=trusted_manifest) as api:
        yield api


async def test_the_clients_operations_run_in_trusted_mode(trusted_api: Api) -> None:
    alice = await trusted_api.register()

    me = await trusted_api.data("Me", token=alice.token)
    by_hash = await trusted_api.http.post(
        "/graphql", content=hash_only("Categories", CATEGORIES), headers=APOLLO_HEADERS
    )

    assert me["me"]["id"] == alice.id
    assert by_hash.status_code == 200
    assert "categories" in by_hash.json()["data"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ __typename }"},
        {"query": CATEGORIES.replace("label", "label slug")},
        {"query": "{ __schema { types { name } } }"},
        json.loads(hash_only("Mine", "query Mine { me { email } }")),
        json.loads(hash_and_document("Mine", "query Mine { me { email } }")),
    ],
)
async def test_a_document_outside_the_manifest_is_refused(
    trusted_api: Api, database: Database, body: dict[str, Any]
) -> None:
    response = await trusted_api.http.post("/graphql", json=body, headers=APOLLO_HEADERS)

    assert (response.status_code, response.json()) == (400, NOT_IN_LIST)
    assert await stored(database) == 0


async def test_the_manifest_command_prints_every_client_operation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CLIENTS.parent.parent)

    assert main(["manifest"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed == manifest(CLIENTS)
    assert printed["format"] == "apollo-persisted-query-manifest"
    operations = {entry["name"]: entry for entry in printed["operations"]}
    assert set(operations) == set(CLIENT_DOCUMENTS)
    for name, entry in operations.items():
        assert entry["body"] == CLIENT_DOCUMENTS[name]
        assert entry["id"] == sha256_of(CLIENT_DOCUMENTS[name])


def test_a_manifest_whose_ids_are_not_the_hashes_stops_start_up(
    trusted_manifest: Path, database_url: str
) -> None:
    content = json.loads(trusted_manifest.read_text())
    content["operations"][0]["body"] = "query Mine { me { email } }"
    trusted_manifest.write_text(json.dumps(content))

    with pytest.raises(ValueError, match="an operation's id is not the sha256 of its body"):
        Settings(database_url=database_url, trusted_documents=trusted_manifest, _env_file=None)


async def test_on_the_socket_too_only_trusted_documents_run(
    settings: Settings, database: Database, trusted_manifest: Path
) -> None:
    outside = "subscription { appealCreated(near: {latitude: 1, longitude: 1}, radiusKm: 5) "
    outside += "{ cursor } }"
    async with (
        served(settings.model_copy(update={"trusted_documents": trusted_manifest})) as (server),
        subscribed(server.url, "AppealFeed", feed_variables()) as trusted,
    ):
        await server.listening(PARIS)
        async with subscribed(server.url, "Outside", query=outside) as refused:
            refusal = await refused.message()
        alice = await server.api.register()
        await post_appeal(server.api, alice)
        event = await trusted.next()

    assert refusal == {"id": refused.id, "type": "error", "payload": NOT_IN_LIST["errors"]}
    assert event["appealCreated"]["appeal"]["title"] == "Help me move a sofa"


@pytest.mark.usefixtures("fresh_rate_window")
async def test_registrations_past_the_limit_run_but_are_not_kept(
    settings: Settings, database: Database
) -> None:
    documents = [f"query Q{i} {{ __typename }}" for i in range(3)]

    async with api_with(settings, mutations_per_minute=2) as api:
        answers = [
            await api.http.post(
                "/graphql", content=hash_and_document(f"Q{i}", document), headers=APOLLO_HEADERS
            )
            for i, document in enumerate(documents)
        ]

    assert [a.json() for a in answers] == [{"data": {"__typename": "Query"}}] * 3
    assert await stored(database) == 2
