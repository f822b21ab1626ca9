"""The graphql-transport-ws handler, strict about what a client may send.

Strawberry's own handler trusts a message's shape: a payload that is a list, or a query that is
a number, crashes the connection or ends the operation without a word. Here such a message
closes the socket with 4400, as the protocol says for an invalid message, and an over-long
document is refused before anything parses it. A socket signed in lives no longer than its
sign-in: when the token is revoked or expires, the socket is closed with 4403, as a token
refused at `connection_init` is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from resolvers.auth import sign_in_ends
from schema.context import Context
from schema.live_lane import operation_sender
from schema.rate_limits import Root

if TYPE_CHECKING:
    from indigo.app import IndigoGraphQL

INVALID = "Invalid message"
SIGNED_OUT_CODE = 4403
SIGNED_OUT_REASON = "Forbidden: the sign-in was revoked or has expired"
# "Try again later": graphql-ws clients come back after a while, when others may have left.
CROWDED_CODE = 1013
CROWDED_REASON = "Too many anonymous sockets from this address"
CROWDED_SUBSCRIPTIONS = "Too many anonymous subscriptions from this address"


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
    _sign_in: asyncio.Task[None] | None = None
    # The address this socket counts against, while it is anonymous.
    _anonymous_from: str | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if not self.connection_acknowledged or self._sign_in or self._anonymous_from:
            return  # refused, or a second connection_init that closed the socket
        viewer, token = self.context.viewer, self.context.token
        if viewer is not None and token is not None:
            assert viewer.id is not None
            self._sign_in = asyncio.create_task(self._close_when_signed_out(viewer.id, token))
            return
        address = self.context.client_address
        if not self.view.anonymous.admit(address, self):
            await self.websocket.close(CROWDED_CODE, CROWDED_REASON)
            return
        self._anonymous_from = address

    async def _close_when_signed_out(self, member_id: int, token: str) -> None:
        await sign_in_ends(self.view.platform, member_id, token)
        # Whatever the client sends before the close lands runs anonymously.
        self.context.viewer = None
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(SIGNED_OUT_CODE, SIGNED_OUT_REASON)

    async def shutdown(self) -> None:
        if self._anonymous_from is not None:
            self.view.anonymous.release(self._anonymous_from, self)
        if self._sign_in is not None:
            self._sign_in.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sign_in
        await super().shutdown()

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
        too_long = self.view.limits.document_too_long(message["payload"]["query"])
        if too_long is not None and self.connection_acknowledged:
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [too_long.formatted]}
            )
            return
        crowded = self._anonymous_from is not None and not self.view.anonymous.may_subscribe(
            self._anonymous_from
        )
        if crowded and message["id"] not in self.operations:
            error = GraphQLError(CROWDED_SUBSCRIPTIONS, extensions={"code": "RATE_LIMITED"})
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
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
