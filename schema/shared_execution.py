"""One execution per process for an appeal that thousands of helpers receive at once.

Every helper of a process that subscribed with the same document, and sees the appeal from the
same standpoint (anonymous, a member, or its author), gets the same result but for its own
`distanceKm`. So the event is executed once for each such group, with a marker distance, and
each helper gets a copy with its own distance put where the marker is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Hashable
from typing import Any, Protocol, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# A distance no appeal can be at: found in a shared result, it marks where each helper's goes.
MARKER_KM = -1.0e-300


class SharedEvent(Protocol):
    """A subscription event that may be executed once for many subscribers."""

    distance_km: float

    def share_key(self) -> Hashable | None: ...

    async def once(self, key: Hashable, execute: Any) -> ExecutionResult: ...


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        share_key = getattr(event, "share_key", None)
        standpoint = share_key() if share_key is not None else None
        if standpoint is None:
            return super().execute_operation(serially)
        key = (id(self.operation), standpoint, self._nested_variables())
        return self._shared(event, key, serially)

    async def _shared(self, event: SharedEvent, key: Hashable, serially: bool | None) -> Any:
        async def execute() -> ExecutionResult:
            self.root_value = dataclasses.replace(event, distance_km=MARKER_KM)  # type: ignore[type-var]
            result = super(SharedEventExecution, self).execute_operation(serially)
            outcome = await result if isinstance(result, Awaitable) else result
            return cast(ExecutionResult, outcome)

        shared = await event.once(key, execute)
        return ExecutionResult(_with_distance(shared.data, event.distance_km), shared.errors)

    def _nested_variables(self) -> str:
        """The variables that fields below the root use: they may change the result."""
        root_only = _root_argument_variables(self.operation.selection_set.selections[0])
        values = self.variable_values.coerced if self.variable_values else {}
        nested = {k: v for k, v in values.items() if k not in root_only}
        return json.dumps(nested, sort_keys=True, default=str)


def _root_argument_variables(root: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(root, FieldNode):
        for argument in root.arguments or ():
            _collect_variables(argument.value, names)
    return names


def _collect_variables(value: ValueNode, names: set[str]) -> None:
    if isinstance(value, VariableNode):
        names.add(value.name.value)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            _collect_variables(field.value, names)
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _collect_variables(item, names)


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
