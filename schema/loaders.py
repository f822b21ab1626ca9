"""DataLoaders: related rows fetched in one query per batch instead of one per row.

A set is made per HTTP request; a subscription must make a fresh one per event, or it would
serve rows cached from an earlier event. Private rows are loaded by (id, viewer): each
answers None where the viewer may not see it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
    def __init__(self, services: Services) -> None:
        self.member: DataLoader[int, Member | None] = DataLoader(
            lambda ids: members.get_members(services, list(ids))
        )
        self.listing: DataLoader[int, Listing | None] = DataLoader(
            lambda ids: listings.get_listings(services, list(ids))
        )
        self.exchange: DataLoader[Seen, Exchange | None] = _per_viewer(
            lambda ids, viewer: exchanges.get_exchanges(services, list(ids), viewer)
        )
        self.conversation: DataLoader[Seen, SeenConversation | None] = _per_viewer(
            lambda ids, viewer: conversations.get_conversations(services, ids, viewer)
        )
        self.unread: DataLoader[Seen, int] = _per_viewer(
            lambda ids, viewer: conversations.unread_counts(services, viewer, ids)
        )
        self.message: DataLoader[Seen, Message | None] = _per_viewer(
            lambda ids, viewer: conversations.get_messages(services, ids, viewer)
        )
