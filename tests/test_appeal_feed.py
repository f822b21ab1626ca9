"""The helpers' live appeal feed, over real WebSockets against a real uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from indigo.settings import Settings
from models import Database
from resolvers.listing_feed import LISTING_FEED_TURN
from schema.ids import decode_id, encode_id
from schema.subscriptions import APPEAL_ID_CURSOR
from tests.live import (
    LYON,
    NEAR_PARIS,
    PARIS,
    Served,
    feed_variables,
    post_appeal,
    served,
    subscribed,
)
from tests.metrics import read_metrics, value
from tests.polling import until


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


def appeal_ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["appealCreated"]["appeal"]["id"] for event in events]


async def test_a_helper_1_km_away_receives_the_appeal_and_one_400_km_away_does_not(
    server: Served,
) -> None:
    asker, lyonnais = await server.api.register(), await server.api.register()
    async with (
        subscribed(server.url, "AppealFeed", feed_variables(NEAR_PARIS, 10)) as near,
        subscribed(server.url, "AppealFeed", feed_variables(LYON, 10)) as far,
    ):
        await server.listening(PARIS)
        await server.listening(LYON)
        in_paris = await post_appeal(server.api, asker, location=PARIS)
        in_lyon = await post_appeal(server.api, lyonnais, location=LYON)
        heard_near, heard_far = await near.next(), await far.next()

    # Far away, the first appeal heard is Lyon's own, published after the one in Paris.
    assert appeal_ids([heard_near]) == [in_paris]
    assert appeal_ids([heard_far]) == [in_lyon]
    # To where the appeal is shown, (48.86, 2.35), not to Paris's centre 1 km away.
    assert heard_near["appealCreated"]["distanceKm"] == pytest.approx(1.223, abs=0.001)


async def test_the_feed_shows_the_appeal_as_anyone_may_see_it(server: Served) -> None:
    asker = await server.api.register(display_name="Sacha")
    exact = {"latitude": 48.856614, "longitude": 2.352222}
    async with subscribed(server.url, "AppealFeed", feed_variables(PARIS, 5)) as feed:
        await server.listening(PARIS)
        appeal_id = await post_appeal(server.api, asker, location=exact, title="Tax form")
        event = (await feed.next())["appealCreated"]

    created_at = event["appeal"].pop("createdAt")
    assert event == {
        "cursor": event["cursor"],
        "distanceKm": pytest.approx(0.41, abs=0.001),
        "appeal": {
            "id": appeal_id,
            "type": "APPEAL",
            "kind": "SERVICE",
            "category": "lessons",
            "title": "Tax form",
            "description": "",
            "digos": 30,
            "location": {"latitude": 48.86, "longitude": 2.35},
            "author": {"id": asker.id, "displayName": "Sacha"},
        },
    }
    assert created_at.endswith("+00:00")


async def test_the_feed_keeps_to_the_categories_asked_for(server: Served) -> None:
    asker = await server.api.register()
    variables = feed_variables(PARIS, 10, categories=["gardening", "repairs"])
    async with subscribed(server.url, "AppealFeed", variables) as feed:
        await server.listening(PARIS)
        await post_appeal(server.api, asker, category="lessons")
        garden = await post_appeal(server.api, asker, category="gardening")
        repair = await post_appeal(server.api, asker, category="repairs")
        heard = [await feed.next(), await feed.next()]

    assert appeal_ids(heard) == [garden, repair]


async def test_other_kinds_of_listing_are_not_in_the_feed(server: Served) -> None:
    asker = await server.api.register()
    async with subscribed(server.url, "AppealFeed", feed_variables(PARIS, 10)) as feed:
        await server.listening(PARIS)
        need = {
            "type": "NEED",
            "kind": "GOOD",
            "category": "lessons",
            "title": "A need",
            "description": "",
            "digos": 5,
            "location": PARIS,
        }
        await server.api.data("CreateListing", {"input": need}, token=asker.token)
        appeal = await post_appeal(server.api, asker)
        heard = await feed.next()

    assert appeal_ids([heard]) == [appeal]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        (feed_variables({"latitude": 91, "longitude": 0}), "near.latitude"),
        (feed_variables({"latitude": 0, "longitude": -181}), "near.longitude"),
        (feed_variables(PARIS, 0), "radiusKm"),
        (feed_variables(PARIS, 100.5), "radiusKm"),
        (feed_variables(PARIS, 10, categories=["no-such-thing"]), "categories"),
        (feed_variables(PARIS, 10, after="not a cursor"), "after"),
        (feed_variables(PARIS, 10, after="TGlzdGluZzox"), "after"),  # a Listing id
    ],
)
async def test_a_feed_with_bad_arguments_is_refused(
    server: Served, variables: dict[str, Any], field: str
) -> None:
    async with subscribed(server.url, "AppealFeed", variables) as feed:
        message = await feed.message()

    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("BAD_USER_INPUT", field)
    ]


async def test_resubscribing_after_a_cursor_replays_exactly_what_was_missed(
    server: Served,
) -> None:
    first, second = await server.api.register(), await server.api.register()
    async with subscribed(server.url, "AppealFeed", feed_variables()) as feed:
        await server.listening(PARIS)
        seen = await post_appeal(server.api, first)
        cursor = (await feed.next())["appealCreated"]["cursor"]
    missed = [await post_appeal(server.api, m) for m in (first, second, second)]
    await post_appeal(server.api, first, location=LYON)

    async with subscribed(server.url, "AppealFeed", feed_variables(after=cursor)) as feed:
        replayed = [await feed.next() for _ in missed]
        await server.listening(PARIS)
        live = await post_appeal(server.api, second, location=NEAR_PARIS)
        after_replay = await feed.next()

    assert seen not in missed
    assert appeal_ids(replayed) == missed
    assert appeal_ids([after_replay]) == [live]


async def test_appeals_created_while_the_replay_runs_arrive_once_each(server: Served) -> None:
    askers = [await server.api.register() for _ in range(6)]
    async with subscribed(server.url, "AppealFeed", feed_variables()) as feed:
        await server.listening(PARIS)
        await post_appeal(server.api, askers[0])
        cursor = (await feed.next())["appealCreated"]["cursor"]
    before = [await post_appeal(server.api, a) for a in askers[1:] for _ in range(2)]

    async with subscribed(server.url, "AppealFeed", feed_variables(after=cursor)) as feed:
        # Posted as the replay starts: each lands in the replay or live, never both.
        during = await asyncio.gather(*(post_appeal(server.api, a) for a in askers[1:]))
        heard = [await feed.next() for _ in range(len(before) + len(during))]
        live = await post_appeal(server.api, askers[0], location=NEAR_PARIS)
        last = await feed.next()

    ids = appeal_ids(heard)
    assert sorted(ids) == sorted(before + during)
    assert len(set(ids)) == len(ids)
    assert ids[: len(before)] == before
    assert appeal_ids([last]) == [live]


async def test_helpers_of_one_process_each_get_their_own_distance_and_view(
    server: Served,
) -> None:
    author = await server.api.register(display_name="Sacha")
    member = await server.api.register()
    exact = {"latitude": 48.856614, "longitude": 2.352222}
    before = await read_metrics(server.api.http)
    async with (
        subscribed(server.url, "AppealFeed", feed_variables(PARIS, 10)) as anonymous_here,
        subscribed(server.url, "AppealFeed", feed_variables(NEAR_PARIS, 10)) as anonymous_away,
        subscribed(
            server.url, "AppealFeed", feed_variables(NEAR_PARIS, 10), token=member.token
        ) as member_away,
        subscribed(
            server.url, "AppealFeed", feed_variables(PARIS, 10), token=author.token
        ) as authors_own,
    ):
        await server.listening(PARIS, 4)
        await post_appeal(server.api, author, location=exact)
        events = [
            (await feed.next())["appealCreated"]
            for feed in (anonymous_here, anonymous_away, member_away, authors_own)
        ]
    after = await read_metrics(server.api.http)

    # Measured to the rounded point for everyone: what a feed is filtered by.
    assert [round(e["distanceKm"], 1) for e in events] == [0.4, 1.2, 1.2, 0.4]
    assert [e["appeal"]["location"] for e in events] == [
        {"latitude": 48.86, "longitude": 2.35},
        {"latitude": 48.86, "longitude": 2.35},
        {"latitude": 48.86, "longitude": 2.35},
        exact,
    ]
    assert len({e["cursor"] for e in events}) == 1

    # Executed once per standpoint: the two anonymous helpers share one execution.
    def grown(name: str) -> float:
        return value(after, name) - value(before, name)

    assert grown("indigo_live_event_executions_total") == 3
    assert grown("indigo_live_events_shared_total") == 1
    assert grown("indigo_events_delivered_total") == 4


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_listings_take_turns_for_their_feed_position_across_processes_until_published(
    database_url: str,
) -> None:
    # Two Database objects stand for two processes: only PostgreSQL's lock joins them.
    first, second = Database(database_url), Database(database_url)
    order: list[str] = []

    async def waiting_appeal() -> None:
        async with second.exclusive(LISTING_FEED_TURN):
            order.append("second listing's turn")

    async def someone_waits_for_the_turn() -> bool:
        async with first.read() as session:
            waiting = await session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
        return bool(waiting == 1)

    try:
        async with first.exclusive(LISTING_FEED_TURN):
            waiting = asyncio.create_task(waiting_appeal())
            await until(someone_waits_for_the_turn)
            order.append("first listing placed and published")
        await waiting
    finally:
        await first.dispose()
        await second.dispose()

    assert order == ["first listing placed and published", "second listing's turn"]


async def test_a_cursor_given_before_feed_positions_still_resumes_after_its_appeal(
    server: Served,
) -> None:
    first, second = await server.api.register(), await server.api.register()
    seen = await post_appeal(server.api, first)
    missed = [await post_appeal(server.api, m) for m in (second, first)]
    # As the feed wrote cursors when they were appeal ids.
    cursor = encode_id(APPEAL_ID_CURSOR, decode_id("Listing", seen))

    async with subscribed(server.url, "AppealFeed", feed_variables(after=cursor)) as feed:
        replayed = [await feed.next() for _ in missed]
        await server.listening(PARIS)
        live = await post_appeal(server.api, second, location=NEAR_PARIS)
        after_replay = await feed.next()

    assert appeal_ids(replayed) == missed
    assert appeal_ids([after_replay]) == [live]
