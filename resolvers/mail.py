"""Where mail goes and how it reads: the SMTP server, the sender's address, and the links.

`INDIGO_SMTP_URL` is `smtp://user:password@host:port` (STARTTLS when the server offers it),
`smtps://…` (TLS from the first byte), or `log://`, which writes each mail to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from models import Mail

log = logging.getLogger("indigo.mail")

SMTP_TIMEOUT_SECONDS = 20.0
SCHEMES = ("log", "smtp", "smtps")


@dataclass(frozen=True, slots=True)
class MailSettings:
    smtp_url: str = "log://"
    sender: str = "Indigo <no-reply@indigo.localhost>"
    public_url: str = "http://127.0.0.1:8000"
    # The wait after a first failed attempt; it doubles with each failure, up to an hour.
    retry_seconds: float = 30.0

    def link(self, path: str) -> str:
        """An absolute link to `path` (such as `/notifications`) for a mail."""
        return self.public_url.rstrip("/") + "/" + path.lstrip("/")


def check_smtp_url(url: str) -> str:
    """The URL if the sender can use it; ValueError naming what is wrong otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError("must be log://, smtp://user:password@host:port or smtps://…")
    if parts.scheme != "log" and not parts.hostname:
        raise ValueError("names no host")
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    return url


class Postman(Protocol):
    async def send(self, mail: Mail) -> None:
        """Hand `mail` over, or raise: then it is tried again later."""


def message_of(mail: Mail, sender: str) -> EmailMessage:
    """The mail as sent. Its Message-ID derives from the outbox row, so a server or reader
    can tell a mail sent twice (after a crash between sending and recording it) from two."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(mail.created_at.timestamp(), usegmt=True)
    domain = sender.rpartition("@")[2].rstrip(">") or "indigo.localhost"
    message["Message-ID"] = make_msgid(f"mail.{mail.id}", domain=domain)
    message.set_content(mail.body)
    return message


class LogPostman:
    """The default: each mail written to the log, so a development server needs no SMTP."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, mail: Mail) -> None:
        log.info("mail %s\n%s", mail.id, message_of(mail, self.sender).as_string())


class SmtpPostman:
    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.sender = sender
        self.hostname = parts.hostname or "localhost"
        self.port = parts.port
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.use_tls = parts.scheme == "smtps"

    async def send(self, mail: Mail) -> None:
        await aiosmtplib.send(
            message_of(mail, self.sender),
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            # STARTTLS when the server offers it, plain otherwise (a local relay).
            start_tls=False if self.use_tls else None,
            timeout=SMTP_TIMEOUT_SECONDS,
        )


def postman_for(settings: MailSettings) -> Postman:
    if urlsplit(settings.smtp_url).scheme == "log":
        return LogPostman(settings.sender)
    return SmtpPostman(settings.smtp_url, settings.sender)
