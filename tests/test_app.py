"""The app's own routes: health, readiness and GraphiQL."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from indigo.app import create_app
from indigo.settings import Settings
from tests.api import Api


async def test_health_answers_while_the_process_is_up(api: Api) -> None:
    response = await api.http.get("/health")

    assert (response.status_code, response.text) == (200, "ok")


async def test_ready_when_database_and_broadcaster_answer(api: Api) -> None:
    response = await api.http.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "broadcast": "ok"}


async def test_not_ready_says_which_part_is_down() -> None:
    unreachable = "postgresql+asyncpg://nobody@127.0.0.1:1/indigo"
    app = create_app(Settings(_env_file=None, database_url=unreachable))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/ready")

    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "unreachable", "broadcast": "ok"}


async def test_graphiql_is_served_to_browsers(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_off_in_production(app: Starlette, settings: Settings) -> None:
    production = create_app(settings.model_copy(update={"production": True}))
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 404
