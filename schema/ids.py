"""Opaque IDs: base64 of `Type:number`, so clients cannot mistake one kind for another, and
an ID alone says which object it names (Relay's global ids, fetched by `node(id:)`)."""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import invalid
from resolvers.translations import N_


def encode_id(kind: str, pk: int | None) -> strawberry.ID:
    assert pk is not None, f"{kind} without a primary key"
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode())


MAX_PRIMARY_KEY = 2**31 - 1


def _kind_and_number(value: str) -> tuple[str, int] | None:
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    kind, _, number = decoded.partition(":")
    if not kind or not number.isascii() or not number.isdigit() or len(number) > 10:
        return None
    return kind, int(number)


def decode_id(kind: str, value: str, field: str = "id") -> int:
    """The primary key inside an ID of `kind`; a VALIDATION error for anything else."""
    parts = _kind_and_number(value)
    if parts is None or parts[0] != kind:
        raise invalid(field, N_("is not a {kind} ID"), kind=kind)
    # Primary keys are 32-bit integers: a larger number names no row, and PostgreSQL would
    # refuse to compare it rather than find nothing.
    if parts[1] > MAX_PRIMARY_KEY:
        raise invalid(field, N_("no {kind} has this ID"), kind=kind)
    return parts[1]


def decode_any_id(value: str, field: str = "id") -> tuple[str, int]:
    """The kind and number inside an ID of any kind; a VALIDATION error if it is none."""
    parts = _kind_and_number(value)
    if parts is None:
        raise invalid(field, N_("is not an ID"))
    return parts
