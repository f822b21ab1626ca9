"""Which of Indigo's languages a request's `Accept-Language` asks for."""

from __future__ import annotations

import pytest

from resolvers.languages import preferred_language


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-FR, fr;q=0.9, en;q=0.8", "fr"),
        ("en-GB, fr;q=0.5", "en"),
        ("fr;q=0.5, en-GB", "en"),
        ("de-DE, fr-CA;q=0.7", "fr"),
        ("de-DE", "en"),
        ("FR-be", "fr"),
        ("fr;q=0, en;q=0", "en"),
        ("fr;q=oops, en;q=0.1", "en"),
        ("*", "en"),
    ],
)
def test_the_preferred_supported_language_english_when_none(
    accept_language: str | None, language: str
) -> None:
    assert preferred_language(accept_language) == language
