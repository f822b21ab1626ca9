"""Messages in French and English: the catalogues are complete, and the API speaks both."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.applications import Starlette

from indigo.settings import Settings
from models import Database
from resolvers.categories import CATEGORIES
from resolvers.translations import LOCALE, N_, MissingTranslation, catalogue_path, translate
from tests.api import Api, error_codes
from tests.live import feed_variables, served, subscribed
from tests.variants import api_with

ROOT = Path(__file__).parent.parent
FRENCH = "fr-FR, fr;q=0.9, en;q=0.8"


def catalogue(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def placeholders(message: str) -> list[tuple[str, str]]:
    """Each `{name:spec}` of a message, in order of name."""
    return sorted(
        (name, spec or "")
        for _, name, spec, _ in string.Formatter().parse(message)
        if name is not None
    )


def marked_messages() -> set[str]:
    return {
        str(message)
        for folder in ("indigo", "resolvers", "schema")
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, keywords={"N_": None}, comment_tags=()
        )
    }


def test_the_catalogues_hold_every_marked_message_and_no_other() -> None:
    template = {str(m.id) for m in catalogue(LOCALE / "indigo.pot") if m.id}
    french = {str(m.id) for m in catalogue(catalogue_path("fr"), "fr") if m.id}

    # Otherwise: `make messages`, then translate what it added.
    assert template == marked_messages()
    assert french == template


def test_every_message_has_a_french_translation_with_the_same_placeholders() -> None:
    untranslated = []
    for message in catalogue(catalogue_path("fr"), "fr"):
        if not message.id:
            continue
        english, french = str(message.id), str(message.string)
        if not french or message.fuzzy or placeholders(french) != placeholders(english):
            untranslated.append(english)
    # Otherwise: translate these in resolvers/locale/fr/LC_MESSAGES/indigo.po.
    assert untranslated == []


def test_a_message_missing_from_the_catalogues_is_reported_in_every_language() -> None:
    for language in ("en", "fr"):
        with pytest.warns(MissingTranslation, match="never marked"):
            assert translate("never marked {n}", {"n": 1}, language) == "never marked 1"


def test_placeholders_are_filled_and_marked_values_translated_too() -> None:
    params = {"what": N_("a member's wallet")}

    assert translate(N_("{what} is visible to its owner alone"), params) == (
        "a member's wallet is visible to its owner alone"
    )
    assert translate(N_("{what} is visible to its owner alone"), params, "fr") == (
        "le portefeuille d'un membre n'est visible que de son propriétaire"
    )
    assert translate(N_("must be above 0 and at most {max_km:g} km"), {"max_km": 100.0}) == (
        "must be above 0 and at most 100 km"
    )


@pytest.fixture
async def french(app: Starlette) -> AsyncIterator[Api]:
    """The same app as `api`, asked by a client that prefers French."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://indigo.test", headers={"Accept-Language": FRENCH}
    ) as http:
        yield Api(http)


def coded(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["extensions"].get("code"), e["message"]) for e in result["errors"]]


async def test_user_errors_are_in_the_requests_language_with_the_same_codes(
    api: Api, french: Api
) -> None:
    taken = await api.register()
    refused = {"email": "not an address", "password": "short", "displayName": "x" * 61}
    again = {"email": taken.email, "password": "long enough!", "displayName": "Camille"}

    english = await api.client_op("Register", {"input": refused})
    in_french = await french.client_op("Register", {"input": refused})
    english_taken = await api.client_op("Register", {"input": again})
    french_taken = await french.client_op("Register", {"input": again})

    assert english["data"]["register"]["userErrors"] == [
        {"code": "VALIDATION", "field": "email", "message": "is not an email address"},
        {"code": "VALIDATION", "field": "password", "message": "must be 10 to 128 characters"},
        {
            "code": "VALIDATION",
            "field": "displayName",
            "message": "must be at most 60 characters",
        },
    ]
    assert in_french["data"]["register"]["userErrors"] == [
        {"code": "VALIDATION", "field": "email", "message": "n'est pas une adresse e-mail"},
        {
            "code": "VALIDATION",
            "field": "password",
            "message": "doit faire de 10 à 128 caractères",
        },
        {
            "code": "VALIDATION",
            "field": "displayName",
            "message": "doit faire au plus 60 caractères",
        },
    ]
    assert english_taken["data"]["register"]["userErrors"] == [
        {"code": "EMAIL_TAKEN", "field": "email", "message": "this email already has an account"}
    ]
    assert french_taken["data"]["register"]["userErrors"] == [
        {
            "code": "EMAIL_TAKEN",
            "field": "email",
            "message": "cette adresse e-mail a déjà un compte",
        }
    ]
    assert english_taken["data"]["register"]["token"] is None


async def test_a_business_rule_refusal_is_in_the_requests_language(api: Api, french: Api) -> None:
    alice = await api.register()
    wrong = {"input": {"email": alice.email, "password": "wrong password!"}}
    english = await api.client_op("Login", wrong)
    in_french = await french.client_op("Login", wrong)

    assert english["data"]["login"]["userErrors"] == [
        {"code": "INVALID_CREDENTIALS", "field": None, "message": "wrong email or password"}
    ]
    assert in_french["data"]["login"]["userErrors"] == [
        {
            "code": "INVALID_CREDENTIALS",
            "field": None,
            "message": "adresse e-mail ou mot de passe incorrect",
        }
    ]


async def test_a_refused_query_argument_is_in_the_requests_language(api: Api, french: Api) -> None:
    search: dict[str, Any] = {"near": {"latitude": 48.85, "longitude": 2.35}, "radiusKm": 5}
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"radiusKm": 0}, "radiusKm: doit être supérieur à 0 et au plus de 1000 km"),
        ({"first": 0}, "first: doit être un nombre entier de 1 à 100"),
        ({"categories": ["weapons"]}, "categories: catégories inconnues : weapons"),
    ]

    for overrides, message in refusals:
        english = await api.client_op("Nearby", search | overrides)
        in_french = await french.client_op("Nearby", search | overrides)

        assert error_codes(in_french) == error_codes(english) == ["BAD_USER_INPUT"]
        assert in_french["errors"][0]["extensions"] == english["errors"][0]["extensions"]
        assert [e["message"] for e in in_french["errors"]] == [message]
    english_id = await api.client_op("MemberCard", {"id": "not-an-id"})
    french_id = await french.client_op("MemberCard", {"id": "not-an-id"})
    assert coded(english_id) == [("BAD_USER_INPUT", "id: is not a Member ID")]
    assert coded(french_id) == [("BAD_USER_INPUT", "id: n'est pas un ID de Member")]


async def test_unauthenticated_and_forbidden_are_in_the_requests_language(
    api: Api, french: Api
) -> None:
    alice = await api.register()
    bob = await api.register()
    email = "query($id: ID!) { member(id: $id) { email } }"

    assert coded(await api.client_op("Me")) == [
        ("UNAUTHENTICATED", "sign in first: send Authorization: Bearer <token>")
    ]
    assert coded(await french.client_op("Me")) == [
        ("UNAUTHENTICATED", "connectez-vous d'abord : envoyez Authorization: Bearer <token>")
    ]
    assert coded(await french.post(email, {"id": alice.id})) == [
        (
            "UNAUTHENTICATED",
            "connectez-vous d'abord : l'adresse e-mail d'un membre est une donnée privée",
        )
    ]
    assert coded(await api.post(email, {"id": alice.id}, token=bob.token)) == [
        ("FORBIDDEN", "a member's email is visible to its owner alone")
    ]
    assert coded(await french.post(email, {"id": alice.id}, token=bob.token)) == [
        ("FORBIDDEN", "l'adresse e-mail d'un membre n'est visible que de son propriétaire")
    ]


async def test_subscriptions_answer_in_the_language_of_the_socket(
    settings: Settings, database: Database
) -> None:
    french = {"Accept-Language": FRENCH}
    async with served(settings) as server:
        async with subscribed(server.url, "WalletUpdates", headers=french) as wallet:
            anonymous = await wallet.message()
        async with subscribed(
            server.url, "AppealFeed", feed_variables(radius_km=0), headers=french
        ) as feed:
            too_wide = await feed.message()

    assert (anonymous["type"], too_wide["type"]) == ("error", "next")
    assert coded({"errors": anonymous["payload"]}) == [
        ("UNAUTHENTICATED", "connectez-vous d'abord : envoyez Authorization: Bearer <token>")
    ]
    assert coded(too_wide["payload"]) == [
        ("BAD_USER_INPUT", "radiusKm: doit être supérieur à 0 et au plus de 100 km")
    ]


async def test_query_limits_answer_in_the_requests_language(settings: Settings) -> None:
    deep = "{ me { wallet { digos } } }"
    long = "{ categories { slug } }" + " " * 100

    async with api_with(settings, max_query_depth=2, max_query_characters=100) as limited:
        headers = {"Accept-Language": FRENCH}
        too_deep = await limited.http.post("/graphql", json={"query": deep}, headers=headers)
        too_long = await limited.http.post("/graphql", json={"query": long}, headers=headers)

    assert coded(too_deep.json()) == [
        ("QUERY_LIMIT_EXCEEDED", "la requête a 3 niveaux de profondeur ; au plus 2")
    ]
    assert coded(too_long.json()) == [
        ("QUERY_LIMIT_EXCEEDED", "le document a 123 caractères ; au plus 100 sont permis")
    ]


async def test_a_refused_document_is_in_the_requests_language(api: Api, french: Api) -> None:
    two_operations = "query A { categories { slug } } query B { categories { label } }"
    unknown_hash = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}

    several = await french.http.post("/graphql", json={"query": two_operations})
    unsupported = await french.http.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2}}}
    )
    not_found = await french.http.post("/graphql", json={"extensions": unknown_hash})
    in_english = await api.http.post("/graphql", json={"query": two_operations})

    assert coded(several.json()) == [
        (
            "BAD_REQUEST",
            "Le document contient plusieurs opérations : "
            "indiquez avec operationName laquelle exécuter",
        )
    ]
    assert (unsupported.status_code, coded(unsupported.json())) == (
        400,
        [("BAD_REQUEST", "Extension persistedQuery non prise en charge")],
    )
    # Apollo's clients recognise this message itself: it is the same in every language.
    assert coded(not_found.json()) == [("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")]
    assert coded(in_english.json()) == [
        (
            "BAD_REQUEST",
            "The document has several operations: say which to run with operationName",
        )
    ]


async def test_too_many_node_ids_are_refused_in_the_requests_language(
    api: Api, french: Api
) -> None:
    nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = {"ids": ["TWVtYmVyOjE="] * 101}

    assert coded(await api.post(nodes, ids)) == [
        ("BAD_USER_INPUT", "ids: at most 100 ids at once")
    ]
    assert coded(await french.post(nodes, ids)) == [
        ("BAD_USER_INPUT", "ids: au plus 100 ID à la fois")
    ]


async def test_category_labels_come_from_the_catalogue_with_unchanged_slugs(
    api: Api, french: Api
) -> None:
    english = (await api.data("Categories"))["categories"]
    in_french = (await french.data("Categories"))["categories"]

    assert [c["slug"] for c in in_french] == [c["slug"] for c in english]
    assert [c.slug for c in CATEGORIES] == [c["slug"] for c in english]
    assert english[3] == {"slug": "tax-forms", "label": "Tax forms"}
    assert in_french[3] == {"slug": "tax-forms", "label": "Déclarations d'impôts"}
    assert in_french[14] == {"slug": "clothes", "label": "Vêtements"}
