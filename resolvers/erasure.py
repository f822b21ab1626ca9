"""Deleting an account (design.md, "Privacy"): the member's sign-ins are revoked, their
listings closed, their open exchanges cancelled with holds released, what remains of their
digos and goodvibes returned to the commons by ledger entries, and their personal data
erased. The row stays, as a former member, so the ledger and the other parties' history
stay whole.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    OPEN_STATUSES,
    Account,
    AccountToken,
    Alert,
    Asset,
    Exchange,
    Listing,
    ListingStatus,
    Mail,
    Member,
    NotificationSetting,
    RateLimitCounter,
    TransferKind,
)
from models.columns import utcnow
from models.locks import lock_accounts, lock_exchanges, lock_listings
from resolvers import ledger
from resolvers.auth import revoke_tokens
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint
from resolvers.listing_lifecycle import cancel_exchanges, mark_ended
from resolvers.listings import derive_search_columns
from resolvers.passwords import verify_password
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_

FORMER_MEMBER = "former member"
# No Argon2 hash: nothing verifies against it.
NO_PASSWORD = "!"


def erased_email(member_id: int) -> str:
    """Unique, as the column must be, and nobody's address."""
    return f"former-member-{member_id}@erased.invalid"


async def delete_account(services: Services, member_id: int, password: str) -> None:
    async with services.db.lookups() as session:
        member = await session.get(Member, member_id)
    if member is None or not await verify_password(member.password_hash, password):
        raise DomainError.of(
            ErrorCode.INVALID_CREDENTIALS, N_("this is not your password"), "password"
        )
    async with services.unit_of_work() as work:
        await _close_listings_and_exchanges(work, member_id)
        await _return_to_commons(work.session, member_id)
        await revoke_tokens(work, member_id)
        for owned in (AccountToken, Alert, NotificationSetting):
            await work.session.execute(delete(owned).where(col(owned.member_id) == member_id))
        await work.session.execute(
            delete(RateLimitCounter).where(
                col(RateLimitCounter.key) == f"login:email:{member.email}"
            )
        )
        await _erase_mail(work.session, member)
        await _erase_profile(work.session, member_id)


async def _close_listings_and_exchanges(work: UnitOfWork, member_id: int) -> None:
    """Close the member's listings, and cancel what is open on them and with the member,
    every lock taken at once in the order of models/locks.py: the listings, then the
    exchanges, then every account that moves (the commons' and the member's, where what is
    left goes back, included). Each listing keeps only the rounded point that others already
    saw: the exact one tells where the member lives."""
    session = work.session
    listings = await lock_listings(session, col(Listing.author_id) == member_id)
    # Every exchange open with the member: the requests on their listings among them.
    still_open = await lock_exchanges(
        session,
        col(Exchange.status).in_(list(OPEN_STATUSES)),
        (col(Exchange.provider_id) == member_id) | (col(Exchange.beneficiary_id) == member_id),
    )
    await lock_accounts(
        session,
        [
            (owner, asset)
            for owner in {None, member_id, *(x.beneficiary_id for x in still_open)}
            for asset in Asset
        ],
    )
    for listing in listings:
        if listing.status != ListingStatus.CLOSED:
            mark_ended(work, listing, ListingStatus.CLOSED)
        shown = GeoPoint(listing.latitude, listing.longitude).rounded()
        listing.latitude, listing.longitude = shown.latitude, shown.longitude
        derive_search_columns(listing)
        session.add(listing)
    await cancel_exchanges(work, still_open, by=member_id)
    await session.flush()


async def _return_to_commons(session: AsyncSession, member_id: int) -> None:
    accounts = await lock_accounts(
        session, [(owner, asset) for owner in (None, member_id) for asset in Asset]
    )
    for asset in Asset:
        balance = await session.scalar(
            select(col(Account.balance)).where(col(Account.id) == accounts[member_id, asset])
        )
        await ledger.transfer(
            session,
            asset=asset,
            debit=member_id,
            credit=None,
            amount=balance or 0,
            kind=TransferKind.RETURNED_TO_COMMONS,
        )


async def _erase_mail(session: AsyncSession, member: Member) -> None:
    """The outbox keeps no mail to the member, and names them in no mail to others: those
    read as they would be written now, of a former member."""
    await session.execute(
        delete(Mail).where(
            (col(Mail.member_id) == member.id) | (col(Mail.to_address) == member.email)
        )
    )
    name = member.display_name
    naming = await session.scalars(
        select(Mail).where(
            col(Mail.subject).contains(name, autoescape=True)
            | col(Mail.body).contains(name, autoescape=True)
        )
    )
    for mail in naming.all():
        mail.subject = mail.subject.replace(name, FORMER_MEMBER)
        mail.body = mail.body.replace(name, FORMER_MEMBER)
        session.add(mail)
    await session.flush()


async def _erase_profile(session: AsyncSession, member_id: int) -> None:
    member = await session.get(Member, member_id, with_for_update=True)
    assert member is not None
    member.email = erased_email(member_id)
    member.password_hash = NO_PASSWORD
    member.display_name = FORMER_MEMBER
    member.bio = ""
    member.skills = []
    member.latitude = member.longitude = None
    member.email_confirmed_at = None
    member.deleted_at = utcnow()
    session.add(member)
    await session.flush()
