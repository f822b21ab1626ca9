"""A live feed with replay: what a subscriber missed since a cursor, from the database, then
what comes live, with no gap and no duplicate.

The feed takes its starting cursor (`after`, or else the latest one), then listens, holding
what arrives in its queue, then replays every item with a cursor above the start from the
database, then serves live notices, skipping any whose cursor it already reached: whatever
commits while it subscribes or replays comes through one way or the other, once. When the
broadcaster reconnects after losing Redis (a `resync` notice), the feed catches up the same
way from the last cursor it reached.

Cursors become visible in increasing order in the feed's scope, and are announced in that
order: the feed of new listings (appeals included) gives its positions after the listings
commit, one turn of the whole network at a time (resolvers/listing_feed.py); each member's
rows commit in id order under that member's feed turn (resolvers/feed_order.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, TypeVar

from realtime.fanout import Listener, Notice

T = TypeVar("T")

# Items with their cursor, in cursor order, after a cursor; None where an item is not for
# this subscriber (its cursor still counts as reached).
Replay = Callable[[int], AsyncIterator[tuple[T | None, int]]]


@dataclass(frozen=True, slots=True)
class FeedSource(Generic[T]):
    """Where a feed's items come from.

    `key` names the cursor in a live notice's body. `live` loads the item a notice announces;
    without it each notice makes the feed replay from the last cursor it reached, for feeds
    whose announcements may arrive out of cursor order (published after the commit, outside
    the turn that ordered the commits).
    """

    key: str
    latest: Callable[[], Awaitable[int]]
    replay: Replay[T]
    live: Callable[[Notice, int], Awaitable[T | None]] | None = None


async def replayed_then_live(
    listen: AbstractAsyncContextManager[Listener], source: FeedSource[T], after: int | None
) -> AsyncGenerator[T, None]:
    """The feed over the listener `listen` gives, entered once the start is known."""
    # Read before listening: a cursor read after could cover an item whose notice went out
    # before the listener was there.
    start = after if after is not None else await source.latest()
    # One generator, not two: a subscriber keeps its frames for as long as it listens.
    async with listen as listener:
        floor = highest = start  # live cursors up to `floor` were replayed or predate the feed
        catch_up_from: int | None = start
        # A list, not a set (216 bytes empty): a broadcaster reconnects seldom.
        resyncs: list[object] = []
        while True:
            if catch_up_from is not None:
                async for item, cursor in source.replay(catch_up_from):
                    floor = highest = cursor
                    if item is not None:
                        yield item
                catch_up_from = None
            notice = await anext(listener)
            resync = notice.body.get("resync")
            if resync is not None:
                # The broadcaster reconnected: what was published meanwhile is in the database.
                if resync not in resyncs:
                    resyncs.append(resync)
                    catch_up_from = highest
                continue
            announced = notice.body.get(source.key)
            if not isinstance(announced, int) or announced <= floor:
                continue
            if source.live is None:
                catch_up_from = highest
                continue
            highest = max(highest, announced)
            item = await source.live(notice, announced)
            if item is not None:
                yield item
