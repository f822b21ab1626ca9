"""Argon2id password hashing (OWASP parameters), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# Checked against when the email is unknown, so that answering "no such member" takes as
# long as answering "wrong password" and timing does not reveal who is a member.
_NOBODY = (
    "$argon2id$v=19$m=19456,t=2,p=1$cG1C2cu2iTnoksHgngM2cg$"
    "ppMVznO+xmijZyTq0v9U1DsI/MVceZmX0I9CsKtuIes"
)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; a None hash (unknown member) costs the same and fails."""

    def verify() -> bool:
        try:
            _HASHER.verify(password_hash or _NOBODY, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
