"""What the GraphQL-over-HTTP spec says of a response: its media type, its status, and
whether a cache may keep it.

A client that accepts `application/graphql-response+json` gets it, and with it status codes
that mean something: a request error (a document that does not parse or validate, variables
that do not coerce: nothing ran) is a 400 with no `data` entry. A client that accepts only
`application/json` gets 200 for those, as the spec asks, since older clients read no body
on a 4xx.
"""

from __future__ import annotations

from graphql import FieldNode, OperationDefinitionNode, OperationType
from strawberry.types import ExecutionResult

from indigo.documents import parsed_document

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# Root fields the same for every caller, whose answers a shared cache may keep (for the
# language of the request: Vary says so).
PUBLIC_FIELDS = frozenset({"categories", "__typename"})
PUBLIC_CACHE_CONTROL = "public, max-age=300"


def preferred_media_type(accept: str) -> str:
    """`application/graphql-response+json` when the client prefers it at least as much as
    JSON; JSON otherwise, with no Accept header or `*/*` alike."""
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media_type, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media_type.lower()] = max(weight, weights.get(media_type.lower(), 0.0))
    graphql_response = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json = max(weights.get(t, 0.0) for t in (JSON, "application/*", "*/*"))
    return GRAPHQL_RESPONSE_JSON if graphql_response > 0 and graphql_response >= json else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing ran: no data, and no error raised by a field (those carry a path)."""
    return result.data is None and all(error.path is None for error in result.errors or ())


def error_status(result: ExecutionResult, media_type: str) -> int:
    return 400 if media_type == GRAPHQL_RESPONSE_JSON and is_request_error(result) else 200


def cache_control(document: str, operation_name: str | None, max_tokens: int) -> str | None:
    """A cache-control for a GET query that asks only for public fields, else None."""
    parsed = parsed_document(document, max_tokens)
    if parsed is None:
        return None
    operations = [
        d
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    selections = operations[0].selection_set.selections
    names = {s.name.value if isinstance(s, FieldNode) else None for s in selections}
    return PUBLIC_CACHE_CONTROL if names <= PUBLIC_FIELDS else None
