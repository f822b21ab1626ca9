"""What a request's log line and metrics say of the GraphQL operation it carried: its name
(`NamedOperation`) and its outcome (`outcome_of`), kept in the context's OperationRecord."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.context import Context
from schema.errors import is_internal

OK = "ok"
INTERNAL = "INTERNAL_SERVER_ERROR"


def outcome_of(errors: Sequence[GraphQLError] | None) -> str:
    """`ok`; INTERNAL_SERVER_ERROR if anything failed inside; otherwise the first error's
    code, with graphql-core's own refusals named as Apollo names them."""
    if not errors:
        return OK
    if any(is_internal(error) for error in errors):
        return INTERNAL
    error = errors[0]
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


class NamedOperation(SchemaExtension):
    """Writes the name of the operation that ran (or was asked for) into the record.

    As each result is made (`get_results`, which adds nothing to it), not as the operation
    ends: a hook of `on_operation` would stay open for a subscription's whole life."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if isinstance(context, Context):
            context.record.operation = self.execution_context.operation_name
        return {}
