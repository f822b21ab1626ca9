"""How a listing leaves the searches: closed by its author, expired, hidden by a moderator,
or its author gone. Its REQUESTED exchanges are cancelled with their holds released and both
parties told; ACCEPTED ones were agreed and go on to completion or cancellation.

The caller holds the listing's row lock; the exchanges, then the accounts they release, are
locked after it, in the order models/locks.py keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col

from models import Asset, Exchange, ExchangeStatus, Listing, ListingStatus, NotificationKind
from models.columns import utcnow
from models.locks import lock_accounts, lock_exchanges
from resolvers import exchanges, settlement
from resolvers.services import UnitOfWork


def mark_ended(work: UnitOfWork, listing: Listing, status: ListingStatus) -> None:
    """Move a locked listing to `status`; what was requested on it is for the caller to
    cancel (`cancel_exchanges`)."""
    listing.status = status
    listing.updated_at = utcnow()
    work.session.add(listing)


async def end_listing(
    work: UnitOfWork, listing: Listing, status: ListingStatus, *, by: int | None
) -> list[Exchange]:
    """Move an open (or expired) listing to `status` and cancel what was only requested on
    it. `by` is the member who ended it (None when it expired), who is not told of it. The
    exchanges cancelled."""
    mark_ended(work, listing, status)
    requested = await lock_exchanges(
        work.session,
        col(Exchange.listing_id) == listing.id,
        col(Exchange.status) == ExchangeStatus.REQUESTED,
    )
    await cancel_exchanges(work, requested, by=by)
    await work.session.flush()
    return requested


async def cancel_exchanges(
    work: UnitOfWork, open_exchanges: Sequence[Exchange], *, by: int | None
) -> None:
    """Cancel these locked open exchanges, releasing what they hold, and tell their parties
    (but `by`, who cancelled them)."""
    if not open_exchanges:
        return
    # All their accounts at once: one statement keeps them in id order.
    await lock_accounts(
        work.session,
        [(x.beneficiary_id, asset) for x in open_exchanges for asset in Asset],
    )
    now = utcnow()
    for exchange in open_exchanges:
        wallets = await settlement.release_holds(work.session, exchange)
        exchange.status = ExchangeStatus.CANCELLED
        exchange.updated_at = now
        work.session.add(exchange)
        exchanges.published(
            work, exchange, wallets, by=by, told=NotificationKind.EXCHANGE_CANCELLED
        )
