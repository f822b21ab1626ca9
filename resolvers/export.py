"""Everything the server holds about a member, as one JSON document (design.md, "Privacy").

One small function per top-level key, read in one snapshot. Of other members, only what is
public: their id and display name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    Account,
    Alert,
    Block,
    Conversation,
    ConversationMember,
    Exchange,
    LedgerEntry,
    Listing,
    Member,
    Message,
    Notification,
    Report,
    Review,
    Transfer,
)
from resolvers.services import Services

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


async def conversations(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    """The member's conversations with every message, both parties' (each was sent to them)."""
    mine = select(col(ConversationMember.conversation_id)).where(
        col(ConversationMember.member_id) == member_id
    )
    rows = (
        await session.scalars(
            select(Conversation)
            .where(col(Conversation.id).in_(mine))
            .order_by(col(Conversation.id))
        )
    ).all()
    messages = (
        await session.scalars(
            select(Message).where(col(Message.conversation_id).in_(mine)).order_by(col(Message.id))
        )
    ).all()
    others = await session.execute(
        select(col(ConversationMember.conversation_id), col(ConversationMember.member_id)).where(
            col(ConversationMember.conversation_id).in_(mine),
            col(ConversationMember.member_id) != member_id,
        )
    )
    other_of: dict[int, int] = {c: m for c, m in others.all() if c is not None}
    return [
        {
            "id": row.id,
            "otherMemberId": other_of.get(row.id or 0),
            "listingId": row.listing_id,
            "exchangeId": row.exchange_id,
            "messages": [
                {
                    "id": m.id,
                    "mine": m.author_id == member_id,
                    "body": m.body,
                    "createdAt": _time(m.created_at),
                }
                for m in messages
                if m.conversation_id == row.id
            ],
        }
        for row in rows
    ]


async def notifications(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Notification)
        .where(col(Notification.member_id) == member_id)
        .order_by(col(Notification.id))
    )
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "actorId": row.actor_id,
            "exchangeId": row.exchange_id,
            "listingId": row.listing_id,
            "messageId": row.message_id,
            "createdAt": _time(row.created_at),
            "readAt": _time(row.read_at),
        }
        for row in rows
    ]


async def alerts(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Alert).where(col(Alert.member_id) == member_id).order_by(col(Alert.id))
    )
    return [
        {
            "id": row.id,
            "near": {"latitude": row.latitude, "longitude": row.longitude},
            "radiusKm": row.radius_km,
            "types": list(row.types),
            "categories": list(row.categories),
            "text": row.text,
            "createdAt": _time(row.created_at),
        }
        for row in rows
    ]


async def reviews_given(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Review).where(col(Review.author_id) == member_id).order_by(col(Review.id))
    )
    return [
        {
            "id": row.id,
            "exchangeId": row.exchange_id,
            "listingId": row.listing_id,
            "subjectId": row.subject_id,
            "rating": row.rating,
            "comment": row.comment,
            "createdAt": _time(row.created_at),
        }
        for row in rows
    ]


async def reviews_received(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    """Of each reviewer, their public display name alone."""
    rows = await session.execute(
        select(Review, col(Member.display_name))
        .join(Member, col(Member.id) == col(Review.author_id))
        .where(col(Review.subject_id) == member_id)
        .order_by(col(Review.id))
    )
    return [
        {
            "id": row.id,
            "exchangeId": row.exchange_id,
            "listingId": row.listing_id,
            "reviewerDisplayName": reviewer,
            "rating": row.rating,
            "comment": row.comment,
            "createdAt": _time(row.created_at),
        }
        for row, reviewer in rows.all()
    ]


async def blocks(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    """Whom the member blocked; not who blocked them."""
    rows = await session.execute(
        select(Block, col(Member.display_name))
        .join(Member, col(Member.id) == col(Block.blocked_id))
        .where(col(Block.blocker_id) == member_id)
        .order_by(col(Block.created_at), col(Block.blocked_id))
    )
    return [
        {
            "memberId": row.blocked_id,
            "displayName": display_name,
            "createdAt": _time(row.created_at),
        }
        for row, display_name in rows.all()
    ]


async def reports(session: AsyncSession, member_id: int) -> list[dict[str, Any]]:
    """The reports the member filed; not those filed about them."""
    rows = await session.scalars(
        select(Report).where(col(Report.reporter_id) == member_id).order_by(col(Report.id))
    )
    return [
        {
            "id": row.id,
            "memberId": row.member_id,
            "listingId": row.listing_id,
            "messageId": row.message_id,
            "reason": row.reason,
            "details": row.details,
            "status": row.status,
            "createdAt": _time(row.created_at),
            "resolvedAt": _time(row.resolved_at),
        }
        for row in rows
    ]


SECTIONS: dict[str, Section] = {
    "profile": profile,
    "listings": listings,
    "exchanges": exchanges,
    "ledger": ledger,
    "conversations": conversations,
    "reviewsGiven": reviews_given,
    "reviewsReceived": reviews_received,
    "notifications": notifications,
    "alerts": alerts,
    "blocks": blocks,
    "reports": reports,
}


async def export_member_data(services: Services, member_id: int) -> dict[str, Any]:
    async with services.db.read() as session:
        return {key: await section(session, member_id) for key, section in SECTIONS.items()}
