"""What a notification says, in the app (by the request's language) and in mail (by the
member's language): plain text, translated from the catalogues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models import NotificationKind
from models.columns import MAIL_SUBJECT_LENGTH
from resolvers.languages import ENGLISH, LANGUAGES
from resolvers.translations import N_, translate

_TEXTS: dict[NotificationKind, str] = {
    NotificationKind.EXCHANGE_REQUESTED: N_("{actor} asked for “{listing}”"),
    NotificationKind.EXCHANGE_ACCEPTED: N_("{actor} accepted your exchange on “{listing}”"),
    NotificationKind.EXCHANGE_DECLINED: N_("{actor} declined your request for “{listing}”"),
    NotificationKind.EXCHANGE_CANCELLED: N_("{actor} cancelled the exchange on “{listing}”"),
    NotificationKind.EXCHANGE_COMPLETED: N_("{actor} completed the exchange on “{listing}”"),
    NotificationKind.MESSAGE_RECEIVED: N_("{actor} sent you a message"),
    NotificationKind.REVIEW_RECEIVED: N_("{actor} reviewed your exchange on “{listing}”"),
    NotificationKind.APPEAL_ANSWERED: N_("{actor} offered to help with your appeal “{listing}”"),
    NotificationKind.ALERT_MATCH: N_("New near you: “{listing}”"),
    NotificationKind.LISTING_EXPIRING: N_(
        "Your listing “{listing}” expires in three days: renew it to keep it"
    ),
    NotificationKind.MODERATION: N_(
        "A moderator took a decision about your account or your listings"
    ),
}


@dataclass(frozen=True, slots=True)
class Told:
    """What a notification names, for its text."""

    kind: NotificationKind
    actor: str | None = None
    listing: str | None = None


def _offered(language: str) -> str:
    # A member's stored language may be one no longer offered: they read English then.
    return language if language in LANGUAGES else ENGLISH


def notification_text(told: Told, language: str) -> str:
    return translate(
        _TEXTS[told.kind],
        {"actor": told.actor or N_("Someone"), "listing": told.listing or N_("a listing")},
        language,
    )


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    body: str


def _letter(name: str, lines: Sequence[str], language: str, link: str, settings: str) -> str:
    return "\n".join(
        [
            translate(N_("Hello {name},"), {"name": name}, language),
            "",
            *lines,
            "",
            translate(N_("See it in Indigo: {link}"), {"link": link}, language),
            "",
            "-- ",
            translate(
                N_("You receive this mail because of your notification settings: {link}"),
                {"link": settings},
                language,
            ),
            "",
        ]
    )


def notification_mail(
    told: Told, *, name: str, language: str, link: str, settings: str
) -> MailText:
    """The mail of one notification, sent at once."""
    language = _offered(language)
    text = notification_text(told, language)
    # A title may hold line breaks; a header may not.
    subject = " ".join(f"Indigo: {text}".split())[:MAIL_SUBJECT_LENGTH]
    return MailText(subject=subject, body=_letter(name, [text], language, link, settings))


def digest_mail(
    told: Sequence[Told], *, name: str, language: str, link: str, settings: str
) -> MailText:
    """One mail for a day's notifications, oldest first."""
    language = _offered(language)
    lines = [translate(N_("Here is what happened today:"), language=language), ""]
    lines += [f"- {notification_text(t, language)}" for t in told]
    return MailText(
        subject=translate(N_("Indigo: your day"), language=language),
        body=_letter(name, lines, language, link, settings),
    )
