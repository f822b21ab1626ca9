"""What members read, in their language: English messages translated from gettext catalogues.

A message is written in English where its rule is, marked with `N_` so that `make messages`
extracts it into `locale/indigo.pot` and the catalogue of each other language, with named
placeholders (`"at most {limit} characters"`) filled in only once it is translated. It is
translated once, where it leaves for a client (schema/errors.py), in the request's language.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from resolvers.languages import ENGLISH, LANGUAGES

LOCALE = Path(__file__).with_name("locale")
DOMAIN = "indigo"


class MissingTranslation(UserWarning):
    """A message that is not in the catalogues: unmarked, or not extracted and translated."""


class Marked(str):
    """A message marked with N_: as a placeholder's value, it is translated too."""

    __slots__ = ()


def N_(message: str) -> str:
    """Mark `message` for extraction (gettext's name for a marker that translates later)."""
    return Marked(message)


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Mapping[str, str]:
    """The catalogue of `language`: each English message and its translation, if it has one."""
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    return {
        str(message.id): str(message.string)
        for message in catalogue
        if message.id and message.string and not message.fuzzy
    }


def translate(
    message: str, params: Mapping[str, object] | None = None, language: str = ENGLISH
) -> str:
    """`message` in `language` (English if it is not one of ours), its placeholders filled."""
    for other in LANGUAGES[1:]:
        if message not in translations(other):
            # Warned in English too, so that a test in either language finds the gap.
            warnings.warn(
                f"{message!r} has no {other} translation: mark it with N_, run "
                f"`make messages` and translate it in {catalogue_path(other)}",
                MissingTranslation,
                stacklevel=2,
            )
    template = translations(language).get(message, message) if language != ENGLISH else message
    return template.format_map(
        {
            name: translate(value, language=language) if isinstance(value, Marked) else value
            for name, value in (params or {}).items()
        }
    )
