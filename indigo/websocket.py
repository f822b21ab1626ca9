"""The graphql-transport-ws handler, strict about what a client may send.

Strawberry's own handler trusts a message's shape: a payload that is a list, or a query that is
a number, crashes the connection or ends the operation without a word. Here such a message
closes the socket with 4400, as the protocol says for an invalid message, and a document is
refused before anything parses it when the HTTP endpoint would refuse it (too long, several
operations and no name, outside the trusted documents).

A token in `connection_init` that signs no one in (wrong, revoked, expired) must reach the
person at once. Closing at init with 4403, as the protocol suggests, does not: graphql-ws
(the client GraphiQL, Apollo and urql use) retries 4403 with backoff, silently, about 40 s
over five attempts (its `shouldRetryConnectOrThrow`), and a close event carries no GraphQL
error for GraphiQL to show. So the connection is acknowledged, and each operation it sends
answers an `error` message with an UNAUTHENTICATED GraphQL error (shown as such by GraphiQL
and given to the client's error sink), then the socket closes with 4401, which graphql-ws
counts among its fatal codes and never retries.

A socket signed in lives no longer than its sign-in: when the token is revoked or expires,
the socket closes with 4401 too, for the same reason.

The handler is the live feeds' transport (realtime.live_results.LiveTransport), given to them
in the Context: it hands each operation its own `next` sender, and closes with 4008 the
socket of a subscriber that fell too far behind its feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from json import JSONDecodeError
from typing import TYPE_CHECKING

from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from indigo.documents import DocumentRefused
from indigo.metrics import EVENTS_DELIVERED, OPEN_SOCKETS, OPEN_SUBSCRIPTIONS
from realtime.live_results import NextSender
from resolvers.auth import sign_in_ends
from resolvers.translations import N_
from schema.context import Context
from schema.errors import localise, unauthenticated

if TYPE_CHECKING:
    from indigo.app import IndigoGraphQL

log = logging.getLogger("indigo.websocket")

INVALID = "Invalid message"
SIGN_IN_REFUSED = N_("The sign-in token is invalid or has expired: sign in again")
UNAUTHORIZED = 4401
UNAUTHORIZED_REASON = "Unauthorized: sign in again"
# "Try again later": graphql-ws clients come back after a while, when others may have left.
CROWDED_CODE = 1013
CROWDED_REASON = "Too many anonymous sockets from this address"
CROWDED_SUBSCRIPTIONS = N_("Too many anonymous subscriptions from this address")
# A private-use close code (4000-4999) that graphql-ws clients treat as retryable: a client
# dropped for being too slow should come back with `after` and catch up from the database.
TOO_SLOW_CODE = 4008
TOO_SLOW_REASON = "too slow: fell too far behind the feed; reconnect with after"


def authorization_of(connection_params: dict[str, object] | None) -> object:
    """The `authorization` a client put in its connection_init payload, if any (an empty
    one, as a client sends with no token in its headers, is none)."""
    params = connection_params or {}
    authorization = params.get("authorization", params.get("Authorization"))
    if isinstance(authorization, str) and not authorization.strip():
        return None
    return authorization


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


# A close frame holds at most 125 bytes: 2 for the code, 123 for the reason.
MAX_CLOSE_REASON_BYTES = 123


class BoundedCloseAdapter(ASGIWebSocketAdapter):
    """Strawberry closes with the error's message as the reason, which may quote the client
    (an unknown operationName, say); past 123 bytes the close frame cannot be sent and the
    socket drops without one (1006). Cut here, every close is sent."""

    async def close(self, code: int, reason: str) -> None:
        cut = reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")
        await super().close(code, cut)

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """Strawberry's, but keeping no message's text while it waits for the next: a live
        feed's subscriber sends `subscribe` last, and its text would be held for hours."""
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    yield self.view.decode_json(await self.ws.receive_text())
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    view: IndigoGraphQL
    _sign_in: asyncio.Task[None] | None = None
    _cut_off: asyncio.Task[None] | None = None
    # The address this socket counts against, while it is anonymous.
    _anonymous_from: str | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        # Cancelled by now: the event loop ends it, and the socket need not keep it, with its
        # cancellation, for its whole life.
        self.connection_init_timeout_task = None
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
        await sign_in_ends(self.view.services, member_id, token)
        # Whatever the client sends before the close lands is refused as signed out.
        self.context.viewer = None
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(UNAUTHORIZED, UNAUTHORIZED_REASON)

    async def shutdown(self) -> None:
        if self._anonymous_from is not None:
            self.view.anonymous.release(self._anonymous_from, self)
        if self._sign_in is not None:
            self._sign_in.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sign_in
        await super().shutdown()

    async def handle(self) -> None:
        self.context.transport = self
        with OPEN_SOCKETS.track_inprogress():
            await super().handle()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        with OPEN_SUBSCRIPTIONS.track_inprogress():
            await super().run_operation(operation)

    async def send_message(self, message: Message) -> None:
        if message["type"] == "next":
            EVENTS_DELIVERED.inc()
        await super().send_message(message)

    async def send_text(self, text: str) -> None:
        """Send a message already encoded as JSON, unless the socket is closing or gone: then
        the handler is about to cancel every operation of this connection anyway."""
        socket = self._socket
        if socket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(WebSocketDisconnect):
                await socket.send_text(text)

    async def handle_message(self, message: Message) -> None:
        if not well_formed(message):
            await self.handle_invalid_message(INVALID)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            if self._sign_in_refused():
                await self._send_error(message["id"], unauthenticated(SIGN_IN_REFUSED))
                await self.websocket.close(UNAUTHORIZED, UNAUTHORIZED_REASON)
                return
            payload = message["payload"]
            try:
                document = await self.view.documents.resolve(
                    payload["query"], payload.get("operationName"), payload.get("extensions")
                )
            except DocumentRefused as refusal:
                await self._send_error(message["id"], refusal.error)
                return
            payload["query"] = document.text
            crowded = self._anonymous_from is not None and not self.view.anonymous.may_subscribe(
                self._anonymous_from
            )
            if crowded and message["id"] not in self.operations:
                error = GraphQLError(CROWDED_SUBSCRIPTIONS, extensions={"code": "RATE_LIMITED"})
                await self._send_error(message["id"], error)
                return
        await super().handle_subscribe(message)

    def next_sender(self) -> NextSender | None:
        """The `next` sender of the operation the current task runs (schema.shared_execution's
        short way): each operation runs in a task of its own."""
        task = asyncio.current_task()
        for operation in self.operations.values():
            if operation.task is task:
                return _OperationSender(self, operation)
        return None

    def cut_off(self) -> None:
        if self._cut_off is None and self._socket.application_state is WebSocketState.CONNECTED:
            log.warning("closing a subscriber that fell too far behind")
            self._cut_off = asyncio.create_task(self._close_too_slow())

    async def _close_too_slow(self) -> None:
        # The client may have left meanwhile: the socket may be closing or gone already.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.websocket.close(TOO_SLOW_CODE, TOO_SLOW_REASON)

    @property
    def _socket(self) -> WebSocket:
        assert isinstance(self.websocket, ASGIWebSocketAdapter)  # the only transport served
        return self.websocket.ws

    def _sign_in_refused(self) -> bool:
        """The connection came with an authorization that signs no one in."""
        return (
            authorization_of(self.context.connection_params) is not None
            and self.context.viewer is None
        )

    async def _send_error(self, operation_id: str, error: GraphQLError) -> None:
        """An operation refused before Strawberry runs it, so before the schema localises."""
        localise([error], self.context.language)
        await self.send_message(
            {"id": operation_id, "type": "error", "payload": [error.formatted]}
        )


class _OperationSender:
    def __init__(
        self, handler: CheckedTransportWSHandler, operation: Operation[Context, None]
    ) -> None:
        self._handler = handler
        self._operation = operation
        self._head = f'{{"id":{json.dumps(operation.id)},"type":"next","payload":{{"data":'

    async def send_next(self, data_json: str) -> None:
        operation = self._operation
        # Ended, or its id reused by another: the client completed it.
        if operation.completed or self._handler.operations.get(operation.id) is not operation:
            return
        EVENTS_DELIVERED.inc()
        await self._handler.send_text(f"{self._head}{data_json}}}}}")
