"""The app built from other settings than the suite's, for tests of a setting's effect, and
an Api on any app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from indigo.app import create_app
from indigo.settings import Settings
from tests.api import Api


@asynccontextmanager
async def app_with(settings: Settings, **changes: Any) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update=changes))
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def api_on(application: Starlette) -> AsyncIterator[Api]:
    """An Api calling `application` in this process."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://indigo.test") as http:
        yield Api(http)


@asynccontextmanager
async def api_with(settings: Settings, **changes: Any) -> AsyncIterator[Api]:
    """An Api on an app whose settings differ from `settings` by `changes`."""
    async with app_with(settings, **changes) as application, api_on(application) as api:
        yield api
