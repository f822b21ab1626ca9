"""A live appeal's result made once per group of helpers: the marker distance replaced by each
helper's own, in the data and in the JSON text that direct delivery sends as it is."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
)
from hypothesis import given
from hypothesis import strategies as st

from realtime.live_results import MARKER_KM, DirectDelivery, LiveResults, SharedResult
from schema.shared_execution import group_of

DOCUMENT = parse(
    "subscription($near: GeoPointInput!, $radiusKm: Float!, $size: Int) {"
    " appealCreated(near: $near, radiusKm: $radiusKm) { distanceKm appeal { title(size: $size) } }"
    " }"
)
OPERATION = cast(OperationDefinitionNode, DOCUMENT.definitions[0])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
event_fields = st.dictionaries(st.text(), json_values | st.just(MARKER_KM), max_size=6)
distances = st.floats(min_value=0, max_value=100, allow_nan=False)


class Sent:
    """The `next` sender of one operation, keeping what it was given."""

    def __init__(self) -> None:
        self.data: list[Any] = []

    async def send_next(self, data_json: str) -> None:
        self.data.append(json.loads(data_json))


@given(event=event_fields, distance_km=distances)
def test_each_helper_gets_the_shared_result_with_its_own_distance(
    event: dict[str, Any], distance_km: float
) -> None:
    shared = SharedResult.of({"appealCreated": event})

    mine = shared.data_for(distance_km)
    expected = {k: distance_km if v == MARKER_KM else v for k, v in event.items()}
    assert mine == {"appealCreated": expected}
    assert json.loads(shared.data_json(distance_km)) == mine


def test_text_that_looks_like_the_marker_is_left_as_it_is() -> None:
    event = {"distanceKm": MARKER_KM, "title": "-1e-300", "note": str(MARKER_KM)}
    shared = SharedResult.of({"appealCreated": event})

    assert json.loads(shared.data_json(2.5)) == {
        "appealCreated": {"distanceKm": 2.5, "title": "-1e-300", "note": "-1e-300"}
    }


def test_only_variables_used_below_the_root_set_a_group_apart() -> None:
    here = {"near": {"latitude": 48.85}, "radiusKm": 5.0, "size": 10}
    there = {"near": {"latitude": 45.76}, "radiusKm": 50.0, "size": 10}
    shorter = {**here, "size": 3}

    assert group_of(OPERATION, [], here) == group_of(OPERATION, [], there)
    assert group_of(OPERATION, [], here) != group_of(OPERATION, [], shorter)


def test_a_root_argument_used_again_below_the_root_sets_a_group_apart() -> None:
    document = parse(
        "subscription($near: GeoPointInput!, $radiusKm: Float!, $mine: Boolean!) {"
        " appealCreated(near: $near, radiusKm: $radiusKm) { ...Shown } }"
        " fragment Shown on AppealFeedEvent {"
        " distanceKm @include(if: $mine) appeal { title(size: $radiusKm) } }"
    )
    operation, fragment = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert isinstance(fragment, FragmentDefinitionNode)
    near = {"near": {"latitude": 48.85}, "radiusKm": 5.0, "mine": True}

    def group(**changed: object) -> object:
        return group_of(operation, [fragment], {**near, **changed})

    assert group(near={"latitude": 45.76}) == group()
    assert group(radiusKm=50.0) != group()
    assert group(mine=False) != group()


async def test_direct_delivery_sends_the_groups_result_with_the_helpers_distance() -> None:
    group = group_of(OPERATION, [], {})
    results = LiveResults(keep=2)
    shared = SharedResult.of({"appealCreated": {"distanceKm": MARKER_KM}})

    async def execute() -> SharedResult:
        return shared

    await results.once(("listing", 7), (group, "anonymous"), execute)
    sent = Sent()
    direct = DirectDelivery(sent, results, group)

    assert await direct.delivered(("listing", 7), "anonymous", 1.25)
    assert sent.data == [{"appealCreated": {"distanceKm": 1.25}}]


async def test_direct_delivery_leaves_to_the_usual_way_what_it_has_no_clean_result_for() -> None:
    group = group_of(OPERATION, [], {})
    results = LiveResults(keep=2)
    failed = SharedResult.of({"appealCreated": None}, [GraphQLError("internal detail")])

    async def execute() -> SharedResult:
        return failed

    await results.once(("listing", 7), (group, "member"), execute)
    sent = Sent()
    direct = DirectDelivery(sent, results, group)

    assert not await direct.delivered(("listing", 7), "member", 1.0)  # errors: the usual way
    assert not await direct.delivered(("listing", 7), "anonymous", 1.0)  # none executed it yet
    assert not await direct.delivered(("listing", 8), "member", 1.0)  # another event
    other_group = DirectDelivery(sent, results, group_of(OPERATION, [], {"size": 3}))
    assert not await other_group.delivered(("listing", 7), "member", 1.0)
    assert sent.data == []


async def test_results_are_kept_for_the_latest_events_only() -> None:
    group = group_of(OPERATION, [], {})
    results = LiveResults(keep=2)
    executed: list[int] = []

    def execute(position: int) -> Callable[[], Awaitable[SharedResult]]:
        async def run() -> SharedResult:
            executed.append(position)
            return SharedResult.of({"appealCreated": {"position": position}})

        return run

    for position in (1, 2, 3):
        await results.once(("listing", position), (group, "member"), execute(position))
    await results.once(("listing", 3), (group, "member"), execute(3))

    assert executed == [1, 2, 3]  # the third event's result was shared
    assert results.of(("listing", 1)) is None
    kept_for_2 = results.of(("listing", 2))
    assert kept_for_2 is not None
    kept = await kept_for_2.computed((group, "member"))
    assert kept is not None
    assert kept.data == {"appealCreated": {"position": 2}}
