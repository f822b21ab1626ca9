"""Single-use tokens mailed to a member: a password reset, an address to confirm.

Like sign-in tokens, only their SHA-256 is kept. A token is redeemed once, before it
expires; any other use is refused the same way, so a guess learns nothing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import AccountToken, AccountTokenPurpose
from models.columns import utcnow
from resolvers.auth import digest
from resolvers.errors import invalid
from resolvers.translations import N_

LIFETIMES = {
    AccountTokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    AccountTokenPurpose.CONFIRM_EMAIL: timedelta(days=7),
}
MAX_TOKEN_LENGTH = 200


async def issue(session: AsyncSession, member_id: int, purpose: AccountTokenPurpose) -> str:
    token, now = secrets.token_urlsafe(32), utcnow()
    session.add(
        AccountToken(
            member_id=member_id,
            purpose=purpose,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    await session.flush()
    return token


async def redeem(session: AsyncSession, token: str, purpose: AccountTokenPurpose) -> int:
    """The member the token was mailed to, once: it is used up. VALIDATION on `token` if it
    is unknown, used, expired or for something else."""
    found = (
        await session.scalars(
            select(AccountToken)
            .where(col(AccountToken.token_hash) == digest(token[:MAX_TOKEN_LENGTH]))
            .with_for_update()
        )
    ).one_or_none()
    now = utcnow()
    if (
        found is None
        or found.purpose != purpose
        or found.used_at is not None
        or found.expires_at <= now
    ):
        raise invalid("token", N_("this link is not valid any more: ask for a new one"))
    found.used_at = now
    session.add(found)
    await session.flush()
    return found.member_id
