"""What every resolver of a request (or of a WebSocket connection) can reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from models import Member
from realtime.live_results import LiveTransport
from resolvers.languages import preferred_language
from resolvers.services import Services
from schema.loaders import Loaders


@dataclass
class OperationRecord:
    """What the log line and the metrics of a request say of its operation: filled in by
    the HTTP layer (the request's id, the outcome of its result, if one was made) and the
    schema (the operation's name)."""

    request_id: str = ""
    operation: str | None = None
    outcome: str | None = None


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    token: str | None = None
    viewer: Member | None = None
    connection_params: dict[str, Any] | None = None
    record: OperationRecord = field(default_factory=OperationRecord)
    # Set by a transport that can send a live event's shared result itself (WebSocket).
    transport: LiveTransport | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services)

    @property
    def viewer_id(self) -> int | None:
        return self.viewer.id if self.viewer else None

    @cached_property
    def language(self) -> str:
        """What the request's messages are written in: its `Accept-Language`, or English."""
        return preferred_language(self.request.headers.get("accept-language"))

    @property
    def client_address(self) -> str:
        return self.request.client.host if self.request.client else "unknown"


Info: TypeAlias = strawberry.Info[Context, None]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, if that is what it is."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
