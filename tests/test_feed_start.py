"""A feed that starts while items commit and are announced misses none and repeats none,
whether it loads what a notice announces or replays on each notice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from realtime.fanout import Listener, Notice
from realtime.hub import Hub
from resolvers.feeds import FeedSource, replayed_then_live

CHANNEL = "member:1"


class Items:
    """Items committed with increasing cursors, each announced on the channel after its
    commit, as the feeds' sources are."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.committed: list[int] = []

    async def commit(self) -> int:
        cursor = len(self.committed) + 1
        self.committed.append(cursor)
        await self.hub.publish(CHANNEL, json.dumps({"item": cursor}))
        return cursor

    async def latest(self) -> int:
        return max(self.committed, default=0)

    async def replay(self, after: int) -> AsyncIterator[tuple[int | None, int]]:
        for cursor in list(self.committed):
            if cursor > after:
                yield cursor, cursor

    def source(self, loads_live: bool) -> FeedSource[int]:
        async def live(notice: Notice, cursor: int) -> int:
            return cursor

        return FeedSource("item", self.latest, self.replay, live if loads_live else None)


async def next_of(feed: AsyncIterator[int]) -> int:
    async with asyncio.timeout(5):
        return await anext(feed)


@pytest.mark.parametrize("loads_live", [True, False], ids=["loads", "replays"])
async def test_an_item_announced_as_the_feed_starts_listening_comes_once(
    hub: Hub, loads_live: bool
) -> None:
    items = Items(hub)
    await items.commit()
    heard_at_start: list[int] = []

    @asynccontextmanager
    async def listen() -> AsyncIterator[Listener]:
        async with hub.listen([CHANNEL], lambda: None) as listener:
            # Committed and announced the moment the listener is there.
            heard_at_start.append(await items.commit())
            yield listener

    feed = replayed_then_live(listen(), items.source(loads_live), None)
    try:
        first = await next_of(feed)
        later = await items.commit()
        second = await next_of(feed)
    finally:
        await feed.aclose()

    assert heard_at_start == [2]
    assert [first, second] == [2, later]
    assert later == 3


@pytest.mark.parametrize("loads_live", [True, False], ids=["loads", "replays"])
async def test_an_item_committed_before_the_listener_is_there_is_replayed(
    hub: Hub, loads_live: bool
) -> None:
    items = Items(hub)

    @asynccontextmanager
    async def listen() -> AsyncIterator[Listener]:
        # Committed, and announced to nobody, after the feed took its start.
        await items.commit()
        async with hub.listen([CHANNEL], lambda: None) as listener:
            yield listener

    feed = replayed_then_live(listen(), items.source(loads_live), None)
    try:
        first = await next_of(feed)
        await items.commit()
        second = await next_of(feed)
    finally:
        await feed.aclose()

    assert [first, second] == [1, 2]
