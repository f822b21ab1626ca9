"""A graphql-transport-ws client for tests: the clients' own subscriptions over a real socket,
and appeals posted as a member short of digos would post them."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from indigo.app import create_app
from indigo.settings import Settings
from realtime.channels import cell_channel, member_channel
from realtime.hub import Hub
from resolvers.services import Services
from schema.ids import decode_id
from tests.api import CLIENT_DOCUMENTS, Api, SignedIn
from tests.polling import until
from tests.server import serve

RECEIVE_SECONDS = 10
PARIS = {"latitude": 48.85661, "longitude": 2.35222}
# About 1 km east of Paris's centre, and Lyon (about 390 km away).
NEAR_PARIS = {"latitude": 48.85661, "longitude": 2.36590}
LYON = {"latitude": 45.76404, "longitude": 4.83566}

_ids = itertools.count(1)


class Subscription:
    """One operation on its own socket; `next()` is the data of its next event."""

    def __init__(self, socket: ClientConnection, operation_id: str) -> None:
        self.socket = socket
        self.id = operation_id

    async def message(self, within: float = RECEIVE_SECONDS) -> dict[str, Any]:
        async with asyncio.timeout(within):
            message: dict[str, Any] = json.loads(await self.socket.recv())
        return message

    async def next(self, within: float = RECEIVE_SECONDS) -> dict[str, Any]:
        message = await self.message(within)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data


def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/graphql"


@asynccontextmanager
async def subscribed(
    base_url: str,
    operation: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    query: str | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Subscription]:
    """A socket signed in with `token` (if any) running one of the clients' subscriptions."""
    async with connect(
        ws_url(base_url),
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
    ) as socket:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await socket.recv()) == {"type": "connection_ack"}
        operation_id = str(next(_ids))
        document = {
            "query": query or CLIENT_DOCUMENTS[operation],
            "operationName": operation,
            "variables": variables or {},
        }
        await socket.send(
            json.dumps({"id": operation_id, "type": "subscribe", "payload": document})
        )
        yield Subscription(socket, operation_id)


def feed_variables(
    near: dict[str, float] = PARIS,
    radius_km: float = 10,
    categories: list[str] | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    return {"near": near, "radiusKm": radius_km, "categories": categories, "after": after}


async def post_appeal(
    api: Api,
    member: SignedIn,
    *,
    location: dict[str, float] = PARIS,
    category: str = "lessons",
    title: str = "Help me move a sofa",
    description: str = "",
) -> str:
    """The id of a new appeal by `member` (worth more than the welcome grant)."""
    payload = (
        await api.data(
            "CreateListing",
            {
                "input": {
                    "type": "APPEAL",
                    "kind": "SERVICE",
                    "category": category,
                    "title": title,
                    "description": description,
                    "digos": 30,
                    "location": location,
                }
            },
            token=member.token,
        )
    )["createListing"]
    assert payload["userErrors"] == [], payload["userErrors"]
    listing_id: str = payload["listing"]["id"]
    return listing_id


@dataclass
class Served:
    """A real uvicorn serving the app: its URL, an HTTP client to it, and its services."""

    url: str
    api: Api
    services: Services

    @property
    def hub(self) -> Hub:
        return self.services.hub

    async def listening(self, near: dict[str, float], count: int = 1) -> None:
        """Wait until `count` subscribers listen to the cell of `near`."""
        await self.listening_to(cell_channel(near["latitude"], near["longitude"]), count)

    async def listening_to(self, channel: str, count: int = 1) -> None:
        await until(lambda: self.hub.fanout.listeners(channel) == count)


def member_channel_of(member: SignedIn) -> str:
    return member_channel(decode_id("Member", member.id))


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield Served(url, Api(http), app.state.services)
