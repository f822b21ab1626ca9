"""Everything the server holds about a member, as one JSON document (design.md, "Privacy").

One small function per top-level key, read in one snapshot. The keys whose feature is not
built yet answer an empty list until it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Account, Exchange, LedgerEntry, Listing, Member, Transfer
from resolvers.platform import Platform

Section = Callable[[AsyncSession, int], Awaitable[Any]]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def profile(session: AsyncSession, member_id: int) -> dict[str, Any]:
    member = await session.get(Member, member_id)
    assert member is not None
    return {
        "id": member.id,
        "email": member.email,
        "emailConfirmedAt": _time(member.email_confirmed_at),
        "displayName": member.display_name,
        "bio": member.bio,
        "skills": list(member.skills),
        "location": (
            None
            if member.latitude is None
            else {"latitude": member.latitude, "longitude": member.longitude}
        ),
        "memberSince": _time(member.created_at),
    }


async def listings(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Listing).where(col(Listing.author_id) == member_id).order_by(col(Listing.id))
    )
    return [
        {
            "id": row.id,
            "type": row.type,
            "kind": row.kind,
            "category": row.category,
            "title": row.title,
            "description": row.description,
            "digos": row.digos,
            "status": row.status,
            "location": {"latitude": row.latitude, "longitude": row.longitude},
            "createdAt": _time(row.created_at),
            "updatedAt": _time(row.updated_at),
            "expiresAt": _time(row.expires_at),
        }
        for row in rows
    ]


async def exchanges(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    """Both sides of each exchange; of the other member, only their public id."""
    rows = await session.scalars(
        select(Exchange)
        .where(
            (col(Exchange.provider_id) == member_id) | (col(Exchange.beneficiary_id) == member_id)
        )
        .order_by(col(Exchange.id))
    )
    return [
        {
            "id": row.id,
            "listingId": row.listing_id,
            "listingType": row.listing_type,
            "role": "PROVIDER" if row.provider_id == member_id else "BENEFICIARY",
            "otherMemberId": (
                row.beneficiary_id if row.provider_id == member_id else row.provider_id
            ),
            "status": row.status,
            "digos": row.digos,
            "discountDigos": row.discount_digos,
            "goodvibesApplied": row.goodvibes_applied,
            "createdAt": _time(row.created_at),
            "updatedAt": _time(row.updated_at),
        }
        for row in rows
    ]


async def ledger(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(LedgerEntry, col(Account.asset), col(Transfer.kind), col(Transfer.exchange_id))
        .join(Account, col(Account.id) == col(LedgerEntry.account_id))
        .join(Transfer, col(Transfer.id) == col(LedgerEntry.transfer_id))
        .where(col(Account.member_id) == member_id)
        .order_by(col(LedgerEntry.id))
    )
    return [
        {
            "id": entry.id,
            "asset": asset,
            "amount": entry.amount,
            "balanceAfter": entry.balance_after,
            "kind": kind,
            "exchangeId": exchange_id,
            "createdAt": _time(entry.created_at),
        }
        for entry, asset, kind, exchange_id in rows.all()
    ]


async def nothing_yet(session: AsyncSession, member_id: int) -> list[Any]:
    return []


SECTIONS: dict[str, Section] = {
    "profile": profile,
    "listings": listings,
    "exchanges": exchanges,
    "ledger": ledger,
    "conversations": nothing_yet,
    "reviewsGiven": nothing_yet,
    "reviewsReceived": nothing_yet,
    "notifications": nothing_yet,
    "alerts": nothing_yet,
    "blocks": nothing_yet,
    "reports": nothing_yet,
}


async def export_member_data(platform: Platform, member_id: int) -> dict[str, Any]:
    async with platform.db.read() as session:
        return {key: await section(session, member_id) for key, section in SECTIONS.items()}
