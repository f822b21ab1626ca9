"""Relay's `Node`: every object with an id, fetched again by that id alone.

Each type with an id implements `Node` and joins the registry with one line,
`node_kind("Kind", fetch)`, where `fetch` answers a batch of primary keys with the objects
the viewer may see: None for a key that names nothing *or* something private to others, so
`node(id:)` answers an exchange of others exactly as an id never issued.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import strawberry

from resolvers.errors import DomainError, invalid
from resolvers.services import Services
from resolvers.translations import N_
from schema.context import Info
from schema.errors import bad_user_input
from schema.ids import MAX_PRIMARY_KEY, decode_any_id

MAX_NODES = 100


@strawberry.interface(description="An object with an id: `node(id:)` fetches it again.")
class Node:
    id: strawberry.ID


NodeFetch = Callable[[Info, list[int]], Awaitable[Sequence[Node | None]]]
_FETCHES: dict[str, NodeFetch] = {}


def node_kind(kind: str, fetch: NodeFetch) -> None:
    """Let `node` and `nodes` answer the ids of `kind` (as `encode_id` writes them)."""
    _FETCHES[kind] = fetch


Row = TypeVar("Row")


def private_node_kind(
    kind: str,
    fetch: Callable[[Services, list[int], int], Awaitable[Sequence[Row | None]]],
    shown: Callable[[Row], Node],
) -> None:
    """`node_kind` for objects only some members see: `fetch(services, pks, viewer_id)` answers
    None for what the viewer may not see, and an anonymous caller sees none of them."""

    async def visible(info: Info, pks: list[int]) -> list[Node | None]:
        viewer_id = info.context.viewer_id
        if viewer_id is None:
            return [None] * len(pks)
        found = await fetch(info.context.services, pks, viewer_id)
        return [None if row is None else shown(row) for row in found]

    node_kind(kind, visible)


async def _visible_nodes(info: Info, ids: list[strawberry.ID], field: str) -> list[Node | None]:
    try:
        wanted = [decode_any_id(value, field) for value in ids]
    except DomainError as error:
        raise bad_user_input(error) from None
    keys_by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, pk in wanted:
        if kind in _FETCHES and pk <= MAX_PRIMARY_KEY:
            keys_by_kind[kind].add(pk)
    found: dict[tuple[str, int], Node | None] = {}
    for kind, keys in keys_by_kind.items():
        batch = sorted(keys)
        for pk, node in zip(batch, await _FETCHES[kind](info, batch), strict=True):
            found[kind, pk] = node
    return [found.get(key) for key in wanted]


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its id, if you may see it: null for an id never issued "
        "and for another member's private object alike."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return (await _visible_nodes(info, [id], "id"))[0]

    @strawberry.field(
        description=f"Objects by id (at most {MAX_NODES}), in the order asked: null where "
        "`node(id:)` would be."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise bad_user_input(
                invalid("ids", N_("at most {limit} ids at once"), limit=MAX_NODES)
            )
        return await _visible_nodes(info, ids, "ids")
