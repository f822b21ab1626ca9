"""Domain errors as GraphQL sees them: `userErrors` in mutations, coded errors in queries."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable
from typing import Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from resolvers.errors import DomainError, ErrorCode
from schema.context import Context

logger = logging.getLogger("indigo.errors")
_SUGGESTION = re.compile(r" ?Did you mean .*?\?")

strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="Why a mutation was refused. Nothing changed.")
class UserError:
    code: ErrorCode
    field: str | None = strawberry.field(
        description="The input field at fault, as a path such as `location.latitude`."
    )
    message: str
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: how long to wait before trying again."
    )


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            code=p.code,
            field=p.field,
            message=p.message,
            retry_after_seconds=p.retry_after_seconds,
        )
        for p in error.problems
    ]


class Payload(Protocol):
    def __init__(self, *, user_errors: list[UserError]) -> None: ...


P = TypeVar("P", bound=Payload)


async def payload_or_user_errors(payload: type[P], outcome: Awaitable[P]) -> P:
    """The mutation's payload, or the same payload type carrying only its userErrors."""
    try:
        return await outcome
    except DomainError as error:
        return payload(user_errors=user_errors(error))


def unauthenticated(message: str = "sign in first") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def bad_user_input(error: DomainError) -> GraphQLError:
    """A refused query argument, with the same field path a mutation's userError would give."""
    problem = error.problems[0]
    message = f"{problem.field}: {problem.message}" if problem.field else problem.message
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": problem.field})


def is_internal(error: GraphQLError) -> bool:
    """A failure of the server itself, as opposed to the API's answer to what was asked."""
    cause = error.original_error
    return cause is not None and not isinstance(cause, GraphQLError | DomainError)


class IndigoSchema(strawberry.Schema):
    """Internal errors logged with their traceback and an id; a client's mistakes (bad input,
    unauthenticated, a document that does not parse or is refused) not logged at all: the
    request's log line names their code, and a traceback would only bury the real failures.

    Errors are handled here rather than in an extension because every path of Strawberry
    (execution, refusals before it, each subscription event) hands its errors to this hook.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = context.record.request_id if isinstance(context, Context) else ""
        for error in errors:
            if is_internal(error):
                error_id = uuid.uuid4().hex
                logger.error(
                    "internal error %s",
                    error_id,
                    exc_info=error.original_error,
                    extra={"fields": {"error_id": error_id, "request_id": request_id}},
                )
                self.internal_error(error, error_id)
            else:
                self.client_error(error)

    def internal_error(self, error: GraphQLError, error_id: str) -> None:
        """Outside production, the error is shown as it is, for whoever develops."""

    def client_error(self, error: GraphQLError) -> None:
        """Outside production, field suggestions help whoever writes a document."""


class ProductionSchema(IndigoSchema):
    """Production: internal errors masked, each with the id that the log carries too; field
    suggestions ("Did you mean ...?") dropped, as they map a schema whose introspection is
    off."""

    def internal_error(self, error: GraphQLError, error_id: str) -> None:
        error.message = f"internal error: quote id {error_id} to report it"
        error.extensions = {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}
        error.original_error = None

    def client_error(self, error: GraphQLError) -> None:
        error.message = _SUGGESTION.sub("", error.message)
