"""GraphiQL in headless Chromium, as a developer sees it, with nothing reachable but the app:
it loads, signs in by a header, runs the contract's Nearby, and receives a live appeal."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from indigo.graphiql import ASSETS
from indigo.settings import Settings
from models import Database
from tests.api import CLIENT_DOCUMENTS
from tests.browser import graphiql
from tests.economy import post_listing
from tests.live import PARIS, Served, feed_variables, post_appeal, served

REFUSAL_SHOWN_SECONDS = 5
# The browser is what these tests are about: one database engine is enough.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def app_served(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


async def test_graphiql_loads_with_nothing_but_the_app(app_served: Served) -> None:
    async with graphiql(app_served.url) as page:
        query, headers = await page.query(), await page.headers()

        assert page.refused == []
    assert "mutation SignIn" in query
    assert headers == '{"Authorization": "Bearer <token>"}'


async def test_graphiql_assets_are_served_with_their_licences(app_served: Served) -> None:
    async with httpx.AsyncClient(base_url=app_served.url) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        licences = [(await http.get(f"/graphiql/{p.name}")).text for p in ASSETS.glob("LICENSE*")]

    assert page.status_code == 200
    assert "graphiql/graphiql-3.8.3.min.js" in page.text
    assert "://" not in page.text
    assert len(licences) == 4
    assert all("MIT License" in text for text in licences)


async def test_graphiql_runs_nearby(app_served: Served) -> None:
    author = await app_served.api.register(display_name="Alice", location=PARIS)
    listing = await post_listing(app_served.api, author, "OFFER", 7)

    async with graphiql(app_served.url) as page:
        await page.run(
            CLIENT_DOCUMENTS["Nearby"],
            "Nearby",
            {"near": PARIS, "radiusKm": 5},
            {"Authorization": f"Bearer {author.token}"},
        )
        shown = await page.result("offer for 7")

        assert page.refused == []
    [edge] = shown["data"]["nearby"]["edges"]
    assert edge["node"]["id"] == listing
    assert edge["node"]["author"] == {"id": author.id, "displayName": "Alice"}


async def test_graphiql_receives_an_appeal_posted_while_its_feed_runs(
    app_served: Served,
) -> None:
    short = await app_served.api.register(display_name="Short of digos")

    async with graphiql(app_served.url) as page:
        await page.run(CLIENT_DOCUMENTS["AppealFeed"], "AppealFeed", feed_variables())
        await app_served.listening(PARIS)
        appeal = await post_appeal(app_served.api, short, title="Carry a wardrobe upstairs")
        shown = await page.result("Carry a wardrobe upstairs")

        assert page.refused == []
    event = shown["data"]["appealCreated"]
    assert event["appeal"]["id"] == appeal
    assert event["appeal"]["author"]["displayName"] == "Short of digos"


async def test_graphiql_shows_a_bad_tokens_refusal_at_once(app_served: Served) -> None:
    async with graphiql(app_served.url) as page:
        sockets: list[str] = []
        page.page.on("websocket", lambda socket: sockets.append(socket.url))
        await page.run(
            CLIENT_DOCUMENTS["AppealFeed"],
            "AppealFeed",
            feed_variables(),
            {"Authorization": "Bearer not-a-token"},
        )
        # graphql-ws's default retries take about 40 s before any error shows.
        shown = await page.result("errors", within=REFUSAL_SHOWN_SECONDS)

        assert page.refused == []
    assert shown.keys() == {"errors"}
    assert shown["errors"][0]["message"] == (
        "The sign-in token is invalid or has expired: sign in again"
    )
    assert shown["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert sockets == [app_served.url.replace("http", "ws", 1) + "/graphql"]
