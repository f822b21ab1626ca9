"""A member's password and address: changing the password, resetting a forgotten one with a
mailed link, confirming the address mailed at registration."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from models import AccountTokenPurpose, Member
from models.columns import utcnow
from resolvers import account_tokens
from resolvers.account_mail import mail_token
from resolvers.auth import issue_token, revoke_tokens
from resolvers.errors import DomainError, ErrorCode
from resolvers.members import check_password
from resolvers.passwords import hash_password, verify_password
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks


async def change_password(
    services: Services, member_id: int, *, current_password: str, new_password: str
) -> str:
    """Every sign-in of the member is revoked, this device's included; the new token
    returned replaces it."""
    checks = Checks()
    check_password(checks, new_password, "newPassword")
    checks.done()
    async with services.db.lookups() as session:
        password_hash = await session.scalar(
            select(col(Member.password_hash)).where(col(Member.id) == member_id)
        )
    if not await verify_password(password_hash, current_password):
        raise DomainError.of(
            ErrorCode.INVALID_CREDENTIALS,
            N_("this is not your current password"),
            "currentPassword",
        )
    fresh_hash = await hash_password(new_password)
    async with services.unit_of_work() as work:
        await work.session.execute(
            update(Member).where(col(Member.id) == member_id).values(password_hash=fresh_hash)
        )
        await revoke_tokens(work, member_id)
        return await issue_token(work.session, member_id, services.lifetimes.token_ttl_hours)


async def request_password_reset(services: Services, email: str) -> None:
    """Mail a reset link if a member has this address. The answer is the same either way, so
    it tells no one who is a member."""
    checks = Checks()
    email = checks.email("email", email)
    checks.done()
    async with services.unit_of_work() as work:
        member = await work.session.scalar(
            select(Member).where(col(Member.email) == email, col(Member.deleted_at).is_(None))
        )
        if member is None:
            return
        await mail_token(work, member, AccountTokenPurpose.RESET_PASSWORD)


async def reset_password(services: Services, *, token: str, new_password: str) -> None:
    """Set a new password with a mailed token; every sign-in of the member is revoked."""
    checks = Checks()
    check_password(checks, new_password, "newPassword")
    checks.done()
    fresh_hash = await hash_password(new_password)
    async with services.unit_of_work() as work:
        member_id = await account_tokens.redeem(
            work.session, token, AccountTokenPurpose.RESET_PASSWORD
        )
        await work.session.execute(
            update(Member).where(col(Member.id) == member_id).values(password_hash=fresh_hash)
        )
        await revoke_tokens(work, member_id)


async def confirm_email(services: Services, token: str) -> Member:
    async with services.unit_of_work() as work:
        member_id = await account_tokens.redeem(
            work.session, token, AccountTokenPurpose.CONFIRM_EMAIL
        )
        member = await work.session.get(Member, member_id)
        assert member is not None
        if member.email_confirmed_at is None:
            member.email_confirmed_at = utcnow()
            work.session.add(member)
            await work.session.flush()
    return member
