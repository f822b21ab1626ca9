"""Checks of raw input that collect every problem before refusing, so a form shows them all."""

from __future__ import annotations

import math
import re
import unicodedata

from models.columns import EMAIL_LENGTH
from resolvers.errors import DomainError, ErrorCode, Problem
from resolvers.geo import GeoPoint
from resolvers.translations import N_

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Checks:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def refuse(self, field: str, message: str, **params: object) -> None:
        self.problems.append(Problem(ErrorCode.VALIDATION, message, field, params=params))

    def text(self, field: str, value: str, *, min_length: int = 0, max_length: int) -> str:
        """The value with surrounding white space removed, if its length is allowed."""
        cleaned = value.strip()
        if has_control_characters(cleaned, allowed="\n\t"):
            self.refuse(field, N_("must not contain control characters"))
        elif len(cleaned) < min_length:
            if min_length == 1:
                self.refuse(field, N_("must not be empty"))
            else:
                self.refuse(field, N_("needs {min_length}+ characters"), min_length=min_length)
        elif len(cleaned) > max_length:
            self.refuse(
                field, N_("must be at most {max_length} characters"), max_length=max_length
            )
        return cleaned

    def email(self, field: str, value: str) -> str:
        normalised = normalise_email(value)
        if not is_email(normalised):
            self.refuse(field, N_("is not an email address"))
        return normalised

    def point(self, field: str, point: GeoPoint) -> GeoPoint:
        if not (math.isfinite(point.latitude) and -90 <= point.latitude <= 90):
            self.refuse(f"{field}.latitude", N_("must be between -90 and 90"))
        if not (math.isfinite(point.longitude) and -180 <= point.longitude <= 180):
            self.refuse(f"{field}.longitude", N_("must be between -180 and 180"))
        return point

    def whole_number(self, field: str, value: int, *, minimum: int, maximum: int) -> int:
        if not minimum <= value <= maximum:
            self.refuse(
                field,
                N_("must be a whole number from {minimum} to {maximum}"),
                minimum=minimum,
                maximum=maximum,
            )
        return value

    def done(self) -> None:
        if self.problems:
            raise DomainError(*self.problems)


def normalise_email(value: str) -> str:
    return value.strip().lower()


def is_email(normalised: str) -> bool:
    return (
        len(normalised) <= EMAIL_LENGTH
        and _EMAIL.match(normalised) is not None
        and not has_control_characters(normalised)
    )


def has_control_characters(value: str, allowed: str = "") -> bool:
    """NUL and the like: PostgreSQL refuses a NUL in text, and none belongs in a field."""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in value)
