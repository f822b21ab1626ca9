"""Signing in and out: opaque random tokens, kept only as SHA-256 hashes, with an expiry.

A sign-in ends when its token expires or is revoked (`revoke_tokens`: logout, and whatever
else must sign a member out). A socket signed in with a token lives no longer than it: the
transport waits on `sign_in_ends` and closes the socket when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import AuthToken, Member
from models.columns import utcnow
from realtime.channels import sign_in_channel
from realtime.events import SignInsRevoked
from realtime.fanout import Listener, TooSlow
from resolvers.errors import DomainError, ErrorCode
from resolvers.passwords import hash_password, needs_rehash, verify_password
from resolvers.rate_limits import count_hit, rate_limited
from resolvers.services import Services, UnitOfWork
from resolvers.suspensions import refuse_if_suspended
from resolvers.translations import N_
from resolvers.validation import is_email, normalise_email

log = logging.getLogger("indigo.auth")

RECHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class SignIn:
    token: str
    member: Member


def _wrong_credentials() -> DomainError:
    return DomainError.of(ErrorCode.INVALID_CREDENTIALS, N_("wrong email or password"))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, member_id: int, ttl_hours: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            member_id=member_id,
            token_hash=digest(token),
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
    )
    await session.flush()
    return token


async def login(services: Services, *, email: str, password: str, client: str) -> SignIn:
    email = normalise_email(email)
    if not is_email(email):
        # No member can have it, and it must not reach the rate-limit key (PostgreSQL
        # refuses a NUL in text): the same answer as any unknown email.
        raise _wrong_credentials()
    limit = services.rate_limits.login_attempts_per_minute
    async with services.unit_of_work() as work:
        waits = [
            await count_hit(work.session, f"login:email:{email}", limit=limit),
            await count_hit(work.session, f"login:client:{client}", limit=limit),
        ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise rate_limited(wait)

    async with services.db.lookups() as session:
        member = await session.scalar(select(Member).where(col(Member.email) == email))
    if not await verify_password(member.password_hash if member else None, password):
        raise _wrong_credentials()
    assert member is not None
    assert member.id is not None
    await refuse_if_suspended(services, member.id)

    fresh_hash = await hash_password(password) if needs_rehash(member.password_hash) else None
    async with services.unit_of_work() as work:
        if fresh_hash is not None:
            await work.session.execute(
                update(Member).where(col(Member.id) == member.id).values(password_hash=fresh_hash)
            )
        token = await issue_token(work.session, member.id, services.lifetimes.token_ttl_hours)
    return SignIn(token=token, member=member)


async def revoke_tokens(
    work: UnitOfWork, member_id: int, *, only: str | None = None, keep: str | None = None
) -> int:
    """Revoke the member's tokens: every one, or `only` that one, or all but `keep` (the one
    a member changing their password is signed in with, say); how many were revoked.

    Inside the caller's unit of work, so that the revocation commits with whatever caused it;
    once it has, every process closes the sockets signed in with a revoked token (they wait
    on `sign_in_ends`) and no request is signed in by one any more.
    """
    if only is not None and keep is not None:
        raise ValueError("revoke_tokens takes `only` or `keep`, not both")
    revoked = update(AuthToken).where(
        col(AuthToken.member_id) == member_id, col(AuthToken.revoked_at).is_(None)
    )
    if only is not None:
        revoked = revoked.where(col(AuthToken.token_hash) == digest(only))
    if keep is not None:
        revoked = revoked.where(col(AuthToken.token_hash) != digest(keep))
    result = await work.session.execute(revoked.values(revoked_at=utcnow()))
    work.publish_after_commit(SignInsRevoked(member_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def logout(services: Services, member_id: int, token: str) -> None:
    async with services.unit_of_work() as work:
        await revoke_tokens(work, member_id, only=token)


async def sign_in_ends(services: Services, member_id: int, token: str) -> None:
    """Return once `token` no longer signs the member in: revoked or expired.

    It listens where revocations of the member's tokens are announced, and checks the token
    again after each announcement, after the broadcaster reconnects (an announcement may have
    been lost meanwhile), and when the token expires.
    """
    while True:
        try:
            async with services.hub.listen([sign_in_channel(member_id)], _ignore) as listener:
                while (expires_at := await _valid_until(services, member_id, token)) is not None:
                    await _next_revocation(listener, expires_at)
                return
        except TooSlow:
            continue  # revocations came faster than checks: check afresh
        except (SQLAlchemyError, OSError) as error:
            # The database is away: the socket stays as it was until a check can be made.
            log.warning("checking a socket's sign-in failed (%s): trying again", error)
            await asyncio.sleep(RECHECK_SECONDS)


def _ignore() -> None:
    """A listener that fell behind raises TooSlow when next read; nothing more to do."""


async def _next_revocation(listener: Listener, expires_at: datetime) -> None:
    """Wait for news that may concern the token (a revocation, or the broadcaster back after
    losing some), or for it to expire."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout((expires_at - utcnow()).total_seconds()):
            await anext(listener)


async def _valid_until(services: Services, member_id: int, token: str) -> datetime | None:
    """When the token expires; None if it no longer signs this member in."""
    async with services.db.lookups() as session:
        return await session.scalar(
            select(AuthToken.expires_at).where(
                col(AuthToken.token_hash) == digest(token),
                col(AuthToken.member_id) == member_id,
                col(AuthToken.revoked_at).is_(None),
                col(AuthToken.expires_at) > utcnow(),
            )
        )


# Built once: every signed-in request runs it.
_SIGNED_IN = (
    select(Member)
    .join(AuthToken, col(AuthToken.member_id) == col(Member.id))
    .where(
        col(AuthToken.token_hash) == bindparam("token_hash"),
        col(AuthToken.revoked_at).is_(None),
        col(AuthToken.expires_at) > bindparam("now"),
    )
)


async def authenticate(services: Services, token: str) -> Member | None:
    """The member signed in with this token, if it is known, unexpired and not revoked."""
    async with services.db.lookups() as session:
        return await session.scalar(_SIGNED_IN, {"token_hash": digest(token), "now": utcnow()})
