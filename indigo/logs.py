"""The log: one line per request, tracebacks only for what failed inside, as text for people
or one JSON object per line for machines (`INDIGO_LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indigo.metrics import observe_graphql_request
from schema.context import OperationRecord
from schema.outcomes import INTERNAL, OK

LogFormat = Literal["text", "json"]

requests_log = logging.getLogger("indigo.requests")
errors_log = logging.getLogger("indigo.errors")

REQUEST_ID_HEADER = "x-request-id"
# A proxy's request id is kept when it is one, so a request can be followed through both.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
GRAPHQL_PATH = "/graphql"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's `fields`,
    and the traceback as a string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def config(log_format: LogFormat) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the serving processes: everything at INFO through one
    handler; uvicorn's own access log off, as `indigo.requests` says more."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"indigo": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "indigo",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def configure(log_format: LogFormat) -> None:
    logging.config.dictConfig(config(log_format))


def record_of(connection: HTTPConnection) -> OperationRecord | None:
    """The record `RequestLog` keeps for this HTTP request (None on a WebSocket)."""
    record = getattr(connection.state, "record", None)
    return record if isinstance(record, OperationRecord) else None


def request_id(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: one log line per HTTP request (method, path, operation, outcome,
    status, duration, request id), the request id sent back in `X-Request-Id`, and the
    GraphQL request metrics. An exception that reaches it is logged with its traceback and an
    error id, and answered with a 500 that carries that id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A WebSocket goes straight through, without a coroutine of this layer waiting on it
        # for the socket's life.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._logged(scope, receive, send)

    async def _logged(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        record = OperationRecord(request_id=request_id(Headers(scope=scope)))
        # Starlette's `request.state`: where the GraphQL view finds the record to fill in.
        scope.setdefault("state", {})["record"] = record
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    *message.get("headers", []),
                    (b"x-request-id", record.request_id.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            error_id = uuid.uuid4().hex
            errors_log.error(
                "internal error %s",
                error_id,
                exc_info=error,
                extra={"fields": {"error_id": error_id, "request_id": record.request_id}},
            )
            record.outcome = INTERNAL
            if status is None:
                await _internal_error(error_id)(scope, receive, send_with_id)
        finally:
            self._log(scope, record, status or 500, time.perf_counter() - started)

    def _log(self, scope: Scope, record: OperationRecord, status: int, seconds: float) -> None:
        # No outcome: no GraphQL result was made (GraphiQL's page, or a refusal before one).
        outcome = record.outcome or (OK if status < 400 else f"HTTP_{status}")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "operation": record.operation,
            "outcome": outcome,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "request_id": record.request_id,
        }
        requests_log.info(
            "%s %s %s %s %s %.1f ms id=%s",
            scope["method"],
            scope["path"],
            record.operation or "-",
            outcome,
            status,
            seconds * 1000,
            record.request_id,
            extra={"fields": fields},
        )
        if scope["path"] == GRAPHQL_PATH and (record.outcome is not None or status >= 400):
            observe_graphql_request(record.operation, outcome, seconds)


def _internal_error(error_id: str) -> JSONResponse:
    error = {
        "message": f"internal error: quote id {error_id} to report it",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }
    return JSONResponse({"errors": [error]}, status_code=500)
