"""What an exchange does with digos and goodvibes (design.md, "Exchanges"): the beneficiary's
commitment held, a hold released when the exchange ends unpaid, the provider paid on
completion. Each runs inside the unit of work of a move, whose exchange is locked; the
accounts are locked here, by models/locks.py, after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from models import Asset, Exchange, Listing, ListingStatus, ListingType, TransferKind
from models.columns import utcnow
from models.locks import lock_accounts, lock_accounts_to_change
from resolvers import collusion, ledger
from resolvers.economy import Economy
from resolvers.errors import DomainError, ErrorCode
from resolvers.translations import N_


class Reward(StrEnum):
    DIGOS = "DIGOS"
    GOODVIBES = "GOODVIBES"


def reward(exchange: Exchange) -> Reward:
    """What the provider receives: `digos` goodvibes from the commons on an appeal, else the
    price in digos."""
    return Reward.GOODVIBES if exchange.listing_type == ListingType.APPEAL else Reward.DIGOS


@dataclass(frozen=True, slots=True)
class Discount:
    goodvibes: int
    digos: int


def discount(economy: Economy, price: int, goodvibes: int) -> Discount:
    """What `goodvibes` buy off `price`: each is worth `goodvibe_value` digos, up to
    `max_discount_percent` of the price rounded down. A goodvibe is spent whole or not at
    all, so those beyond the cap are not taken."""
    cap = price * economy.max_discount_percent // 100
    spent = min(goodvibes, cap // economy.goodvibe_value)
    return Discount(goodvibes=spent, digos=spent * economy.goodvibe_value)


async def hold(
    session: AsyncSession, economy: Economy, exchange: Exchange, goodvibes: int
) -> list[int]:
    """The beneficiary commits: the price minus the discount, and the goodvibes that buy it,
    are held. The members whose wallet changed."""
    bought = discount(economy, exchange.digos, goodvibes)
    price = exchange.digos - bought.digos
    exchange.discount_digos, exchange.goodvibes_applied = bought.digos, bought.goodvibes
    exchange.held_digos, exchange.held_goodvibes = price, bought.goodvibes
    holds = [(Asset.DIGO, price, None), (Asset.GOODVIBE, bought.goodvibes, "goodvibes")]
    holds = [(asset, amount, field) for asset, amount, field in holds if amount]
    if not holds:
        return []
    member = exchange.beneficiary_id
    await lock_accounts_to_change(session, [[(member, asset)] for asset, _, _ in holds])
    for asset, amount, field in holds:
        await ledger.hold(session, member, asset, amount, field)
    return [member]


async def release_holds(session: AsyncSession, exchange: Exchange) -> list[int]:
    """Give the beneficiary back what this exchange holds. The members whose wallet changed."""
    held = [(Asset.DIGO, exchange.held_digos), (Asset.GOODVIBE, exchange.held_goodvibes)]
    releases = [(asset, amount) for asset, amount in held if amount]
    exchange.held_digos = exchange.held_goodvibes = 0
    if not releases:
        return []
    member = exchange.beneficiary_id
    await lock_accounts_to_change(session, [[(member, asset)] for asset, _ in releases])
    for asset, amount in releases:
        await ledger.release(session, member, asset, amount)
    return [member]


def _close_answered_appeal(appeal: Listing) -> None:
    """An appeal is answered once. The commons pays its reward a single time; otherwise two
    members could complete help on one appeal again and again, minting goodvibes (and, spent
    as discounts, digos) without end. Other exchanges accepted on it can then be cancelled."""
    if appeal.status != ListingStatus.OPEN:
        raise DomainError.of(
            ErrorCode.LISTING_CLOSED,
            N_("this appeal is closed: it was already answered, or its author closed it"),
            "exchangeId",
        )
    appeal.status = ListingStatus.CLOSED
    appeal.updated_at = utcnow()


async def pay(
    session: AsyncSession, economy: Economy, exchange: Exchange, listing: Listing
) -> list[int]:
    """Completion: the provider gets the full price (the commons paying the discount) and the
    goodvibes spent go back to the commons; or, on an appeal, the commons rewards the provider
    with `digos` goodvibes, and the appeal, which the caller locked (models/locks.py,
    `lock_exchange_after_its_appeal`), is closed. Only the accounts that move are locked, so
    a completion without a discount leaves the commons free for others. The members whose
    wallet changed."""
    appeal = exchange.listing_type == ListingType.APPEAL
    if appeal:
        _close_answered_appeal(listing)
    provider, beneficiary = exchange.provider_id, exchange.beneficiary_id
    held_digos, held_goodvibes = exchange.held_digos, exchange.held_goodvibes
    moves: list[tuple[Asset, int | None, int | None, int, TransferKind]] = (
        [(Asset.GOODVIBE, None, provider, exchange.digos, TransferKind.APPEAL_REWARD)]
        if appeal
        else [
            (Asset.DIGO, beneficiary, provider, held_digos, TransferKind.EXCHANGE_PAYMENT),
            (Asset.DIGO, None, provider, exchange.discount_digos, TransferKind.DISCOUNT),
            (Asset.GOODVIBE, beneficiary, None, held_goodvibes, TransferKind.GOODVIBES_SPENT),
        ]
    )
    moves = [move for move in moves if move[3]]
    exchange.held_digos = exchange.held_goodvibes = 0
    if not moves:
        return []
    sides = [[(debit, asset), (credit, asset)] for asset, debit, credit, _, _ in moves]
    if appeal:
        # Counted under the lock of the commons' goodvibe account, which every appeal
        # reward takes: two completions cannot both pass the bound. So it is locked first,
        # not by the transfer.
        await lock_accounts(session, [pair for pairs in sides for pair in pairs])
        await collusion.check_appeal_help(session, economy, provider, beneficiary, exchange.digos)
    else:
        await lock_accounts_to_change(session, sides)
    for asset, debit, credit, amount, kind in moves:
        await ledger.transfer(
            session,
            asset=asset,
            debit=debit,
            credit=credit,
            amount=amount,
            kind=kind,
            exchange_id=exchange.id,
            from_held=debit is not None,
        )
    return sorted({member for pairs in sides for member, _ in pairs if member is not None})
