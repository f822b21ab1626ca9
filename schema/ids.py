"""Opaque IDs: base64 of `Type:number`, so clients cannot mistake one kind for another."""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import invalid
from resolvers.messages import N_


def encode_id(kind: str, pk: int | None) -> strawberry.ID:
    assert pk is not None, f"{kind} without a primary key"
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode())


MAX_PRIMARY_KEY = 2**31 - 1


def decode_id(kind: str, value: str, field: str = "id") -> int:
    """The primary key inside an ID of `kind`; a VALIDATION error for anything else."""
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid(field, N_("is not a {kind} ID"), kind=kind) from None
    prefix, _, number = decoded.partition(":")
    # Primary keys are 32-bit integers: a larger number names no row, and PostgreSQL would
    # refuse to compare it rather than find nothing.
    if prefix != kind or not number.isascii() or not number.isdigit() or len(number) > 10:
        raise invalid(field, N_("is not a {kind} ID"), kind=kind)
    if int(number) > MAX_PRIMARY_KEY:
        raise invalid(field, N_("no {kind} has this ID"), kind=kind)
    return int(number)
