"""One execution per process for an appeal that thousands of helpers receive at once.

Every helper of a process that subscribed with the same document, and sees the appeal from the
same standpoint (anonymous, a member, or its author), gets the same result but for its own
`distanceKm`. So the event is executed, and its result encoded as JSON, once for each such
group, with a marker distance; each helper gets a copy with its own distance put where the
marker is, as data or as JSON text (schema.direct_delivery).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Hashable, Iterable
from contextvars import ContextVar
from typing import Any, Protocol, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# A distance no appeal can be at: found in a shared result, it marks where each helper's goes.
MARKER_KM = -1.0e-300


class SharedEvent(Protocol):
    """A subscription event that may be executed once for many subscribers."""

    distance_km: float

    def share_key(self) -> Hashable | None: ...

    async def once(self, key: Hashable, execute: Any) -> SharedResult: ...


@dataclasses.dataclass(frozen=True, slots=True)
class SharedResult:
    """A group's result, with the marker distance, and its JSON text cut where it sits."""

    result: ExecutionResult
    chunks: list[str]  # the JSON text of its data, cut where the distance goes

    @classmethod
    def of(cls, result: ExecutionResult) -> SharedResult:
        return cls(result, _json_chunks(result.data))

    def for_distance(self, distance_km: float) -> ExecutionResult:
        return ExecutionResult(_with_distance(self.result.data, distance_km), self.result.errors)

    def data_json(self, distance_km: float) -> str:
        """The JSON text of `for_distance(distance_km).data`, made without encoding it."""
        return repr(float(distance_km)).join(self.chunks)  # json.dumps' text for a float


Group = tuple[int, str]


def group_of(
    operation: OperationDefinitionNode,
    fragments: Iterable[FragmentDefinitionNode],
    variables: dict[str, Any],
) -> Group:
    """What, besides the standpoint, decides an event's result: the document, and the values
    of the variables used anywhere but in its root field's arguments (those choose which
    events come, not what each one shows)."""
    used = _variables_below_root(operation, fragments)
    nested = {k: v for k, v in variables.items() if k in used}
    return id(operation), json.dumps(nested, sort_keys=True, default=str)


def execution_key(group: Group, standpoint: Hashable) -> Hashable:
    """Where a group's result for one event is kept, in the event's `once`."""
    return ("execution", group, standpoint)


# The group of the subscription that the current task runs: set as its executor is built,
# before its resolver first runs, so that the resolver (schema.direct_delivery) and the executor
# agree on it.
operation_group: ContextVar[Group | None] = ContextVar("operation_group", default=None)


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    _group: Group | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.operation.operation is OperationType.SUBSCRIPTION:
            values: Any = self.variable_values
            fragments = [details.definition for details in self.fragments.values()]
            self._group = group_of(
                self.operation, fragments, getattr(values, "coerced", values) or {}
            )
            operation_group.set(self._group)

    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        share_key = getattr(event, "share_key", None)
        standpoint = share_key() if share_key is not None else None
        if standpoint is None or self._group is None:
            return super().execute_operation(serially)
        return self._shared(event, execution_key(self._group, standpoint), serially)

    async def _shared(self, event: SharedEvent, key: Hashable, serially: bool | None) -> Any:
        async def execute() -> SharedResult:
            self.root_value = dataclasses.replace(event, distance_km=MARKER_KM)  # type: ignore[type-var]
            result = super(SharedEventExecution, self).execute_operation(serially)
            outcome = await result if isinstance(result, Awaitable) else result
            return SharedResult.of(cast(ExecutionResult, outcome))

        shared = await event.once(key, execute)
        return shared.for_distance(event.distance_km)


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_args: Any) -> None:
        self.names.add(node.name.value)


def _variables_below_root(
    operation: OperationDefinitionNode, fragments: Iterable[FragmentDefinitionNode]
) -> set[str]:
    found = _Variables()
    for directive in operation.directives or ():
        visit(directive, found)
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            for directive in selection.directives or ():
                visit(directive, found)
            if selection.selection_set is not None:
                visit(selection.selection_set, found)
        else:
            visit(selection, found)
    for fragment in fragments:
        visit(fragment, found)
    return found.names


def _with_distance(data: Any, distance_km: float) -> Any:
    """A copy of `data` with `distance_km` wherever the marker is, one level down."""
    if not isinstance(data, dict):
        return data
    return {
        key: (
            {k: distance_km if v == MARKER_KM else v for k, v in value.items()}
            if isinstance(value, dict)
            else value
        )
        for key, value in data.items()
    }


def _json_chunks(data: Any) -> list[str]:
    """The JSON text of `data`, cut wherever the marker is, one level down."""
    chunks = [""]

    def write(value: Any, depth: int) -> None:
        if depth < 2 and isinstance(value, dict):
            chunks[-1] += "{"
            for index, (key, item) in enumerate(value.items()):
                chunks[-1] += ("," if index else "") + json.dumps(key) + ":"
                write(item, depth + 1)
            chunks[-1] += "}"
        elif depth == 2 and value == MARKER_KM:
            chunks.append("")
        else:
            chunks[-1] += json.dumps(value)

    write(data, 0)
    return chunks
