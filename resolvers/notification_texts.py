"""What a notification says, in English and French: in the app (by the request's language)
and in mail (by the member's language). Plain text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models import NotificationKind

LANGUAGES = ("en", "fr")
SUBJECT_LENGTH = 200

_TEXTS: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.EXCHANGE_REQUESTED: (
        "{actor} asked for “{listing}”",
        "{actor} a demandé « {listing} »",
    ),
    NotificationKind.EXCHANGE_ACCEPTED: (
        "{actor} accepted your exchange on “{listing}”",
        "{actor} a accepté votre échange sur « {listing} »",
    ),
    NotificationKind.EXCHANGE_DECLINED: (
        "{actor} declined your request for “{listing}”",
        "{actor} a refusé votre demande pour « {listing} »",
    ),
    NotificationKind.EXCHANGE_CANCELLED: (
        "{actor} cancelled the exchange on “{listing}”",
        "{actor} a annulé l'échange sur « {listing} »",
    ),
    NotificationKind.EXCHANGE_COMPLETED: (
        "{actor} completed the exchange on “{listing}”",
        "{actor} a terminé l'échange sur « {listing} »",
    ),
    NotificationKind.MESSAGE_RECEIVED: (
        "{actor} sent you a message",
        "{actor} vous a envoyé un message",
    ),
    NotificationKind.REVIEW_RECEIVED: (
        "{actor} reviewed your exchange on “{listing}”",
        "{actor} a laissé un avis sur votre échange « {listing} »",
    ),
    NotificationKind.APPEAL_ANSWERED: (
        "{actor} offered to help with your appeal “{listing}”",
        "{actor} propose son aide pour votre appel « {listing} »",
    ),
    NotificationKind.ALERT_MATCH: (
        "New near you: “{listing}”",
        "Nouveau près de chez vous : « {listing} »",
    ),
    NotificationKind.LISTING_EXPIRING: (
        "Your listing “{listing}” expires in three days: renew it to keep it",
        "Votre annonce « {listing} » expire dans trois jours : renouvelez-la pour la garder",
    ),
    NotificationKind.MODERATION: (
        "A moderator took a decision about your account or your listings",
        "Un modérateur a pris une décision concernant votre compte ou vos annonces",
    ),
}

_WORDS: dict[str, tuple[str, str]] = {
    "someone": ("Someone", "Quelqu'un"),
    "a listing": ("a listing", "une annonce"),
    "hello": ("Hello {name},", "Bonjour {name},"),
    "open": ("See it in Indigo: {link}", "Voir dans Indigo : {link}"),
    "settings": (
        "You receive this mail because of your notification settings: {link}",
        "Vous recevez ce mail selon vos réglages de notifications : {link}",
    ),
    "digest subject": ("Indigo: your day", "Indigo : votre journée"),
    "digest intro": ("Here is what happened today:", "Voici ce qui s'est passé aujourd'hui :"),
}


def _word(key: str, language: str) -> str:
    english, french = _WORDS[key]
    return french if language == "fr" else english


@dataclass(frozen=True, slots=True)
class Told:
    """What a notification names, for its text."""

    kind: NotificationKind
    actor: str | None = None
    listing: str | None = None


def notification_text(told: Told, language: str) -> str:
    english, french = _TEXTS[told.kind]
    return (french if language == "fr" else english).format(
        actor=told.actor or _word("someone", language),
        listing=told.listing or _word("a listing", language),
    )


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    body: str


def _letter(name: str, lines: Sequence[str], language: str, link: str, settings: str) -> str:
    return "\n".join(
        [
            _word("hello", language).format(name=name),
            "",
            *lines,
            "",
            _word("open", language).format(link=link),
            "",
            "-- ",
            _word("settings", language).format(link=settings),
            "",
        ]
    )


def notification_mail(
    told: Told, *, name: str, language: str, link: str, settings: str
) -> MailText:
    """The mail of one notification, sent at once."""
    text = notification_text(told, language)
    # A title may hold line breaks; a header may not.
    subject = " ".join(f"Indigo: {text}".split())[:SUBJECT_LENGTH]
    return MailText(subject=subject, body=_letter(name, [text], language, link, settings))


def digest_mail(
    told: Sequence[Told], *, name: str, language: str, link: str, settings: str
) -> MailText:
    """One mail for a day's notifications, oldest first."""
    lines = [_word("digest intro", language), ""]
    lines += [f"- {notification_text(t, language)}" for t in told]
    return MailText(
        subject=_word("digest subject", language),
        body=_letter(name, lines, language, link, settings),
    )
