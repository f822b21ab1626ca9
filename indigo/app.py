"""The one factory that builds the ASGI app from the settings."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from indigo.anonymous_sockets import AnonymousSockets
from indigo.collector import tune_for_serving
from indigo.csrf import CsrfProtection
from indigo.settings import Settings, describe
from indigo.websocket import CheckedTransportWSHandler
from models import Database
from realtime.hub import Hub
from resolvers.auth import authenticate
from resolvers.platform import Platform
from schema import build_schema
from schema.context import Context, bearer_token
from schema.rate_limits import Root

READY_TIMEOUT_SECONDS = 2.0
NO_ACK_PAYLOAD = cast(UnsetType, UNSET)


class IndigoGraphQL(GraphQL[Context, Root]):
    graphql_transport_ws_handler_class = CheckedTransportWSHandler

    def __init__(self, platform: Platform, settings: Settings) -> None:
        super().__init__(
            build_schema(
                production=settings.production,
                introspection=settings.introspection_enabled,
                limits=settings.query_limits,
            ),
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(
                seconds=settings.connection_init_timeout_seconds
            ),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.allowed_origins,
        )
        self.platform = platform
        self.anonymous = AnonymousSockets(
            max_sockets=settings.max_anonymous_sockets_per_address,
            max_subscriptions=settings.max_anonymous_subscriptions_per_address,
        )
        self.limits = settings.query_limits
        self.root = Root(mutations_per_minute=settings.mutations_per_minute)

    async def get_root_value(self, request: Request | WebSocket) -> Root:
        return self.root

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        # Strawberry reads fields of whatever it gets: `null` or `3` would be a 500.
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "Expected a JSON object")
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: Root | None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation over HTTP, which answers one result: subscriptions need the WebSocket
        (Strawberry would run one here as if it were a query, and fail inside)."""
        too_long = self.limits.document_too_long(request_data.query)
        if too_long is not None:
            return ExecutionResult(data=None, errors=[too_long])
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            reason = error.as_http_error_reason(request_adapter.method)
            raise HTTPException(400, reason) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error

    async def get_context(self, request: Request | WebSocket, response: object = None) -> Context:
        context = Context(request=request, response=None, platform=self.platform)
        if isinstance(request, Request):
            context.token = bearer_token(request.headers.get("authorization"))
            if context.token:
                context.viewer = await authenticate(self.platform, context.token)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign the connection in from `{"authorization": "Bearer <token>"}`, if given.

        A token that signs no one in is refused (close 4403) rather than silently demoted to
        an anonymous connection, so a client learns at once that it must sign in again.
        """
        params = context.connection_params or {}
        authorization = params.get("authorization", params.get("Authorization"))
        if authorization is None:
            return NO_ACK_PAYLOAD
        token = bearer_token(authorization) if isinstance(authorization, str) else None
        member = await authenticate(self.platform, token) if token else None
        if member is None:
            raise ConnectionRejectionError()
        context.token, context.viewer = token, member
        return NO_ACK_PAYLOAD


def create_app(settings: Settings) -> Starlette:
    database = Database(settings.database_url)
    hub = Hub(settings.broadcast_url, prefix=settings.channel_prefix)
    platform = Platform(db=database, economy=settings.economy, hub=hub)
    graphql = IndigoGraphQL(platform, settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.connect()
        try:
            yield
        finally:
            await hub.disconnect()
            await database.dispose()

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def ready(request: Request) -> JSONResponse:
        try:
            await asyncio.wait_for(database.ping(), READY_TIMEOUT_SECONDS)
            database_state = "ok"
        except Exception:  # any failure to answer means "not ready", which is the report
            database_state = "unreachable"
        broadcast_state = "ok" if hub.healthy else "unreachable"
        ok = database_state == broadcast_state == "ok"
        return JSONResponse(
            {"ready": ok, "database": database_state, "broadcast": broadcast_state},
            status_code=200 if ok else 503,
        )

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/graphql", CsrfProtection(graphql), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.platform = platform
    return app


def load_settings() -> Settings:
    """The settings from the environment; a wrong one stops the process with one line."""
    try:
        return Settings()
    except ValidationError as error:
        print(f"indigo: {describe(error)}", file=sys.stderr)
        raise SystemExit(2) from None


def app_from_environment() -> Starlette:
    """For `uvicorn --factory` and for each worker process."""
    app = create_app(load_settings())
    tune_for_serving()
    return app
