"""Live events delivered the short way: a result made once per process for each group of
subscribers that see an event alike, and sent to each with its own distance.

Subscribers of a group (the same document, the same variables below its root field, the same
standpoint) get the same result for an event but for their own `distanceKm`. The group's
first subscriber to take an event executes it the usual way with a marker distance
(schema/shared_execution.py), and its result is kept here, its JSON text cut where the marker
sits. Every other subscriber of the group finds it here and hands it, with its own distance
put in, to its operation's `next` sender, which the transport gives (indigo/websocket.py):
per subscriber, that skips building the event's objects, a GraphQL execution and the
encoding of its result, which were most of a delivery's cost at 5,000 helpers
(docs/benchmarks.md).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import Counter

from realtime.once import Once

# A distance no event can be at: found in a shared result, it marks where each subscriber's
# own goes.
MARKER_KM = -1.0e-300
# Together, how much of a live feed's deliveries the subscribers of a process share.
LIVE_EVENT_EXECUTIONS = Counter(
    "indigo_live_event_executions",
    "Live events executed, once per process for each group of subscribers that see them alike",
)
LIVE_EVENTS_SHARED = Counter(
    "indigo_live_events_shared",
    "Live events sent with the result of another subscriber's execution, executing nothing",
)


class NextSender(Protocol):
    async def send_next(self, data_json: str) -> None:
        """Send the operation a `next` message with this data, given as JSON, and no errors."""


class LiveTransport(Protocol):
    """What a live feed asks of the connection its subscriber came on."""

    def next_sender(self) -> NextSender | None:
        """The `next` sender of the operation the current task runs, if the transport has one."""

    def cut_off(self) -> None:
        """Close the connection of a subscriber that fell too far behind, saying why."""


@dataclass(frozen=True, slots=True)
class SharedResult:
    """A group's result, with the marker distance, and its JSON text cut where it sits."""

    data: Any
    errors: Sequence[Any] | None
    chunks: list[str]  # the JSON text of `data`, cut where the distance goes

    @classmethod
    def of(cls, data: Any, errors: Sequence[Any] | None = None) -> SharedResult:
        return cls(data, errors, _json_chunks(data))

    def data_for(self, distance_km: float) -> Any:
        """A copy of the data with `distance_km` wherever the marker is, one level down."""
        if not isinstance(self.data, dict):
            return self.data
        return {
            key: (
                {k: distance_km if v == MARKER_KM else v for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
            for key, value in self.data.items()
        }

    def data_json(self, distance_km: float) -> str:
        """The JSON text of `data_for(distance_km)`, made without encoding it."""
        return repr(float(distance_km)).join(self.chunks)  # json.dumps' text for a float


class LiveResults:
    """The results of a process's `keep` latest live events, each under its group's key."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._events: OrderedDict[Hashable, Once] = OrderedDict()

    async def once(
        self, event: Hashable, key: Hashable, execute: Callable[[], Awaitable[SharedResult]]
    ) -> SharedResult:
        """The result for `key`, executed by the first subscriber that asks, shared by all."""
        results = self._events.get(event)
        if results is None:
            results = self._events[event] = Once()
            if len(self._events) > self._keep:
                self._events.popitem(last=False)
        return await results.get(key, lambda: _counted(execute))

    def of(self, event: Hashable) -> Once | None:
        """The results kept for `event`, each under its key; None if none was executed."""
        return self._events.get(event)


@dataclass(frozen=True, slots=True)
class DirectDelivery:
    """One operation's short way: its sender, and the group whose results it takes."""

    sender: NextSender
    results: LiveResults
    group: Hashable

    async def delivered(self, event: Hashable, standpoint: Hashable, distance_km: float) -> bool:
        """Whether the event went out this way; if not, it takes the usual way."""
        results = self.results.of(event)
        shared = None if results is None else await results.computed((self.group, standpoint))
        # A result with errors takes the usual way, where they are masked and logged.
        if shared is None or shared.errors:
            return False
        LIVE_EVENTS_SHARED.inc()
        await self.sender.send_next(shared.data_json(distance_km))
        return True


async def _counted(execute: Callable[[], Awaitable[SharedResult]]) -> SharedResult:
    LIVE_EVENT_EXECUTIONS.inc()
    return await execute()


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
