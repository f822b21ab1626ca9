"""The graphql-transport-ws handler, strict about what a client may send.

Strawberry's own handler trusts a message's shape: a payload that is a list, or a query that is
a number, crashes the connection or ends the operation without a word. Here such a message
closes the socket with 4400, as the protocol says for an invalid message, and an over-long
document is refused before anything parses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)

from schema.context import Context
from schema.live_lane import operation_sender
from schema.rate_limits import Root

if TYPE_CHECKING:
    from indigo.app import IndigoGraphQL

INVALID = "Invalid message"


def well_formed(message: object) -> bool:
    """Whether `message` has the shape the protocol gives it; its content is checked later."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] == "complete":
        return isinstance(message.get("id"), str)
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), dict | None)
        and isinstance(payload.get("operationName"), str | None)
        and isinstance(payload.get("extensions"), dict | None)
    )


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, Root]):
    view: IndigoGraphQL

    async def send_text(self, text: str) -> None:
        """Send a message already encoded as JSON, unless the socket is closing or gone: then
        the handler is about to cancel every operation of this connection anyway."""
        assert isinstance(self.websocket, ASGIWebSocketAdapter)  # the only transport served
        socket = self.websocket.ws
        if socket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect):
                await socket.send_text(text)

    async def handle_message(self, message: Message) -> None:
        if not well_formed(message):
            await self.handle_invalid_message(INVALID)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        too_long = self.view.limits.document_too_long(
            message["payload"]["query"], self.context.language
        )
        if too_long is not None and self.connection_acknowledged:
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [too_long.formatted]}
            )
            return
        # The operation's task is created in there, and copies the variable as it is now.
        token = operation_sender.set(_OperationSender(self, message["id"]))
        try:
            await super().handle_subscribe(message)
        finally:
            operation_sender.reset(token)


class _OperationSender:
    def __init__(self, handler: CheckedTransportWSHandler, operation_id: str) -> None:
        self._handler = handler
        self._operation_id = operation_id
        self._head = f'{{"id":{json.dumps(operation_id)},"type":"next","payload":{{"data":'

    async def send_next(self, data_json: str) -> None:
        operation = self._handler.operations.get(self._operation_id)
        # Gone, or another task's: the client completed it (and may have reused its id).
        if (
            operation is None
            or operation.completed
            or operation.task is not asyncio.current_task()
        ):
            return
        await self._handler.send_text(f"{self._head}{data_json}}}}}")
