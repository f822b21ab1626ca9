"""GraphiQL, served whole by the app: its page and its pinned assets, so it works with no
internet. `indigo/static/graphiql/VENDORED.md` says where each asset comes from."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "static" / "graphiql"
PAGE = (HERE / "graphiql.html").read_text(encoding="utf-8")


def assets() -> Mount:
    """The assets, at /graphiql/ beside /graphql, where the page's relative links point."""
    return Mount("/graphiql", app=StaticFiles(directory=ASSETS), name="graphiql")
