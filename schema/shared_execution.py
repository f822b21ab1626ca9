"""A live event executed once per process for each group of subscribers that see it alike,
and the short way that sends that result to the group's other subscribers
(realtime/live_results.py).

A subscription's group is its document and the values of the variables used anywhere but in
its root field's arguments (those choose which events come, not what each one shows); with
the standpoint an event is seen from, it decides the event's result but for `distanceKm`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Hashable, Iterable
from typing import Any, Protocol, cast

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from realtime.live_results import MARKER_KM, DirectDelivery, LiveResults, SharedResult
from schema.context import Context, Info


class SharedEvent(Protocol):
    """A subscription event that may be executed once for many subscribers."""

    distance_km: float
    # The live event it is and the standpoint it is seen from; None: executed on its own.
    shared_as: tuple[Hashable, Hashable] | None


Group = tuple[int, str]


def group_of(
    operation: OperationDefinitionNode,
    fragments: Iterable[FragmentDefinitionNode],
    variables: Any,
) -> Group:
    used = _variables_below_root(operation, fragments)
    coerced = getattr(variables, "coerced", variables) or {}
    nested = {k: v for k, v in coerced.items() if k in used}
    return id(operation), json.dumps(nested, sort_keys=True, default=str)


def direct_delivery(info: Info) -> DirectDelivery | None:
    """The short way for the live events of the subscription `info` resolves, if its
    transport offers one."""
    transport = info.context.transport
    sender = None if transport is None else transport.next_sender()
    if sender is None:
        return None
    raw = info._raw_info  # Strawberry's Info does not expose the document's fragments
    group = group_of(raw.operation, raw.fragments.values(), raw.variable_values)
    return DirectDelivery(sender, info.context.services.hub.live_results, group)


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        seen = getattr(event, "shared_as", None)
        if seen is None or self.operation.operation is not OperationType.SUBSCRIPTION:
            return super().execute_operation(serially)
        fragments = [details.definition for details in self.fragments.values()]
        group = group_of(self.operation, fragments, self.variable_values)
        return self._shared(event, seen[0], (group, seen[1]), serially)

    async def _shared(
        self, event: SharedEvent, shared_as: Hashable, key: Hashable, serially: bool | None
    ) -> ExecutionResult:
        async def execute() -> SharedResult:
            self.root_value = dataclasses.replace(event, distance_km=MARKER_KM)  # type: ignore[type-var]
            result = super(SharedEventExecution, self).execute_operation(serially)
            outcome = cast(
                ExecutionResult, await result if isinstance(result, Awaitable) else result
            )
            return SharedResult.of(outcome.data, outcome.errors)

        results: LiveResults = cast(Context, self.context_value).services.hub.live_results
        shared = await results.once(shared_as, key, execute)
        errors = cast(list[GraphQLError] | None, shared.errors)
        return ExecutionResult(shared.data_for(event.distance_km), errors)


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
