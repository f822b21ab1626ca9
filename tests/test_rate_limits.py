"""Mutations are rate-limited per member, or per client address when anonymous, with a count
that every process shares through the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from indigo.settings import Settings
from models import Database, Member
from tests.api import Api
from tests.conftest import RATE_LIMIT_WINDOW_SECONDS
from tests.variants import api_with

LIMIT = 3
pytestmark = pytest.mark.usefixtures("fresh_rate_window")


@pytest.fixture
async def limited(settings: Settings, database: Database) -> AsyncIterator[Api]:
    async with api_with(settings, mutations_per_minute=LIMIT) as api:
        yield api


async def member_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def set_bio(api: Api, token: str, bio: str) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.data("UpdateProfile", {"input": {"bio": bio}}, token=token)
    )["updateProfile"]
    return payload


def refusal(payload: dict[str, Any]) -> tuple[str, str | None]:
    [error] = payload["userErrors"]
    return error["code"], error["field"]


async def test_a_member_past_the_limit_is_refused_and_nothing_changes(
    api: Api, limited: Api
) -> None:
    alice = await api.register()

    accepted = [await set_bio(limited, alice.token, f"bio {i}") for i in range(LIMIT)]
    refused = await set_bio(limited, alice.token, "one too many")
    me = (await limited.data("Me", token=alice.token))["me"]

    assert [p["userErrors"] for p in accepted] == [[]] * LIMIT
    assert refused["member"] is None
    assert refusal(refused) == ("RATE_LIMITED", None)
    assert me["bio"] == f"bio {LIMIT - 1}"


async def test_the_refusal_carries_a_retry_hint(api: Api, limited: Api) -> None:
    alice = await api.register()
    for i in range(LIMIT):
        await set_bio(limited, alice.token, f"bio {i}")

    result = await limited.post(
        'mutation { updateProfile(input: {bio: "x"}) '
        "{ userErrors { code message retryAfterSeconds } } }",
        token=alice.token,
    )

    [error] = result["data"]["updateProfile"]["userErrors"]
    wait = error["retryAfterSeconds"]
    assert error["code"] == "RATE_LIMITED"
    assert 1 <= wait <= RATE_LIMIT_WINDOW_SECONDS
    assert error["message"] == f"too many attempts: try again in {wait} s"


async def test_the_refusal_is_in_the_requests_language(api: Api, limited: Api) -> None:
    alice = await api.register()
    for i in range(LIMIT):
        await set_bio(limited, alice.token, f"bio {i}")
    limited.http.headers["Accept-Language"] = "fr-FR, fr;q=0.9, en;q=0.8"

    result = await limited.post(
        'mutation { updateProfile(input: {bio: "x"}) '
        "{ userErrors { code message retryAfterSeconds } } }",
        token=alice.token,
    )

    [error] = result["data"]["updateProfile"]["userErrors"]
    wait = error["retryAfterSeconds"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"] == f"trop de tentatives : réessayez dans {wait} s"


async def test_each_member_has_a_count_of_their_own(api: Api, limited: Api) -> None:
    alice = await api.register()
    bob = await api.register()
    for i in range(LIMIT + 1):
        await set_bio(limited, alice.token, f"bio {i}")

    bobs = await set_bio(limited, bob.token, "still allowed")

    assert bobs["userErrors"] == []
    assert bobs["member"]["bio"] == "still allowed"


async def test_anonymous_mutations_are_counted_per_client_address(
    limited: Api, database: Database
) -> None:
    for _ in range(LIMIT):
        await limited.register()

    refused = (
        await limited.data(
            "Register",
            {
                "input": {
                    "email": "late@example.org",
                    "password": "correct horse battery",
                    "displayName": "Late",
                }
            },
        )
    )["register"]

    assert refused["token"] is None
    assert refusal(refused) == ("RATE_LIMITED", None)
    assert await member_count(database) == LIMIT


async def test_the_count_is_shared_by_every_process(
    api: Api, settings: Settings, database: Database
) -> None:
    alice = await api.register()

    async with (
        api_with(settings, mutations_per_minute=LIMIT) as first_process,
        api_with(settings, mutations_per_minute=LIMIT) as second_process,
    ):
        await set_bio(first_process, alice.token, "one")
        await set_bio(second_process, alice.token, "two")
        await set_bio(first_process, alice.token, "three")
        refused = await set_bio(second_process, alice.token, "four")

    assert refusal(refused) == ("RATE_LIMITED", None)


async def test_login_keeps_its_own_limit(api: Api, limited: Api) -> None:
    alice = await api.register(email="alice@example.org")  # the address's first hit
    for i in range(LIMIT + 1):
        await set_bio(limited, alice.token, f"bio {i}")
    anonymous = [(await limited.client_op("Logout"))["data"]["logout"] for _ in range(LIMIT - 1)]
    refused = (await limited.client_op("Logout"))["data"]["logout"]

    login = (
        await limited.data(
            "Login", {"input": {"email": "alice@example.org", "password": "correct horse battery"}}
        )
    )["login"]

    assert anonymous == [None] * (LIMIT - 1)  # not signed in: refused by the permission
    assert refusal(refused) == ("RATE_LIMITED", None)
    assert login["userErrors"] == []
    assert login["member"]["id"] == alice.id


async def test_queries_are_not_counted(api: Api, limited: Api) -> None:
    alice = await api.register()
    for _ in range(LIMIT + 2):
        await limited.data("Me", token=alice.token)

    payload = await set_bio(limited, alice.token, "still allowed")

    assert payload["userErrors"] == []
