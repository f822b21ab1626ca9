"""The schema as clients see it: their documents validate, and the committed SDL is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema as build_sdl
from graphql import parse, validate

from schema import build_schema
from tests.api import CLIENTS, ROOT

SDL = ROOT / "schema.graphql"


def test_the_contract_is_copied_for_every_feature_built() -> None:
    assert sorted(p.name for p in CLIENTS.glob("*.graphql")) == [
        "account.graphql",
        "community.graphql",
        "exchanges.graphql",
        "listings.graphql",
        "live-community.graphql",
        "live.graphql",
        "map.graphql",
        "moderation.graphql",
        "my-account.graphql",
    ]


@pytest.mark.parametrize("document", sorted(CLIENTS.glob("*.graphql")), ids=lambda p: p.name)
def test_client_document_validates_against_the_schema(document: Path) -> None:
    errors = validate(build_schema()._schema, parse(document.read_text()))

    assert [e.message for e in errors] == []


def test_committed_sdl_is_current() -> None:
    assert SDL.read_text() == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `make schema` and commit it"
    )


def test_committed_sdl_is_what_the_clients_validate_against() -> None:
    schema = build_sdl(SDL.read_text())
    for document in CLIENTS.glob("*.graphql"):
        assert validate(schema, parse(document.read_text())) == [], document.name
