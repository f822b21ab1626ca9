"""What a suspension does at once, and what a restore can undo.

A suspension revokes the member's sign-ins (as logout does), hides their open listings and
is committed in one unit of work; their open exchanges are then cancelled one by one by the
exchange state machine itself (holds released, parties told), each in its own unit of work
and with its own lock order. Nothing new can start meanwhile: the member can no longer sign
in, and their listings take no requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import OPEN_STATUSES, Exchange, Listing, ListingStatus, Suspension
from models.columns import utcnow
from resolvers import exchanges
from resolvers.auth import revoke_tokens
from resolvers.errors import DomainError
from resolvers.services import Services, UnitOfWork


async def suspend(work: UnitOfWork, member_id: int, until: datetime) -> tuple[Suspension, int]:
    """Suspend the member inside the caller's unit of work: the suspension, and how many
    sign-ins it revoked. `cancel_open_exchanges` must run once it has committed."""
    session = work.session
    now = utcnow()
    revoked = await revoke_tokens(work, member_id)
    hidden = list(
        (
            await session.scalars(
                update(Listing)
                .where(
                    col(Listing.author_id) == member_id, col(Listing.status) == ListingStatus.OPEN
                )
                .values(status=ListingStatus.HIDDEN, updated_at=now)
                .returning(col(Listing.id))
            )
        ).all()
    )
    suspension = Suspension(
        member_id=member_id, until=until, hidden_listing_ids=sorted(i for i in hidden if i)
    )
    session.add(suspension)
    await session.flush()
    return suspension, revoked


async def cancel_open_exchanges(services: Services, member_id: int) -> int:
    """Cancel, as the member, every exchange of theirs still REQUESTED or ACCEPTED; how many
    were cancelled. One that moved on meanwhile (completed, say) is left as it is."""
    async with services.db.lookups() as session:
        open_ids = (
            await session.scalars(
                select(col(Exchange.id))
                .where(
                    (col(Exchange.provider_id) == member_id)
                    | (col(Exchange.beneficiary_id) == member_id),
                    col(Exchange.status).in_(OPEN_STATUSES),
                )
                .order_by(col(Exchange.id))
            )
        ).all()
    cancelled = 0
    for exchange_id in open_ids:
        assert exchange_id is not None
        try:
            await exchanges.close_exchange(
                services, member_id, exchanges.CANCEL, exchange_id=exchange_id
            )
        except DomainError:
            continue
        cancelled += 1
    return cancelled


async def lift(session: AsyncSession, member_id: int) -> tuple[Suspension, int] | None:
    """Lift the member's latest suspension still in force (or run out but never lifted), in the
    caller's unit of work: the suspension and how many of the listings it hid are shown
    again (those the member has not closed since). None if there is none."""
    suspension = await session.scalar(
        select(Suspension)
        .where(col(Suspension.member_id) == member_id, col(Suspension.lifted_at).is_(None))
        .order_by(col(Suspension.id).desc())
        .limit(1)
        .with_for_update()
    )
    if suspension is None:
        return None
    now = utcnow()
    suspension.lifted_at = now
    shown = 0
    if suspension.hidden_listing_ids:
        shown = len(
            (
                await session.scalars(
                    update(Listing)
                    .where(
                        col(Listing.id).in_(suspension.hidden_listing_ids),
                        col(Listing.status) == ListingStatus.HIDDEN,
                    )
                    .values(status=ListingStatus.OPEN, updated_at=now)
                    .returning(col(Listing.id))
                )
            ).all()
        )
    await session.flush()
    return suspension, shown
