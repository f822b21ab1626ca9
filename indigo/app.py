"""The one factory that builds the ASGI app from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from indigo import graphiql, logs, metrics
from indigo.anonymous_sockets import AnonymousSockets
from indigo.body_limit import BodyLimit
from indigo.collector import tune_for_serving
from indigo.csrf import CsrfProtection
from indigo.documents import DocumentRefused, Documents
from indigo.http_semantics import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    cache_control,
    error_status,
    is_request_error,
    preferred_media_type,
)
from indigo.request_json import UnreadableJson, read_json
from indigo.settings import Settings, describe
from indigo.websocket import BoundedCloseAdapter, CheckedTransportWSHandler, authorization_of
from models import Database
from realtime.hub import Hub
from resolvers.auth import authenticate
from resolvers.jobs import JOBS
from resolvers.scheduler import Scheduler
from resolvers.services import Services
from schema import build_schema
from schema.context import Context, bearer_token
from schema.errors import localise, shortened
from schema.outcomes import outcome_of

READY_TIMEOUT_SECONDS = 2.0
# The task of the process's scheduler (resolvers/scheduler.py), named for logs and tests.
SCHEDULED_JOBS = "scheduled jobs"
NO_ACK_PAYLOAD = cast(UnsetType, UNSET)


class IndigoGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = CheckedTransportWSHandler
    websocket_adapter_class = BoundedCloseAdapter

    def __init__(self, services: Services, settings: Settings) -> None:
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
        self.services = services
        self.anonymous = AnonymousSockets(
            max_sockets=settings.max_anonymous_sockets_per_address,
            max_subscriptions=settings.max_anonymous_subscriptions_per_address,
        )
        self.limits = settings.query_limits
        self.documents = Documents(
            services.db,
            settings.query_limits,
            settings.trusted_documents,
            registrations_per_minute=settings.mutations_per_minute,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql.PAGE)

    def decode_json(self, data: str | bytes) -> object:
        return read_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = self.decode_json(data)
        except UnreadableJson as error:
            raise HTTPException(400, error.reason) from None
        except json.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        # Strawberry reads fields of whatever it gets: `null` or `3` would be a 500.
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "Expected a JSON object")
        return parsed

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = preferred_media_type(request.headers.get("accept", ""))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{sub_response.media_type}; charset=utf-8"
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if record := logs.record_of(request):
            record.outcome = outcome_of(result.errors)
        processed = await super().process_result(request, result)
        # Nothing ran: the spec's results then have no `data` entry at all. (JSON keeps
        # `"data": null`, which clients of that media type have always read.)
        accepted = preferred_media_type(request.headers.get("accept", ""))
        if accepted == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            processed.pop("data", None)
        return processed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation over HTTP, which answers one result: subscriptions need the WebSocket
        (Strawberry would run one here as if it were a query, and fail inside)."""
        media_type = sub_response.media_type or JSON
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            document = await self.documents.resolve(
                request_data.query, request_data.operation_name, request_data.extensions
            )
            result = await self.schema.execute(
                document.text,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, shortened(error.as_http_error_reason())) from error
        except InvalidOperationTypeError as error:
            reason = error.as_http_error_reason(request_adapter.method)
            if error.operation_type is not OperationType.MUTATION:
                raise HTTPException(400, reason) from error
            # The spec: a mutation asked by GET is a 405 naming the method that runs it.
            sub_response.status_code = 405
            sub_response.headers["allow"] = "POST"
            return PreExecutionError(data=None, errors=[GraphQLError(reason)])
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error
        except DocumentRefused as refusal:
            localise([refusal.error], context.language)
            refused = PreExecutionError(data=None, errors=[refusal.error])
            sub_response.status_code = refusal.status or error_status(refused, media_type)
            return refused
        sub_response.status_code = error_status(result, media_type)
        if not is_request_error(result):
            await self.documents.persist(document, context.client_address)
        if request_adapter.method == "GET" and not result.errors:
            caching = cache_control(
                document.text, request_data.operation_name, self.limits.max_tokens
            )
            if caching:
                sub_response.headers["cache-control"] = caching
                sub_response.headers["vary"] = "Accept, Accept-Language"
        return result

    async def get_context(self, request: Request | WebSocket, response: object = None) -> Context:
        context = Context(request=request, response=None, services=self.services)
        if record := logs.record_of(request):
            context.record = record
        if isinstance(request, Request):
            context.token = bearer_token(request.headers.get("authorization"))
            if context.token:
                context.viewer = await authenticate(self.services, context.token)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign the connection in from `{"authorization": "Bearer <token>"}`, if given.

        A token that signs no one in leaves the connection signed out but not anonymous: each
        operation it sends is refused (see indigo/websocket.py for why it is not closed here).
        """
        authorization = authorization_of(context.connection_params)
        if isinstance(authorization, str) and (token := bearer_token(authorization)):
            member = await authenticate(self.services, token)
            if member is not None:
                context.token, context.viewer = token, member
        return NO_ACK_PAYLOAD


def create_app(settings: Settings) -> Starlette:
    database = Database(settings.database_url)
    hub = Hub(settings.broadcast_url, prefix=settings.channel_prefix)
    services = Services(
        db=database,
        economy=settings.economy,
        hub=hub,
        mail=settings.mail,
        rate_limits=settings.rate_limits,
        lifetimes=settings.lifetimes,
    )
    graphql = IndigoGraphQL(services, settings)
    scheduler = Scheduler(services, JOBS, tick_seconds=settings.scheduler_tick_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.connect()
        jobs = asyncio.create_task(scheduler.run(), name=SCHEDULED_JOBS)
        try:
            yield
        finally:
            jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await jobs
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

    middleware = [
        Middleware(logs.RequestLog),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
    ]
    if settings.forwarded_allow_ips:
        # Only these proxies may name the client; anyone else's X-Forwarded-For is ignored.
        trusted = list(settings.forwarded_allow_ips)
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=trusted))
    app = Starlette(
        middleware=middleware,
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics.metrics),
            Route("/graphql", CsrfProtection(graphql), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *([graphiql.assets()] if settings.graphiql_enabled else []),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.scheduler = scheduler
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
    settings = load_settings()
    logs.configure(settings.log_format)
    app = create_app(settings)
    tune_for_serving()
    return app
