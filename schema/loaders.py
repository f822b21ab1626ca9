"""DataLoaders: related rows fetched in one query per batch instead of one per row.

A set is made per HTTP request; a subscription must make a fresh one per event, or it would
serve rows cached from an earlier event. Private rows are loaded by (id, viewer): each
answers None where the viewer may not see it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader

from models import Exchange, Listing, Member, Message
from resolvers import conversations, exchanges, listings, members
from resolvers.conversations import SeenConversation
from resolvers.services import Services

T = TypeVar("T")
Seen = tuple[int, int]  # (id, the viewer's member id)


def _per_viewer(
    fetch: Callable[[Sequence[int], int], Awaitable[Sequence[T]]],
) -> DataLoader[Seen, T]:
    async def load(keys: list[Seen]) -> list[T]:
        found: dict[Seen, T] = {}
        for viewer in {viewer for _, viewer in keys}:
            ids = [i for i, v in keys if v == viewer]
            found.update(
                ((i, viewer), row) for i, row in zip(ids, await fetch(ids, viewer), strict=True)
            )
        return [found[key] for key in keys]

    return DataLoader(load)


class Loaders:
    """Each loader is made when a field first asks for it: most requests, and a live feed's
    helpers between events, use none or one, and a process keeps one set per socket."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @cached_property
    def member(self) -> DataLoader[int, Member | None]:
        return DataLoader(lambda ids: members.get_members(self._services, list(ids)))

    @cached_property
    def listing(self) -> DataLoader[int, Listing | None]:
        return DataLoader(lambda ids: listings.get_listings(self._services, list(ids)))

    @cached_property
    def exchange(self) -> DataLoader[Seen, Exchange | None]:
        return _per_viewer(
            lambda ids, viewer: exchanges.get_exchanges(self._services, list(ids), viewer)
        )

    @cached_property
    def conversation(self) -> DataLoader[Seen, SeenConversation | None]:
        return _per_viewer(
            lambda ids, viewer: conversations.get_conversations(self._services, ids, viewer)
        )

    @cached_property
    def unread(self) -> DataLoader[Seen, int]:
        return _per_viewer(
            lambda ids, viewer: conversations.unread_counts(self._services, viewer, ids)
        )

    @cached_property
    def message(self) -> DataLoader[Seen, Message | None]:
        return _per_viewer(
            lambda ids, viewer: conversations.get_messages(self._services, ids, viewer)
        )
