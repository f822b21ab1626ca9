"""Opaque IDs: base64 of `Type:number`, so clients cannot mistake one kind for another."""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import invalid


def encode_id(kind: str, pk: int | None) -> strawberry.ID:
    assert pk is not None, f"{kind} without a primary key"
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode())


def decode_id(kind: str, value: str, field: str = "id") -> int:
    """The primary key inside an ID of `kind`; a VALIDATION error for anything else."""
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid(field, f"is not a {kind} ID") from None
    prefix, _, number = decoded.partition(":")
    if prefix != kind or not number.isdigit() or len(number) > 18:
        raise invalid(field, f"is not a {kind} ID")
    return int(number)
