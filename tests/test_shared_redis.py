"""Two deployments on one Redis (a redis-server of the test's own), each with its own
database and feed: neither hears the other, before or after Redis restarts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from indigo.settings import Settings
from models import Database
from tests.live import PARIS, Served, feed_variables, post_appeal, served, subscribed
from tests.polling import until
from tests.redis_server import RedisServer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def appeal_ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["appealCreated"]["appeal"]["id"] for event in events]


async def appeals(server: Served, count: int) -> list[str]:
    """`count` appeals at Paris, by members enough to be under the cap of open appeals."""
    askers = [await server.api.register() for _ in range(count)]
    return [await post_appeal(server.api, asker) for asker in askers]


async def test_two_deployments_on_one_redis_never_hear_each_other(
    database_url: str,
    database: Database,
    redis: RedisServer,
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    other_file = tmp_path / "other" / "indigo.db"  # the same name, in another folder
    other_file.parent.mkdir()
    shutil.copyfile(sqlite_template, other_file)
    ours = Settings(database_url=database_url, broadcast_url=redis.url, _env_file=None)
    theirs = ours.model_copy(update={"database_url": f"sqlite+aiosqlite:///{other_file}"})
    assert ours.channel_prefix != theirs.channel_prefix

    async with (
        served(ours) as first,
        served(theirs) as second,
        subscribed(first.url, "AppealFeed", feed_variables()) as first_feed,
        subscribed(second.url, "AppealFeed", feed_variables()) as second_feed,
    ):
        await first.listening(PARIS)
        await second.listening(PARIS)
        # The second deployment's ids run ahead: heard by the first, they would pass for its
        # own, and after a restart its feed would resume past appeals it never sent.
        second_before = await appeals(second, 4)
        first_before = await appeals(first, 1)
        heard_second = [await second_feed.next() for _ in second_before]
        heard_first = [await first_feed.next() for _ in first_before]

        await redis.stop()
        await until(lambda: not first.hub.healthy and not second.hub.healthy)
        first_while_down = await appeals(first, 2)
        second_while_down = await appeals(second, 1)
        await redis.start()
        await until(lambda: first.hub.healthy and second.hub.healthy)
        first_after = await appeals(first, 1)
        second_after = await appeals(second, 1)
        heard_first += [await first_feed.next() for _ in range(3)]
        heard_second += [await second_feed.next() for _ in range(2)]
        # Each feed's next event is its own deployment's, and nothing came in between.
        last_first, last_second = await appeals(first, 1), await appeals(second, 1)
        heard_first.append(await first_feed.next())
        heard_second.append(await second_feed.next())

    assert appeal_ids(heard_first) == first_before + first_while_down + first_after + last_first
    assert appeal_ids(heard_second) == (
        second_before + second_while_down + second_after + last_second
    )
