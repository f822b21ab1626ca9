"""A real SMTP server (aiosmtpd) of the test's own on a free port, which the test may stop
and start again; it keeps every mail it accepted."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from resolvers.account_mail import CONFIRMATION_SUBJECTS
from tests.redis_server import free_port

# Where the mails' links lead, in the tests that send mail.
PUBLIC_URL = "https://indigo.example"


class Inbox:
    """What the server accepted, in order. Its handler runs on the server's own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self._lock:
            mail = email.message_from_bytes(content, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            self._mails.append(mail)
        return "250 OK"

    @property
    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._mails)

    @property
    def mails(self) -> list[EmailMessage]:
        """What was received but the address confirmation that each registration mails, so
        that a test counts the mails of what it does."""
        return [m for m in self.received if m["Subject"] not in CONFIRMATION_SUBJECTS]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}"
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text_of(mail: EmailMessage) -> str:
    """The plain-text body as written, its line ends as SMTP carried them made Python's."""
    content: str = mail.get_content()
    return content.replace("\r\n", "\n")
