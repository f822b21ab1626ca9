"""Bytes an attacker chooses: not UTF-8, nested without end, lone surrogates, cursors that
overflow, bodies and messages too large. Each is a 400 (a 413 for size) or a clear error
that changes nothing, never a 500, an internal error, or a socket dropped without a close."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from indigo.request_json import MAX_DEPTH, UnreadableJson, read_json
from indigo.settings import Settings
from models import Database, Member
from schema.errors import MAX_ERROR_MESSAGE
from tests.api import CLIENT_DOCUMENTS, Api, error_codes
from tests.live import PARIS, feed_variables, served, subscribed, ws_url
from tests.variants import api_with

LIMIT = 4096


def register_body(display_name: str) -> dict[str, Any]:
    return {
        "query": CLIENT_DOCUMENTS["Register"],
        "operationName": "Register",
        "variables": {
            "input": {
                "email": "bytes@example.org",
                "password": "correct horse battery",
                "displayName": display_name,
            }
        },
    }


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def member_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def post(api: Api, body: bytes) -> Any:
    return await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )


async def test_a_body_that_is_not_utf8_is_a_bad_request(api: Api) -> None:
    response = await post(api, b'{"query":"{ __typename } #\xff\xfe"}')

    assert (response.status_code, response.text) == (400, "The request is not UTF-8 text")


@pytest.mark.parametrize("depth", [MAX_DEPTH, 100_000])
async def test_json_nested_too_deep_is_a_bad_request(api: Api, depth: int) -> None:
    body = f'{{"query": "{{ __typename }}", "variables": {{"a": {nested(depth)}}}}}'

    response = await post(api, body.encode())

    assert (response.status_code, response.text) == (
        400,
        f"The JSON is nested more than {MAX_DEPTH} levels deep",
    )


def test_json_as_deep_as_the_limit_is_read() -> None:
    assert read_json(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(UnreadableJson):
        read_json(nested(MAX_DEPTH + 1))


async def test_a_lone_surrogate_in_a_text_input_is_a_bad_request(
    api: Api, database: Database
) -> None:
    body = json.dumps(register_body("Camille \ud800"))  # json.dumps escapes it: \\ud800

    response = await post(api, body.encode())
    got = await api.http.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": json.dumps({"a": "\udfff"})},
    )

    assert (response.status_code, response.text) == (
        400,
        "A string holds a lone surrogate, which is not text",
    )
    assert got.status_code == 400
    assert await member_count(database) == 0


async def test_a_surrogate_pair_is_text(api: Api, database: Database) -> None:
    response = await post(api, json.dumps(register_body("Camille \U0001f600")).encode())

    assert response.json()["data"]["register"]["userErrors"] == []
    assert await member_count(database) == 1


@pytest.mark.parametrize(
    "keyset",
    [
        "Nearby:0x1p99999:1",  # a distance past the largest float
        "Nearby:0x0p+0:99999999999999999999",  # an id past any primary key
    ],
)
async def test_a_nearby_cursor_that_overflows_is_bad_user_input(api: Api, keyset: str) -> None:
    cursor = base64.urlsafe_b64encode(keyset.encode()).decode()

    result = await api.client_op("Nearby", {"near": PARIS, "radiusKm": 5, "after": cursor})

    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["message"] == "after: is not a cursor of this search"


@pytest.fixture
async def bounded(settings: Settings, database: Database) -> AsyncIterator[Api]:
    async with api_with(settings, max_body_bytes=LIMIT) as api:
        yield api


async def test_a_body_declared_too_large_is_refused_unread(
    bounded: Api, database: Database
) -> None:
    body = json.dumps(register_body("x" * LIMIT)).encode()

    response = await post(bounded, body)

    assert (response.status_code, response.text) == (
        413,
        f"The request body is larger than {LIMIT} bytes",
    )
    assert await member_count(database) == 0


async def test_a_body_sent_in_chunks_is_refused_at_the_limit(
    bounded: Api, database: Database
) -> None:
    chunks_sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        yield b'{"query": "{ __typename }", "variables": {"a": "'
        for _ in range(100):
            chunks_sent += 1
            yield b"x" * 1024
        yield b'"}}'

    response = await bounded.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert chunks_sent < 10  # refused as soon as the limit passed, not once read whole


async def test_a_body_at_the_limit_runs(bounded: Api) -> None:
    prefix = b'{"query": "{ __typename }", "variables": {"a": "'
    body = prefix + b"x" * (LIMIT - len(prefix) - 3) + b'"}}'
    assert len(body) == LIMIT

    response = await post(bounded, body)

    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


async def test_an_error_message_does_not_echo_a_huge_input(api: Api) -> None:
    categories = [f"unknown-{i}" for i in range(20_000)]

    result = await api.client_op(
        "Nearby", {"near": PARIS, "radiusKm": 5, "categories": categories}
    )

    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("categories: unknown categories: unknown-0, unknown-1")
    assert len(error["message"]) < MAX_ERROR_MESSAGE + 40


async def open_socket(base_url: str) -> ClientConnection:
    socket = await connect(ws_url(base_url), subprotocols=[Subprotocol("graphql-transport-ws")])
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await socket.recv()) == {"type": "connection_ack"}
    return socket


async def close_of(socket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None, "closed without a close frame (1006)"
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize(
    "message",
    [
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", '
        f'"variables": {{"a": {nested(100_000)}}}}}}}',
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "{ __typename }", "variables": {"a": "\ud800"}},
            }
        ),
    ],
    ids=["nested", "surrogate"],
)
async def test_bad_json_on_the_socket_closes_it_as_invalid(
    settings: Settings, database: Database, message: str
) -> None:
    async with served(settings) as server:
        socket = await open_socket(server.url)
        await socket.send(message)

        code, _ = await close_of(socket)

    assert code == 4400


async def test_a_websocket_message_over_the_limit_closes_the_socket(
    settings: Settings, database: Database
) -> None:
    async with served(settings.model_copy(update={"max_body_bytes": LIMIT})) as server:
        socket = await open_socket(server.url)
        query = "{ __typename }" + " " * LIMIT
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})
        )

        code, _ = await close_of(socket)

    assert code == 1009  # message too big


async def test_an_error_on_the_socket_does_not_echo_a_huge_input(
    settings: Settings, database: Database
) -> None:
    categories = [f"unknown-{i}" for i in range(20_000)]

    async with (
        served(settings) as server,
        subscribed(server.url, "AppealFeed", feed_variables(categories=categories)) as feed,
    ):
        message = await feed.message()

    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["message"].startswith("categories: unknown categories: unknown-0")
    assert len(errors[0]["message"]) < MAX_ERROR_MESSAGE + 40


async def test_an_unknown_operation_name_is_not_echoed_whole(api: Api) -> None:
    name = "x" * 100_000

    response = await post(
        api, json.dumps({"query": "query A { __typename }", "operationName": name}).encode()
    )

    assert response.status_code == 400
    assert response.text.startswith('Unknown operation named "xxx')
    assert len(response.text) < MAX_ERROR_MESSAGE + 40


async def test_an_unknown_operation_name_on_the_socket_closes_it_with_a_close_frame(
    settings: Settings, database: Database
) -> None:
    payload = {"query": "query A { __typename }", "operationName": "x" * 1000}

    async with served(settings) as server:
        socket = await open_socket(server.url)
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))

        code, reason = await close_of(socket)

    assert code == 4400
    assert reason.startswith('Unknown operation named "xxx')
    assert len(reason.encode()) <= 123
