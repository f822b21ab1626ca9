"""Signing up, in and out, and profiles, through the front-end's own operations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select, update

from models import AuthToken, Database, Member
from models.columns import utcnow
from tests.api import Api, error_codes

PARIS = {"latitude": 48.85661, "longitude": 2.35222}
WALLET_AFTER_WELCOME = {
    "digos": 20,
    "heldDigos": 0,
    "availableDigos": 20,
    "goodvibes": 0,
    "heldGoodvibes": 0,
}


def register_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, object] = {
        "email": "alice@example.org",
        "password": "correct horse battery",
        "displayName": "Alice",
    }
    return {"input": values | overrides}


async def member_count(database: Database) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def test_register_gives_a_token_and_the_welcome_grant(api: Api) -> None:
    payload = (await api.data("Register", register_input(location=PARIS)))["register"]

    assert payload["userErrors"] == []
    assert payload["member"]["displayName"] == "Alice"
    assert payload["member"]["wallet"] == WALLET_AFTER_WELCOME
    me = (await api.data("Me", token=payload["token"]))["me"]
    assert me["email"] == "alice@example.org"
    assert me["location"] == PARIS
    assert me["wallet"] == WALLET_AFTER_WELCOME
    assert me["bio"] == ""
    assert me["skills"] == []


async def test_email_is_normalised_and_unique(api: Api, database: Database) -> None:
    await api.register(email="Alice@Example.org")

    payload = (await api.data("Register", register_input(email="  ALICE@example.ORG ")))[
        "register"
    ]

    assert payload["token"] is None
    assert payload["member"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("EMAIL_TAKEN", "email")]
    assert await member_count(database) == 1


async def test_bad_registrations_are_refused_and_create_nothing(
    api: Api, database: Database
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"email": "not-an-email"}, "email"),
        ({"email": "nul\x00@example.org"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 61}, "displayName"),
        ({"location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
        ({"location": {"latitude": 0, "longitude": -180.5}}, "location.longitude"),
    ]
    for overrides, field in cases:
        payload = (await api.data("Register", register_input(**overrides)))["register"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("VALIDATION", field)
        ], overrides
        assert payload["token"] is None
    assert await member_count(database) == 0


async def test_every_problem_of_a_form_is_reported_at_once(api: Api) -> None:
    payload = (
        await api.data("Register", register_input(email="nope", password="short", displayName=""))
    )["register"]

    assert [e["field"] for e in payload["userErrors"]] == ["email", "password", "displayName"]


async def test_login_with_the_right_password_signs_in(api: Api) -> None:
    alice = await api.register(email="alice@example.org")

    payload = (
        await api.data(
            "Login",
            {"input": {"email": " ALICE@example.org", "password": "correct horse battery"}},
        )
    )["login"]

    assert payload["userErrors"] == []
    assert payload["member"]["id"] == alice.id
    assert payload["token"] != alice.token
    assert (await api.data("Me", token=payload["token"]))["me"]["id"] == alice.id


async def test_wrong_password_and_unknown_email_get_the_same_answer(api: Api) -> None:
    await api.register(email="alice@example.org")

    answers = [
        (await api.data("Login", {"input": {"email": email, "password": password}}))["login"]
        for email, password in [
            ("alice@example.org", "wrong password!"),
            ("nobody@example.org", "correct horse battery"),
            ("not an email\x00", "correct horse battery"),
        ]
    ]

    assert (
        answers[0]
        == answers[1]
        == {
            "token": None,
            "member": None,
            "userErrors": [
                {
                    "code": "INVALID_CREDENTIALS",
                    "field": None,
                    "message": "wrong email or password",
                }
            ],
        }
    )


@pytest.mark.usefixtures("fresh_rate_window")
async def test_login_attempts_are_limited(api: Api) -> None:
    await api.register(email="alice@example.org")
    attempt = {"input": {"email": "alice@example.org", "password": "wrong password!"}}

    codes = [
        (await api.data("Login", attempt))["login"]["userErrors"][0]["code"] for _ in range(11)
    ]
    right = {"input": {"email": "alice@example.org", "password": "correct horse battery"}}
    refused = (await api.data("Login", right))["login"]

    assert codes == ["INVALID_CREDENTIALS"] * 10 + ["RATE_LIMITED"]
    assert refused["token"] is None
    assert refused["userErrors"][0]["code"] == "RATE_LIMITED"


async def test_logout_revokes_the_token(api: Api) -> None:
    alice = await api.register()

    logout = await api.data("Logout", token=alice.token)
    after = await api.client_op("Me", token=alice.token)

    assert logout["logout"] == {"ok": True, "userErrors": []}
    assert after["data"] == {"me": None}
    assert error_codes(after) == ["UNAUTHENTICATED"]


async def test_an_expired_token_signs_no_one_in(api: Api, database: Database) -> None:
    alice = await api.register()
    async with database.write() as session:
        await session.execute(update(AuthToken).values(expires_at=utcnow()))

    result = await api.client_op("Me", token=alice.token)

    assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_me_and_logout_need_a_signed_in_member(api: Api) -> None:
    for operation in ("Me", "Logout"):
        result = await api.client_op(operation, token="forged-token")
        assert error_codes(result) == ["UNAUTHENTICATED"], operation


async def test_update_profile_changes_only_the_fields_given(api: Api) -> None:
    alice = await api.register(location=PARIS)

    first = await api.data(
        "UpdateProfile",
        {"input": {"bio": "I teach Spanish", "skills": ["spanish", "guitar", "spanish"]}},
        token=alice.token,
    )
    second = await api.data(
        "UpdateProfile", {"input": {"displayName": "Alice B."}}, token=alice.token
    )

    assert first["updateProfile"]["userErrors"] == []
    assert second["updateProfile"]["member"] == {
        "id": alice.id,
        "displayName": "Alice B.",
        "bio": "I teach Spanish",
        "skills": ["spanish", "guitar"],
        "location": PARIS,
    }


async def test_bad_profile_updates_change_nothing(api: Api) -> None:
    alice = await api.register(display_name="Alice")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"displayName": None}, "displayName"),
        ({"bio": "x" * 1001}, "bio"),
        ({"skills": ["s"] * 21}, "skills"),
        ({"skills": ["x" * 41]}, "skills"),
        ({"location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
    ]
    for changes, field in cases:
        payload = (await api.data("UpdateProfile", {"input": changes}, token=alice.token))[
            "updateProfile"
        ]
        assert payload["member"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("VALIDATION", field)
        ], changes

    me = (await api.data("Me", token=alice.token))["me"]
    assert (me["displayName"], me["bio"], me["skills"]) == ("Alice", "", [])


async def test_member_card_is_public_but_email_and_wallet_are_not(api: Api) -> None:
    alice = await api.register(display_name="Alice", location=PARIS)
    bob = await api.register(display_name="Bob")
    private = "query($id: ID!) { member(id: $id) { email wallet { digos } } }"
    exact = "query($id: ID!) { member(id: $id) { location { latitude longitude } } }"

    card = await api.data("MemberCard", {"id": alice.id}, token=bob.token)
    as_bob = await api.post(private, {"id": alice.id}, token=bob.token)
    as_nobody = await api.post(private, {"id": alice.id})
    as_alice = await api.post(private, {"id": alice.id}, token=alice.token)
    seen_by_bob = await api.post(exact, {"id": alice.id}, token=bob.token)

    assert card["member"]["displayName"] == "Alice"
    assert as_bob["data"] == {"member": {"email": None, "wallet": None}}
    assert error_codes(as_bob) == ["FORBIDDEN", "FORBIDDEN"]
    assert error_codes(as_nobody) == ["UNAUTHENTICATED", "UNAUTHENTICATED"]
    assert as_alice["data"] == {"member": {"email": alice.email, "wallet": {"digos": 20}}}
    assert seen_by_bob["data"]["member"]["location"] == {"latitude": 48.86, "longitude": 2.35}


async def test_member_lookup_refuses_unknown_and_malformed_ids(api: Api) -> None:
    alice = await api.register()
    unknown = alice.id[:-4] + "OTk5"  # same kind of ID, another number

    for member_id in ["not-an-id", "TGlzdGluZzox", unknown]:
        result = await api.client_op("MemberCard", {"id": member_id})
        assert result["data"] == {"member": None}
        assert error_codes(result) == ["BAD_USER_INPUT"], member_id


async def test_concurrent_registrations_each_get_one_welcome_grant(
    api: Api, database: Database
) -> None:
    signed_in = await asyncio.gather(*(api.register() for _ in range(20)))

    wallets = [
        (await api.data("Me", token=member.token))["me"]["wallet"]["digos"] for member in signed_in
    ]
    assert wallets == [20] * 20
    assert await member_count(database) == 20


async def test_a_repeated_profile_key_changes_the_profile_once(api: Api) -> None:
    alice = await api.register()

    async def update(bio: str, key: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = (
            await api.data(
                "UpdateProfile", {"input": {"bio": bio, "idempotencyKey": key}}, token=alice.token
            )
        )["updateProfile"]
        return payload

    first = await update("first", "profile-1")
    await update("second", None)
    replay = await update("first", "profile-1")
    other = await update("third", "profile-1")

    assert first["member"]["bio"] == "first"
    assert replay["member"]["bio"] == "second"
    assert [(e["code"], e["field"]) for e in other["userErrors"]] == [
        ("VALIDATION", "idempotencyKey")
    ]
    assert (await api.data("Me", token=alice.token))["me"]["bio"] == "second"
