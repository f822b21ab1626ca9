"""Passwords and addresses: changing the password, resetting it with a mailed token, and
confirming the address. Each refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from starlette.applications import Starlette

from models import AccountToken, AccountTokenPurpose, Database, Member
from models.columns import utcnow
from resolvers import account_tokens
from resolvers.services import Services
from schema.ids import decode_id
from tests.api import Api, SignedIn, error_codes

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much longer passphrase"


async def payload_of(
    api: Api, operation: str, field: str, auth: str | None = None, **input: Any
) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(operation, {"input": input}, token=auth))[field]
    return found


async def login(api: Api, email: str, password: str) -> dict[str, Any]:
    return await payload_of(api, "Login", "login", email=email, password=password)


def problems(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def signed_in(api: Api, member: SignedIn, token: str) -> bool:
    return "errors" not in await api.client_op("Me", token=token)


async def mailed_token(app: Starlette, member: SignedIn, purpose: AccountTokenPurpose) -> str:
    """A token as the mail would carry it."""
    services: Services = app.state.services
    async with services.unit_of_work() as work:
        return await account_tokens.issue(work.session, decode_id("Member", member.id), purpose)


async def test_changing_the_password_signs_out_everywhere_else(api: Api) -> None:
    alice = await api.register()
    other_device = (await login(api, alice.email, PASSWORD))["token"]

    changed = await payload_of(
        api,
        "ChangePassword",
        "changePassword",
        auth=alice.token,
        currentPassword=PASSWORD,
        newPassword=NEW_PASSWORD,
    )

    assert changed["userErrors"] == []
    assert await signed_in(api, alice, changed["token"])
    assert not await signed_in(api, alice, alice.token)
    assert not await signed_in(api, alice, other_device)
    assert problems(await login(api, alice.email, PASSWORD)) == [("INVALID_CREDENTIALS", None)]
    assert (await login(api, alice.email, NEW_PASSWORD))["userErrors"] == []


async def test_a_wrong_current_password_changes_nothing(api: Api) -> None:
    alice = await api.register()

    wrong = await payload_of(
        api,
        "ChangePassword",
        "changePassword",
        auth=alice.token,
        currentPassword="not my password",
        newPassword=NEW_PASSWORD,
    )
    short = await payload_of(
        api,
        "ChangePassword",
        "changePassword",
        auth=alice.token,
        currentPassword=PASSWORD,
        newPassword="short",
    )

    assert (wrong["token"], problems(wrong)) == (
        None,
        [("INVALID_CREDENTIALS", "currentPassword")],
    )
    assert (short["token"], problems(short)) == (None, [("VALIDATION", "newPassword")])
    assert await signed_in(api, alice, alice.token)
    assert (await login(api, alice.email, PASSWORD))["userErrors"] == []


async def test_a_reset_request_answers_the_same_for_anyone(api: Api, database: Database) -> None:
    alice = await api.register()

    known = await payload_of(
        api, "RequestPasswordReset", "requestPasswordReset", email=alice.email
    )
    unknown = await payload_of(
        api, "RequestPasswordReset", "requestPasswordReset", email="nobody@example.org"
    )

    assert known == unknown == {"ok": True, "userErrors": []}
    async with database.read() as session:
        tokens = await session.scalar(
            select(func.count())
            .select_from(AccountToken)
            .where(col(AccountToken.purpose) == AccountTokenPurpose.RESET_PASSWORD)
        )
    assert tokens == 1


async def test_a_reset_token_sets_a_password_once(api: Api, app: Starlette) -> None:
    alice = await api.register()
    token = await mailed_token(app, alice, AccountTokenPurpose.RESET_PASSWORD)

    reset = await payload_of(
        api, "ResetPassword", "resetPassword", token=token, newPassword=NEW_PASSWORD
    )
    again = await payload_of(
        api, "ResetPassword", "resetPassword", token=token, newPassword="yet another password"
    )

    assert reset == {"ok": True, "userErrors": []}
    assert not await signed_in(api, alice, alice.token)
    assert problems(again) == [("VALIDATION", "token")]
    assert (await login(api, alice.email, NEW_PASSWORD))["userErrors"] == []


async def test_an_expired_or_unknown_reset_token_is_refused(
    api: Api, app: Starlette, database: Database
) -> None:
    alice = await api.register()
    token = await mailed_token(app, alice, AccountTokenPurpose.RESET_PASSWORD)
    confirm = await mailed_token(app, alice, AccountTokenPurpose.CONFIRM_EMAIL)
    async with database.write() as session:
        (issued,) = (
            await session.scalars(
                select(AccountToken).where(
                    col(AccountToken.purpose) == AccountTokenPurpose.RESET_PASSWORD
                )
            )
        ).all()
        assert issued.expires_at - issued.created_at == timedelta(hours=1)
        await session.execute(
            update(AccountToken)
            .where(col(AccountToken.id) == issued.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    outcomes = [
        await payload_of(api, "ResetPassword", "resetPassword", token=t, newPassword=NEW_PASSWORD)
        for t in (token, "made-up", confirm, "x" * 10_000)
    ]

    assert [problems(o) for o in outcomes] == [[("VALIDATION", "token")]] * 4
    assert await signed_in(api, alice, alice.token)
    assert (await login(api, alice.email, PASSWORD))["userErrors"] == []


async def test_confirming_the_address(api: Api, app: Starlette, database: Database) -> None:
    alice = await api.register()
    before = (await api.post("{ me { emailConfirmed } }", token=alice.token))["data"]
    token = await mailed_token(app, alice, AccountTokenPurpose.CONFIRM_EMAIL)

    confirmed = await payload_of(api, "ConfirmEmail", "confirmEmail", token=token)
    again = await payload_of(api, "ConfirmEmail", "confirmEmail", token=token)

    assert before == {"me": {"emailConfirmed": False}}
    assert confirmed == {"member": {"id": alice.id, "emailConfirmed": True}, "userErrors": []}
    assert problems(again) == [("VALIDATION", "token")]
    async with database.read() as session:
        member = await session.get(Member, decode_id("Member", alice.id))
    assert member is not None
    assert member.email_confirmed_at is not None


async def test_changing_the_password_needs_a_member(api: Api) -> None:
    result = await api.client_op(
        "ChangePassword", {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}
    )

    assert error_codes(result) == ["UNAUTHENTICATED"]
