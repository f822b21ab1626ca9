"""The languages members read Indigo in, and which one a request prefers."""

from __future__ import annotations

ENGLISH = "en"
# English first: what a request gets when it prefers none of them.
LANGUAGES = (ENGLISH, "fr")


def preferred_language(accept_language: str | None) -> str:
    """The supported language the client prefers most (`Accept-Language`), English if none."""
    best, best_weight = ENGLISH, 0.0
    for part in (accept_language or "").split(","):
        tag, *parameters = part.strip().split(";")
        language = tag.strip().lower().split("-")[0]
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if language in LANGUAGES and weight > best_weight:
            best, best_weight = language, weight
    return best
