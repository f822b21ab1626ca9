"""Members: registration with its welcome grant, profiles, and looking members up."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models import AccountTokenPurpose, Member
from models.columns import BIO_LENGTH, DISPLAY_NAME_LENGTH
from models.lookups import rows_by_id
from resolvers import idempotency, ledger
from resolvers.account_mail import mail_token
from resolvers.auth import SignIn, issue_token
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint
from resolvers.passwords import hash_password
from resolvers.services import Services
from resolvers.standpoints import Standpoint
from resolvers.translations import N_
from resolvers.validation import Checks

MAX_SKILLS = 20
MAX_SKILL_LENGTH = 40


class Keep(enum.Enum):
    """Marks a profile field the update leaves as it is."""

    KEEP = enum.auto()


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    display_name: str | Keep | None = KEEP
    bio: str | Keep | None = KEEP
    skills: list[str] | Keep | None = KEEP
    location: GeoPoint | Keep | None = KEEP


def location_of(member: Member) -> GeoPoint | None:
    if member.latitude is None or member.longitude is None:
        return None
    return GeoPoint(member.latitude, member.longitude)


def location_seen_from(member: Member, standpoint: Standpoint) -> GeoPoint | None:
    """Exact for the member themselves, rounded for anyone else."""
    point = location_of(member)
    return None if point is None else point.seen_from(standpoint)


async def wallet_of(services: Services, member_id: int) -> ledger.Wallet:
    async with services.db.read() as session:
        return await ledger.wallet(session, member_id)


def check_password(checks: Checks, password: str, field: str = "password") -> None:
    if not 10 <= len(password) <= 128:
        checks.refuse(field, N_("must be 10 to 128 characters"))


async def register(
    services: Services,
    *,
    email: str,
    password: str,
    display_name: str,
    location: GeoPoint | None = None,
    language: str = "en",
) -> SignIn:
    """A new member, signed in. `language` is that of the mails they will receive."""
    checks = Checks()
    email = checks.email("email", email)
    check_password(checks, password)
    display_name = checks.text(
        "displayName", display_name, min_length=1, max_length=DISPLAY_NAME_LENGTH
    )
    if location is not None:
        checks.point("location", location)
    checks.done()

    async with services.db.lookups() as session:
        if (
            await session.scalar(select(col(Member.id)).where(col(Member.email) == email))
            is not None
        ):
            raise _email_taken()
    password_hash = await hash_password(password)

    async with services.unit_of_work() as work:
        member = Member(
            email=email,
            password_hash=password_hash,
            display_name=display_name,
            latitude=location.latitude if location else None,
            longitude=location.longitude if location else None,
            language=language,
        )
        work.session.add(member)
        try:
            await work.session.flush()
        except IntegrityError as error:  # registered by someone else since the check above
            raise _email_taken() from error
        assert member.id is not None
        await ledger.open_accounts(work.session, member.id, services.economy.welcome_digos)
        token = await issue_token(work.session, member.id, services.lifetimes.token_ttl_hours)
        await mail_token(work, member, AccountTokenPurpose.CONFIRM_EMAIL)
    return SignIn(token=token, member=member)


def _email_taken() -> DomainError:
    return DomainError.of(ErrorCode.EMAIL_TAKEN, N_("this email already has an account"), "email")


async def update_profile(
    services: Services,
    member_id: int,
    changes: ProfileChanges,
    idempotency_key: str | None = None,
) -> Member:
    checks = Checks()
    display_name = changes.display_name
    if display_name is None:
        checks.refuse("displayName", N_("must not be empty"))
    elif display_name is not KEEP:
        display_name = checks.text(
            "displayName", display_name, min_length=1, max_length=DISPLAY_NAME_LENGTH
        )
    bio = changes.bio
    if isinstance(bio, str):
        bio = checks.text("bio", bio, max_length=BIO_LENGTH)
    skills = changes.skills
    if isinstance(skills, list):
        if len(skills) > MAX_SKILLS:
            checks.refuse("skills", N_("at most {max_skills} skills"), max_skills=MAX_SKILLS)
        skills = [
            checks.text("skills", skill, min_length=1, max_length=MAX_SKILL_LENGTH)
            for skill in skills
        ]
    if isinstance(changes.location, GeoPoint):
        checks.point("location", changes.location)
    idempotency.check_key(checks, idempotency_key)
    checks.done()

    request = idempotency.request_of("updateProfile", changes=changes)
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Member
        )
        if replay is not None:
            return replay
        member = await work.session.get(Member, member_id)
        if member is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("this member no longer exists"))
        if isinstance(display_name, str):
            member.display_name = display_name
        if bio is not KEEP:
            member.bio = bio or ""
        if skills is not KEEP:
            member.skills = list(dict.fromkeys(skills or []))
        if changes.location is not KEEP:
            member.latitude = changes.location.latitude if changes.location else None
            member.longitude = changes.location.longitude if changes.location else None
        await work.session.flush()
        if idempotency_key is not None:
            await idempotency.record(work.session, member_id, idempotency_key, member_id)
    return member


async def get_members(services: Services, member_ids: list[int]) -> list[Member | None]:
    """The members with these ids, in the same order (None where there is none)."""
    async with services.db.lookups() as session:
        return await rows_by_id(session, Member, member_ids)
