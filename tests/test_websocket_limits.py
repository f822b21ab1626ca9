"""WebSockets against a real uvicorn: which origins may open one, how long a socket may wait
before connection_init, how many operations one connection may run, and how long a document."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from indigo.settings import Settings
from models import Database
from tests.live import served, ws_url

APP_ORIGIN = "https://app.indigo.example"


@asynccontextmanager
async def socket_to(
    base_url: str, *, origin: str | None = None, token: str | None = None
) -> AsyncIterator[ClientConnection]:
    """An acknowledged graphql-transport-ws connection."""
    async with connect(
        ws_url(base_url),
        subprotocols=[Subprotocol("graphql-transport-ws")],
        origin=Origin(origin) if origin else None,
    ) as socket:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        yield socket


async def subscribe(socket: ClientConnection, operation_id: str, query: str) -> None:
    message = {"id": operation_id, "type": "subscribe", "payload": {"query": query}}
    await socket.send(json.dumps(message))


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await socket.recv())
    return message


@pytest.fixture
def listed(settings: Settings, database: Database) -> Settings:
    return settings.model_copy(update={"allowed_origins": (APP_ORIGIN,)})


async def test_a_page_on_an_unlisted_origin_cannot_open_a_socket(listed: Settings) -> None:
    async with served(listed) as server:
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                ws_url(server.url),
                subprotocols=[Subprotocol("graphql-transport-ws")],
                origin=Origin("https://evil.example"),
            )

    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("origin", [APP_ORIGIN, None, "same"])
async def test_listed_same_and_absent_origins_are_accepted(
    listed: Settings, origin: str | None
) -> None:
    async with served(listed) as server:
        sent = server.url if origin == "same" else origin
        async with socket_to(server.url, origin=sent) as socket:
            await subscribe(socket, "1", "{ __typename }")
            answer = await receive(socket)

    assert answer == {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}}


def test_an_allowed_origin_must_be_an_origin() -> None:
    with pytest.raises(ValueError, match=r"Invalid origin 'https://app\.example/path'"):
        Settings(_env_file=None, allowed_origins="https://a.example, https://app.example/path")


def test_allowed_origins_are_read_comma_separated() -> None:
    settings = Settings(_env_file=None, allowed_origins=" https://a.example,https://b.example ")

    assert settings.allowed_origins == ("https://a.example", "https://b.example")


async def test_a_socket_that_never_sends_connection_init_is_closed(
    settings: Settings, database: Database
) -> None:
    quick = settings.model_copy(update={"connection_init_timeout_seconds": 0.2})
    async with (
        served(quick) as server,
        connect(ws_url(server.url), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket,
    ):
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4408,
        "Connection initialisation timeout",
    )


async def test_one_connection_runs_at_most_the_allowed_subscriptions(
    settings: Settings, database: Database
) -> None:
    capped = settings.model_copy(update={"max_subscriptions_per_connection": 2})
    async with served(capped) as server:
        alice = await server.api.register()
        async with socket_to(server.url, token=alice.token) as socket:
            for operation_id in ("1", "2"):
                await subscribe(socket, operation_id, "subscription { walletUpdated { digos } }")
            await subscribe(socket, "3", "subscription { walletUpdated { digos } }")
            refused = await receive(socket)

            await socket.send(json.dumps({"id": "1", "type": "complete"}))
            await subscribe(socket, "4", "{ __typename }")
            freed = await receive(socket)

    assert refused == {
        "id": "3",
        "type": "error",
        "payload": [{"message": "Subscription limit reached"}],
    }
    assert freed == {"id": "4", "type": "next", "payload": {"data": {"__typename": "Query"}}}


async def test_an_over_long_document_on_a_socket_is_refused(
    settings: Settings, database: Database
) -> None:
    short = settings.model_copy(update={"max_query_characters": 100})
    async with served(short) as server, socket_to(server.url) as socket:
        await subscribe(socket, "1", "{ __typename }" + " " * 100)
        refused = await receive(socket)
        await subscribe(socket, "2", "{ __typename }" + " " * 86)
        passed = await receive(socket)

    assert refused == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "the document has 114 characters; at most 100 are allowed",
                "extensions": {"code": "QUERY_LIMIT_EXCEEDED"},
            }
        ],
    }
    assert passed == {"id": "2", "type": "next", "payload": {"data": {"__typename": "Query"}}}


async def test_the_query_limits_hold_on_a_socket_too(
    settings: Settings, database: Database
) -> None:
    shallow = settings.model_copy(update={"max_query_depth": 2})
    async with served(shallow) as server, socket_to(server.url) as socket:
        await subscribe(socket, "1", "subscription { exchangeUpdated { listing { id } } }")
        refused = await receive(socket)

    assert refused == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "the query is 3 levels deep; at most 2",
                "extensions": {"code": "QUERY_LIMIT_EXCEEDED"},
            }
        ],
    }


async def test_a_document_over_the_token_limit_closes_the_socket_with_the_reason(
    settings: Settings, database: Database
) -> None:
    few = settings.model_copy(update={"max_query_tokens": 40})
    async with served(few) as server, socket_to(server.url) as socket:
        await subscribe(socket, "1", "{" + " __typename" * 40 + " }")
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4400,
        "Syntax Error: Document contains more than 40 tokens. Parsing aborted.",
    )


@pytest.mark.parametrize(
    "message",
    [
        7,
        [1],
        {"id": "1", "type": "subscribe", "payload": []},
        {"id": "1", "type": "subscribe", "payload": {"query": 123}},
        {"id": 1, "type": "subscribe", "payload": {"query": "{ __typename }"}},
        {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "variables": "x"}},
        {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "operationName": 3}},
        {"id": [1], "type": "complete"},
        {"type": "complete"},
    ],
)
async def test_a_message_of_the_wrong_shape_closes_the_socket(
    settings: Settings, database: Database, message: object
) -> None:
    async with served(settings) as server, socket_to(server.url) as socket:
        await socket.send(json.dumps(message))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4400, "Invalid message")
