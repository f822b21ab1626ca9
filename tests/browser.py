"""GraphiQL as a person sees it: Debian's headless `chromium`, driven by Playwright, with every
request to anything but the app under test refused, so a page that needed the internet fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, Route, async_playwright

from tests.conftest import IN_CI

CHROMIUM = Path(os.environ.get("INDIGO_TEST_CHROMIUM", "/usr/bin/chromium"))
# Names no host but the loopback: even a request the page routing missed finds nothing.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
LOADED_SECONDS = 20


@dataclass
class GraphiQL:
    """The GraphiQL page of the app at `base_url`, and what it tried to fetch elsewhere."""

    page: Page
    base_url: str
    refused: list[str] = field(default_factory=list)

    async def _editor(self, selector: str, index: int = 0) -> Any:
        return await self.page.evaluate(
            "([selector, index]) => document.querySelectorAll(selector)[index]"
            ".CodeMirror.getValue()",
            [selector, index],
        )

    async def _set(self, selector: str, index: int, text: str) -> None:
        await self.page.evaluate(
            "([selector, index, text]) => document.querySelectorAll(selector)[index]"
            ".CodeMirror.setValue(text)",
            [selector, index, text],
        )

    async def query(self) -> str:
        text: str = await self._editor(".graphiql-query-editor .CodeMirror")
        return text

    async def headers(self) -> str:
        text: str = await self._editor(".graphiql-editor-tool .CodeMirror", 1)
        return text

    async def result_text(self) -> str:
        text: str = await self._editor(".result-window .CodeMirror")
        return text

    async def run(
        self,
        document: str,
        operation: str,
        variables: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        """Type an operation, its variables and headers in, and press the run button."""
        await self._set(".graphiql-query-editor .CodeMirror", 0, document)
        await self._set(".graphiql-editor-tool .CodeMirror", 0, json.dumps(variables))
        await self._set(".graphiql-editor-tool .CodeMirror", 1, json.dumps(headers or {}))
        # GraphiQL reads the document's operations a moment after an edit; pressed before,
        # the button still offers the earlier document's operations in a menu.
        await self.page.wait_for_function(
            """name => document.querySelector('.graphiql-query-editor .CodeMirror')
                .CodeMirror.operationName === name
              && !document.querySelector('.graphiql-execute-button')
                .hasAttribute('aria-haspopup')""",
            arg=operation,
            timeout=LOADED_SECONDS * 1000,
        )
        await self.page.click(".graphiql-execute-button")

    async def result(self, containing: str, within: float = LOADED_SECONDS) -> dict[str, Any]:
        """The result pane, parsed, once it shows `containing`."""
        await self.page.wait_for_function(
            "text => document.querySelector('.result-window .CodeMirror')"
            ".CodeMirror.getValue().includes(text)",
            arg=containing,
            timeout=within * 1000,
        )
        shown: dict[str, Any] = json.loads(await self.result_text())
        return shown


def _chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@asynccontextmanager
async def graphiql(base_url: str) -> AsyncIterator[GraphiQL]:
    """GraphiQL at `base_url`/graphql, loaded, in a fresh headless browser."""
    executable = _chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", OFFLINE]
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            shown = GraphiQL(page, base_url)

            async def only_the_app(route: Route) -> None:
                if route.request.url.startswith(base_url + "/"):
                    await route.continue_()
                else:
                    shown.refused.append(route.request.url)
                    await route.abort()

            await page.route("**/*", only_the_app)
            await page.goto(f"{base_url}/graphql")
            await page.wait_for_selector(
                ".graphiql-query-editor .CodeMirror", timeout=LOADED_SECONDS * 1000
            )
            yield shown
        finally:
            await browser.close()
