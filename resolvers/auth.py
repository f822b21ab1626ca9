"""Signing in and out: opaque random tokens, kept only as SHA-256 hashes, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import AuthToken, Member
from models.columns import utcnow
from resolvers.errors import DomainError, ErrorCode
from resolvers.passwords import hash_password, needs_rehash, verify_password
from resolvers.platform import Platform
from resolvers.rate_limits import count_hit, rate_limited
from resolvers.suspensions import refuse_if_suspended
from resolvers.translations import N_
from resolvers.validation import is_email, normalise_email


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


async def login(platform: Platform, *, email: str, password: str, client: str) -> SignIn:
    email = normalise_email(email)
    if not is_email(email):
        # No member can have it, and it must not reach the rate-limit key (PostgreSQL
        # refuses a NUL in text): the same answer as any unknown email.
        raise _wrong_credentials()
    limit = platform.economy.login_attempts_per_minute
    async with platform.unit_of_work() as work:
        waits = [
            await count_hit(work.session, f"login:email:{email}", limit=limit),
            await count_hit(work.session, f"login:client:{client}", limit=limit),
        ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise rate_limited(wait)

    async with platform.db.lookups() as session:
        member = await session.scalar(select(Member).where(col(Member.email) == email))
    if not await verify_password(member.password_hash if member else None, password):
        raise _wrong_credentials()
    assert member is not None
    assert member.id is not None
    await refuse_if_suspended(platform, member.id)

    fresh_hash = await hash_password(password) if needs_rehash(member.password_hash) else None
    async with platform.unit_of_work() as work:
        if fresh_hash is not None:
            await work.session.execute(
                update(Member).where(col(Member.id) == member.id).values(password_hash=fresh_hash)
            )
        token = await issue_token(work.session, member.id, platform.economy.token_ttl_hours)
    return SignIn(token=token, member=member)


async def logout(platform: Platform, token: str) -> None:
    async with platform.unit_of_work() as work:
        await work.session.execute(
            update(AuthToken)
            .where(col(AuthToken.token_hash) == digest(token), col(AuthToken.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


async def revoke_sign_ins(session: AsyncSession, member_id: int) -> None:
    """Revoke every token of the member, as logout revokes one."""
    await session.execute(
        update(AuthToken)
        .where(col(AuthToken.member_id) == member_id, col(AuthToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def authenticate(platform: Platform, token: str) -> Member | None:
    """The member signed in with this token, if it is known, unexpired and not revoked."""
    async with platform.db.lookups() as session:
        return await session.scalar(
            select(Member)
            .join(AuthToken, col(AuthToken.member_id) == col(Member.id))
            .where(
                col(AuthToken.token_hash) == digest(token),
                col(AuthToken.revoked_at).is_(None),
                col(AuthToken.expires_at) > utcnow(),
            )
        )
