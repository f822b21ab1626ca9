"""The order of the appeal feed across processes: appeals are placed in the feed after they
commit, so posting one never waits for another anywhere in the network, and a helper replays
them from a cursor in the order they became visible, with no gap and no duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from models import Asset, Database
from models.locks import lock_accounts
from realtime.channels import cell_channels, cells_in_box
from resolvers.geo import GeoPoint
from resolvers.nearby import bounding_box
from schema.ids import decode_id
from tests.api import Api
from tests.live import PARIS, feed_variables, post_appeal, subscribed
from tests.polling import until
from tests.processes import uvicorn_process
from tests.redis_server import RedisServer
from tests.test_two_processes import subscribers_in_redis

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# About 38 km north-east of Paris: another area, in cells of its own.
CHANTILLY = {"latitude": 49.194, "longitude": 2.471}


@asynccontextmanager
async def two_apis(database_url: str, redis: RedisServer) -> AsyncIterator[tuple[Api, Api]]:
    async with (
        uvicorn_process(database_url, redis.url) as first,
        uvicorn_process(database_url, redis.url) as second,
        httpx.AsyncClient(base_url=first.url) as on_first,
        httpx.AsyncClient(base_url=second.url) as on_second,
    ):
        yield Api(on_first), Api(on_second)


async def listening_in_paris(redis: RedisServer, database_url: str, radius_km: float) -> None:
    """Wait until a feed of `radius_km` around Paris listens in Redis, in whichever cells."""
    box = bounding_box(GeoPoint(**PARIS), radius_km)
    listened = set(cells_in_box(box.south, box.north, box.longitudes))
    (channel,) = listened.intersection(cell_channels(**PARIS))
    await subscribers_in_redis(redis, database_url, channel, 1)


def url_of(api: Api) -> str:
    return str(api.http.base_url).rstrip("/")


def appeals_and_positions(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    found = [event["appealCreated"] for event in events]
    return [(e["appeal"]["id"], decode_id("ListingFeed", e["cursor"])) for e in found]


async def waiting_on_a_lock(database: Database) -> bool:
    async with database.read() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def test_an_appeal_commits_and_is_heard_while_another_appeal_is_still_posting(
    database_url: str, database: Database, redis: RedisServer
) -> None:
    async with two_apis(database_url, redis) as (first, second):
        in_paris, in_chantilly = await first.register(), await second.register()
        helper = feed_variables(PARIS, 60)
        async with subscribed(url_of(first), "AppealFeed", helper) as feed:
            await listening_in_paris(redis, database_url, 60)
            await post_appeal(first, in_paris)
            cursor = (await feed.next())["appealCreated"]["cursor"]
            async with database.write() as session:
                # Another transaction holds the Paris asker's digos: their appeal's own
                # transaction waits for it, open, after taking whatever it takes first.
                await lock_accounts(session, [(decode_id("Member", in_paris.id), Asset.DIGO)])
                stuck = asyncio.create_task(post_appeal(first, in_paris))
                await until(lambda: waiting_on_a_lock(database))
                elsewhere = await post_appeal(second, in_chantilly, location=CHANTILLY)
                heard_while_stuck = [await feed.next()]
                still_posting = not stuck.done()
            unstuck = await stuck
            heard = [*heard_while_stuck, await feed.next()]

        async with subscribed(
            url_of(second), "AppealFeed", feed_variables(PARIS, 60, after=cursor)
        ) as resumed:
            replayed = [await resumed.next() for _ in range(2)]

    assert still_posting
    assert [appeal for appeal, _ in appeals_and_positions(heard)] == [elsewhere, unstuck]
    assert appeals_and_positions(replayed) == appeals_and_positions(heard)
    assert appeals_and_positions(heard)[0][1] < appeals_and_positions(heard)[1][1]


async def test_appeals_posted_at_once_through_two_processes_replay_with_no_gap_or_duplicate(
    database_url: str, database: Database, redis: RedisServer
) -> None:
    async with two_apis(database_url, redis) as (first, second):
        askers = [await api.register() for api in (first, second) for _ in range(3)]
        apis = [first] * 3 + [second] * 3
        async with subscribed(url_of(first), "AppealFeed", feed_variables()) as live_feed:
            await listening_in_paris(redis, database_url, 10)
            await post_appeal(first, askers[0])
            cursor = (await live_feed.next())["appealCreated"]["cursor"]
            # Two each but for the first asker, whose first appeal is the one above.
            posters = [*zip(apis, askers, strict=True), *zip(apis[1:], askers[1:], strict=True)]
            posting = asyncio.gather(*(post_appeal(api, asker) for api, asker in posters))
            # Resumed from the cursor while the appeals are being posted: each comes through
            # the replay or live, once.
            async with subscribed(
                url_of(second), "AppealFeed", feed_variables(after=cursor)
            ) as resuming:
                posted = await posting
                heard_live = [await live_feed.next() for _ in posted]
                heard_resuming = [await resuming.next() for _ in posted]
        async with subscribed(
            url_of(first), "AppealFeed", feed_variables(after=cursor)
        ) as replaying:
            replayed = [await replaying.next() for _ in posted]

    live = appeals_and_positions(heard_live)
    assert sorted(appeal for appeal, _ in live) == sorted(posted)
    assert [position for _, position in live] == sorted({position for _, position in live})
    assert appeals_and_positions(heard_resuming) == live
    assert appeals_and_positions(replayed) == live
