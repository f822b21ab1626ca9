"""Domain errors as GraphQL sees them: `userErrors` in mutations, coded errors in queries.

Messages leave here in the request's language (`Accept-Language`): a userError's when its
`message` is read, a GraphQL error the app raises (a `LocalisedError`) in `process_errors`,
which every path of Strawberry hands its errors to. graphql-core's own messages (syntax
errors, unknown fields) stay in English.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from resolvers.errors import DomainError, ErrorCode, Problem
from resolvers.languages import ENGLISH
from resolvers.translations import N_, translate
from schema.context import Context, Info
from schema.extensions_runner import ExtensionsRunner

logger = logging.getLogger("indigo.errors")
_SUGGESTION = re.compile(r" ?Did you mean .*?\?")

strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="Why a mutation was refused. Nothing changed.")
class UserError:
    problem: strawberry.Private[Problem]
    code: ErrorCode
    field: str | None = strawberry.field(
        description="The input field at fault, as a path such as `location.latitude`."
    )
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: how long to wait before trying again."
    )

    @strawberry.field(description="In the language of `Accept-Language`; `code` never is.")
    def message(self, info: Info) -> str:
        return self.problem.text(info.context.language)


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            problem=p,
            code=p.code,
            field=p.field,
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


class LocalisedError(GraphQLError):
    """A GraphQL error of the app's own: its message is English until it leaves, and then in
    the request's language. A `field` path, when given, leads the message untranslated."""

    def __init__(
        self,
        message: str,
        params: Mapping[str, object] | None = None,
        *,
        extensions: dict[str, Any],
        field: str | None = None,
    ) -> None:
        self.template, self.params, self.field = message, params or {}, field
        super().__init__(self.text(ENGLISH), extensions=extensions)

    def text(self, language: str) -> str:
        message = translate(self.template, self.params, language)
        return f"{self.field}: {message}" if self.field else message


def unauthenticated(message: str = N_("sign in first"), **params: object) -> LocalisedError:
    return LocalisedError(message, params, extensions={"code": "UNAUTHENTICATED"})


def forbidden(message: str, **params: object) -> LocalisedError:
    return LocalisedError(message, params, extensions={"code": "FORBIDDEN"})


def bad_user_input(error: DomainError) -> LocalisedError:
    """A refused query argument, with the same field path a mutation's userError would give."""
    problem = error.problems[0]
    return LocalisedError(
        problem.message,
        problem.params,
        extensions={"code": "BAD_USER_INPUT", "field": problem.field},
        field=problem.field,
    )


def localise(errors: Iterable[GraphQLError], language: str) -> None:
    """Put the message of each of the app's own errors into `language`."""
    for error in errors:
        own = error if isinstance(error, LocalisedError) else error.original_error
        if isinstance(own, LocalisedError):
            error.message = own.text(language)


def language_of(execution_context: ExecutionContext | None) -> str:
    context = execution_context.context if execution_context else None
    return context.language if isinstance(context, Context) else ENGLISH


def is_internal(error: GraphQLError) -> bool:
    """A failure of the server itself, as opposed to the API's answer to what was asked."""
    cause = error.original_error
    return cause is not None and not isinstance(cause, GraphQLError | DomainError)


MAX_ERROR_MESSAGE = 300


def shortened(message: str) -> str:
    if len(message) <= MAX_ERROR_MESSAGE:
        return message
    cut = len(message) - MAX_ERROR_MESSAGE
    return f"{message[:MAX_ERROR_MESSAGE]}… ({cut} more characters)"


class IndigoSchema(strawberry.Schema):
    """The app's own errors put in the request's language. Internal errors logged with their
    traceback and an id; a client's mistakes (bad input, unauthenticated, a document that does
    not parse or is refused) not logged at all: the request's log line names their code, and a
    traceback would only bury the real failures.

    Errors are handled here rather than in an extension because every path of Strawberry
    (execution, refusals before it, each subscription event) hands its errors to this hook.
    Last, each message is cut to a few hundred characters: graphql-core quotes a value that
    does not coerce, and a rule may name what it refuses, so a megabyte of variable would
    come back in the answer.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        localise(errors, language_of(execution_context))
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
            error.message = shortened(error.message)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)

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
