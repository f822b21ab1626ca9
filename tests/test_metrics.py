"""GET /metrics: GraphQL requests by operation and outcome with their latency, sockets,
subscriptions, events delivered, slow subscribers dropped and rate-limit refusals, summed over
every worker of `indigo serve` (tests/test_workers.py reads them from two).

Within the suite's own process the counts only grow, so each test compares before and after.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from prometheus_client import REGISTRY, generate_latest

from indigo import metrics
from indigo.settings import Settings
from models import Database
from realtime.hub import Hub
from tests.api import CLIENT_DOCUMENTS, Api
from tests.live import PARIS, Served, feed_variables, post_appeal, served, subscribed
from tests.metrics import Samples, parsed, read_metrics, value
from tests.polling import until
from tests.variants import api_with

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
NEARBY = {"query": CLIENT_DOCUMENTS["Nearby"], "variables": {"near": PARIS, "radiusKm": 5}}


def requests_total(samples: Samples) -> float:
    return sum(v for (name, _), v in samples.items() if name == "indigo_graphql_requests_total")


@SQLITE_ONLY
async def test_graphql_requests_are_counted_by_operation_and_outcome(api: Api) -> None:
    before = await read_metrics(api.http)
    for _ in range(3):
        await api.http.post("/graphql", json=NEARBY)
    await api.http.post("/graphql", json={"query": "query Mine { me { id } }"})
    await api.http.post("/graphql", json={"query": "{ me "})
    await api.http.get("/graphql", headers={"Accept": "text/html"})  # GraphiQL: no operation
    after = await read_metrics(api.http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("indigo_graphql_requests_total", operation="Nearby", outcome="ok") == 3
    assert grew("indigo_graphql_requests_total", operation="Mine", outcome="UNAUTHENTICATED") == 1
    assert (
        grew(
            "indigo_graphql_requests_total", operation="anonymous", outcome="GRAPHQL_PARSE_FAILED"
        )
        == 1
    )
    assert requests_total(after) - requests_total(before) == 5
    assert grew("indigo_graphql_request_seconds_count", operation="Nearby") == 3
    assert grew("indigo_graphql_request_seconds_bucket", operation="Nearby", le="+Inf") == 3


def test_operation_names_from_clients_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_names_seen", {f"Seen{i}" for i in range(200)})

    assert metrics.operation_label("Seen7") == "Seen7"
    assert metrics.operation_label("NewName") == "other"
    assert metrics.operation_label("not a name!") == "other"
    assert metrics.operation_label("N" * 65) == "other"
    assert metrics.operation_label(None) == "anonymous"


@SQLITE_ONLY
@pytest.mark.usefixtures("fresh_rate_window")
async def test_rate_limit_refusals_are_counted(settings: Settings, database: Database) -> None:
    async with api_with(settings, mutations_per_minute=1) as api:
        before = await read_metrics(api.http)
        await api.register()
        refused = await api.client_op(
            "Register",
            {"input": {"email": "b@example.org", "password": "x" * 12, "displayName": "B"}},
        )
        after = await read_metrics(api.http)

    assert [e["code"] for e in refused["data"]["register"]["userErrors"]] == ["RATE_LIMITED"]
    refusals = "indigo_rate_limit_refusals_total"
    assert (
        value(after, refusals, limit="mutation") - value(before, refusals, limit="mutation") == 1
    )


async def test_a_slow_subscriber_dropped_is_counted() -> None:
    hub = Hub("memory://", queue_size=1)
    await hub.connect()
    dropped = "indigo_slow_subscribers_dropped_total"
    try:
        before = value(parsed(metrics_text()), dropped)
        async with hub.listen(["cell:1:1"], lambda: None):
            for n in range(3):
                await hub.publish("cell:1:1", json.dumps({"appeal": n}))
            await until(lambda: hub.fanout.dropped == 1)
    finally:
        await hub.disconnect()

    assert value(parsed(metrics_text()), dropped) - before == 1


def metrics_text() -> str:
    """This process's metrics, as its /metrics would answer them."""
    return generate_latest(REGISTRY).decode()


@pytest.fixture
async def app_served(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


@SQLITE_ONLY
async def test_sockets_subscriptions_and_events_delivered_are_counted(
    app_served: Served,
) -> None:
    http = app_served.api.http
    before = await read_metrics(http)
    short = await app_served.api.register()

    async def grown(name: str, by: float) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return value(await read_metrics(http), name) - value(before, name) == by

        return check

    async with subscribed(app_served.url, "AppealFeed", feed_variables()) as feed:
        await until(await grown("indigo_open_sockets", 1))
        await until(await grown("indigo_open_subscriptions", 1))
        await app_served.listening(PARIS)
        await post_appeal(app_served.api, short)
        await feed.next()
        during = await read_metrics(http)
    await until(await grown("indigo_open_sockets", 0))
    await until(await grown("indigo_open_subscriptions", 0))

    delivered = "indigo_events_delivered_total"
    assert value(during, delivered) - value(before, delivered) == 1
