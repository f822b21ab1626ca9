"""Signing a WebSocket in with the token in `connection_init`, against a real uvicorn."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from indigo.app import create_app
from indigo.settings import Settings
from models import Database
from tests.api import Api
from tests.server import serve


@pytest.fixture
async def base_url(settings: Settings, database: Database) -> AsyncIterator[str]:
    async with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
async def live_api(base_url: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        yield Api(http)


async def open_socket(
    base_url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> ClientConnection:
    socket = await connect(
        base_url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def ask_me(socket: ClientConnection) -> dict[str, Any]:
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
    )
    message: dict[str, Any] = json.loads(await socket.recv())
    assert message["type"] == "next", message
    return message["payload"]  # type: ignore[no-any-return]


async def test_a_token_in_connection_init_signs_the_socket_in(
    base_url: str, live_api: Api
) -> None:
    alice = await live_api.register()

    async with await open_socket(base_url, {"authorization": f"Bearer {alice.token}"}) as socket:
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        assert await ask_me(socket) == {"data": {"me": {"id": alice.id}}}


@pytest.mark.parametrize("payload", [{}, {"authorization": ""}, {"Authorization": None}])
async def test_a_socket_without_a_token_is_anonymous(
    base_url: str, payload: dict[str, Any]
) -> None:
    async with await open_socket(base_url, payload) as socket:
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        result = await ask_me(socket)

    assert result["data"] == {"me": None}
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("authorization", ["Bearer revoked", "Bearer not-a-token", "Basic x"])
async def test_a_token_that_signs_no_one_in_refuses_each_operation_then_closes(
    base_url: str, live_api: Api, authorization: str
) -> None:
    alice = await live_api.register()
    await live_api.data("Logout", token=alice.token)
    if authorization == "Bearer revoked":
        authorization = f"Bearer {alice.token}"

    async with await open_socket(base_url, {"authorization": authorization}) as socket:
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
        )
        refusal = json.loads(await socket.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert refusal == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "The sign-in token is invalid or has expired: sign in again",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4401,
        "Unauthorized: sign in again",
    )


async def test_a_token_that_signs_no_one_in_is_refused_in_the_sockets_language(
    base_url: str,
) -> None:
    french = {"Accept-Language": "fr-FR, fr;q=0.9"}
    async with await open_socket(base_url, {"authorization": "Bearer x"}, french) as socket:
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
        )
        refusal = json.loads(await socket.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert refusal["payload"] == [
        {
            "message": "Le jeton de connexion est invalide ou a expiré : reconnectez-vous",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4401,
        "Unauthorized: sign in again",
    )
