"""Typed domain errors: what a business rule refused, and why, as data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum

from resolvers.languages import ENGLISH
from resolvers.translations import translate


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_STATE = "INVALID_STATE"
    INSUFFICIENT_DIGOS = "INSUFFICIENT_DIGOS"
    INSUFFICIENT_GOODVIBES = "INSUFFICIENT_GOODVIBES"
    NOT_SHORT_OF_DIGOS = "NOT_SHORT_OF_DIGOS"
    TOO_MANY_APPEALS = "TOO_MANY_APPEALS"
    OWN_LISTING = "OWN_LISTING"
    LISTING_CLOSED = "LISTING_CLOSED"
    RATE_LIMITED = "RATE_LIMITED"
    LIMIT_REACHED = "LIMIT_REACHED"
    BLOCKED = "BLOCKED"
    ALREADY_DONE = "ALREADY_DONE"
    SUSPENDED = "SUSPENDED"


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str  # English, marked with N_, its placeholders named in `params`
    field: str | None = None
    retry_after_seconds: int | None = None
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def text(self, language: str = ENGLISH) -> str:
        return translate(self.message, self.params, language)


class DomainError(Exception):
    """A refusal by a business rule. Raised inside a unit of work, it rolls it back."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.text() for p in problems))
        self.problems = problems

    @classmethod
    def of(
        cls, code: ErrorCode, message: str, field: str | None = None, **params: object
    ) -> DomainError:
        return cls(Problem(code, message, field, params=params))


def invalid(field: str, message: str, **params: object) -> DomainError:
    return DomainError.of(ErrorCode.VALIDATION, message, field, **params)
