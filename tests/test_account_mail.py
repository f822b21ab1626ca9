"""The account's mails, read from a real SMTP server: the address confirmation mailed at
registration and the password reset, whose links work once."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from tests.api import Api
from tests.polling import until
from tests.smtp_server import PUBLIC_URL, SmtpServer

NEW_PASSWORD = "a much longer passphrase"


async def mails_to(smtp: SmtpServer, address: str, count: int) -> list[EmailMessage]:
    await until(lambda: len(smtp.inbox.to(address)) >= count)
    return smtp.inbox.to(address)


def token_in(mail: EmailMessage, path: str) -> str:
    """The token of the one link in the mail, which must lead to `path` on the public site."""
    body = str(mail.get_content())
    (link,) = re.findall(r"https?://\S+", body)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == PUBLIC_URL + path
    (token,) = parse_qs(parts.query)["token"]
    return str(token)


async def test_the_address_is_confirmed_with_the_mailed_link(
    mailing: Api, smtp: SmtpServer
) -> None:
    alice = await mailing.register(email="alice@example.org", display_name="Alice")

    (mail,) = await mails_to(smtp, "alice@example.org", 1)
    token = token_in(mail, "/confirm-email")
    confirmed = await mailing.data("ConfirmEmail", {"input": {"token": token}})
    again = await mailing.data("ConfirmEmail", {"input": {"token": token}})

    assert mail["Subject"] == "Indigo: confirm your address"
    assert mail.get_content().startswith("Hello Alice,")
    assert confirmed["confirmEmail"] == {
        "member": {"id": alice.id, "emailConfirmed": True},
        "userErrors": [],
    }
    assert [e["code"] for e in again["confirmEmail"]["userErrors"]] == ["VALIDATION"]


async def test_a_forgotten_password_is_reset_with_the_mailed_link(
    mailing: Api, smtp: SmtpServer
) -> None:
    alice = await mailing.register(email="alice@example.org")
    await mails_to(smtp, "alice@example.org", 1)

    asked = await mailing.data("RequestPasswordReset", {"input": {"email": " Alice@Example.org "}})
    nobody = await mailing.data("RequestPasswordReset", {"input": {"email": "nobody@example.org"}})
    mail = (await mails_to(smtp, "alice@example.org", 2))[1]
    token = token_in(mail, "/reset-password")
    reset = await mailing.data(
        "ResetPassword", {"input": {"token": token, "newPassword": NEW_PASSWORD}}
    )
    reused = await mailing.data(
        "ResetPassword", {"input": {"token": token, "newPassword": "yet another password"}}
    )
    login = await mailing.data(
        "Login", {"input": {"email": "alice@example.org", "password": NEW_PASSWORD}}
    )

    assert asked == nobody
    assert mail["Subject"] == "Indigo: choose a new password"
    assert reset["resetPassword"] == {"ok": True, "userErrors": []}
    assert [e["code"] for e in reused["resetPassword"]["userErrors"]] == ["VALIDATION"]
    assert login["login"]["userErrors"] == []
    assert "errors" in await mailing.client_op("Me", token=alice.token)
    assert smtp.inbox.to("nobody@example.org") == []
