"""How a listing leaves the searches: closed by its author, expired, hidden by a moderator,
or its author gone. Its REQUESTED exchanges are cancelled with their holds released and both
parties told; ACCEPTED ones were agreed and go on to completion or cancellation.

The caller holds the listing's row lock; the exchanges are then locked, then every account
they release in one statement in id order, as the exchange state machine orders its locks.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from models import Asset, Exchange, ExchangeStatus, Listing, ListingStatus, NotificationKind
from models.columns import utcnow
from resolvers import exchanges, ledger
from resolvers.economy import Economy
from resolvers.services import UnitOfWork


async def end_listing(
    work: UnitOfWork,
    economy: Economy,
    listing: Listing,
    status: ListingStatus,
    *,
    by: int | None,
) -> list[Exchange]:
    """Move an open (or expired) listing to `status` and cancel what was only requested on
    it. `by` is the member who ended it (None when it expired), who is not told of it. The
    exchanges cancelled."""
    listing.status = status
    listing.updated_at = utcnow()
    work.session.add(listing)
    assert listing.id is not None
    requested = (
        await work.session.scalars(
            select(Exchange)
            .where(
                col(Exchange.listing_id) == listing.id,
                col(Exchange.status) == ExchangeStatus.REQUESTED,
            )
            .order_by(col(Exchange.id))
            .with_for_update()
        )
    ).all()
    await cancel_exchanges(work, economy, requested, by=by)
    await work.session.flush()
    return list(requested)


async def cancel_exchanges(
    work: UnitOfWork, economy: Economy, open_exchanges: Sequence[Exchange], *, by: int | None
) -> None:
    """Cancel these locked open exchanges, releasing what they hold, and tell their parties
    (but `by`, who cancelled them)."""
    if not open_exchanges:
        return
    await ledger.locked_accounts(
        work.session,
        [(x.beneficiary_id, asset) for x in open_exchanges for asset in Asset],
    )
    now = utcnow()
    for exchange in open_exchanges:
        wallets = await exchanges.release_holds(work.session, economy, exchange)
        exchange.status = ExchangeStatus.CANCELLED
        exchange.updated_at = now
        work.session.add(exchange)
        exchanges.published(
            work, exchange, wallets, by=by, told=NotificationKind.EXCHANGE_CANCELLED
        )
