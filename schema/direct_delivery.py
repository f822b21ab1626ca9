"""Direct delivery: the short way for a live appeal to reach most of a process's helpers.

The helpers of a group (same document, same standpoint: schema.shared_execution) share one
execution of each live appeal. The group's first helper runs it the usual way, through
graphql-core and Strawberry. Every other helper's resolver finds that result, puts its own
distance in, and hands it to its operation's `next` sender: per helper, that skips building
the event's objects, a graphql-core execution and Strawberry's work on each result, which
were most of a delivery's cost at 5,000 helpers (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from realtime.fanout import Notice
from schema.shared_execution import Group, SharedResult, execution_key, operation_group


class NextSender(Protocol):
    async def send_next(self, data_json: str) -> None:
        """Send the operation a `next` message with this data, given as JSON, and no errors."""


# The `next` sender of the operation a task runs: set by the WebSocket handler as it starts
# each operation's task, so that task (and only it) sees its own.
operation_sender: ContextVar[NextSender | None] = ContextVar("operation_sender", default=None)


@dataclass(frozen=True, slots=True)
class DirectDelivery:
    sender: NextSender
    group: Group

    @classmethod
    def current(cls) -> DirectDelivery | None:
        """The direct delivery of the subscription the current task runs, if its transport
        offers one."""
        sender, group = operation_sender.get(), operation_group.get()
        return None if sender is None or group is None else cls(sender, group)

    async def delivered(self, notice: Notice, standpoint: Hashable, distance_km: float) -> bool:
        """Whether the event went out this way; if not, it takes the usual way."""
        shared = await notice.shared(execution_key(self.group, standpoint))
        # A result with errors takes the usual way, where they are masked and logged.
        if not isinstance(shared, SharedResult) or shared.result.errors:
            return False
        await self.sender.send_next(shared.data_json(distance_km))
        return True
