"""Request bodies bounded before they are read whole (INDIGO_MAX_BODY_BYTES).

A declared `Content-Length` over the limit is refused before a byte is read; a body sent in
chunks is counted as it arrives and refused at the first chunk past the limit, so no request
makes the server hold more than the limit, nor parse it.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def refusal(self) -> PlainTextResponse:
        return PlainTextResponse(
            f"The request body is larger than {self.max_bytes} bytes", status_code=413
        )

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A WebSocket goes straight through, without a coroutine of this layer waiting on it
        # for the socket's life (uvicorn bounds its messages: ws_max_size).
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._bounded(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refusal()(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:  # nothing reads a body after answering; a guard, not a path
                raise
            await self.refusal()(scope, receive, send)
