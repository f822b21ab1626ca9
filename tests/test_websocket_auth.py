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


async def open_socket(base_url: str, payload: dict[str, Any]) -> ClientConnection:
    socket = await connect(
        base_url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
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


async def test_a_socket_without_a_token_is_anonymous(base_url: str) -> None:
    async with await open_socket(base_url, {}) as socket:
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        result = await ask_me(socket)

    assert result["data"] == {"me": None}
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_revoked_token_is_refused_at_init(base_url: str, live_api: Api) -> None:
    alice = await live_api.register()
    await live_api.data("Logout", token=alice.token)

    socket = await open_socket(base_url, {"authorization": f"Bearer {alice.token}"})
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")
