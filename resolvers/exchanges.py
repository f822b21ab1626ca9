"""The exchange state machine (design.md, "Exchanges"): who may move an exchange from which
state to which, and what it holds, releases and pays on the way.

Each action is one unit of work. Its locks are always taken in the same order: the
idempotency key, the listing (shared) or the exchange, then the accounts by id; so actions
racing on one exchange queue and leave exactly one outcome, and none deadlock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    OPEN_STATUSES,
    Asset,
    Exchange,
    ExchangeStatus,
    Listing,
    ListingStatus,
    ListingType,
    NotificationKind,
    TransferKind,
)
from models.columns import utcnow
from realtime.events import ExchangeUpdated, WalletUpdated
from resolvers import blocks, collusion, idempotency, ledger
from resolvers.economy import Economy
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.notifications import notify
from resolvers.pages import Page
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_
from resolvers.validation import Checks

# A GraphQL Int is 32 bits; no wallet holds more goodvibes than this.
MAX_GOODVIBES = 1_000_000_000


class Reward(StrEnum):
    DIGOS = "DIGOS"
    GOODVIBES = "GOODVIBES"


def reward(exchange: Exchange) -> Reward:
    """What the provider receives: `digos` goodvibes from the commons on an appeal, else the
    price in digos."""
    return Reward.GOODVIBES if exchange.listing_type == ListingType.APPEAL else Reward.DIGOS


def author_id(exchange: Exchange) -> int:
    return (
        exchange.provider_id
        if exchange.listing_type == ListingType.OFFER
        else (exchange.beneficiary_id)
    )


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


def _check_input(goodvibes: int, key: str | None) -> None:
    checks = Checks()
    checks.whole_number("goodvibes", goodvibes, minimum=0, maximum=MAX_GOODVIBES)
    idempotency.check_key(checks, key)
    checks.done()


def _beneficiary_only(goodvibes: int, why: str) -> None:
    if goodvibes:
        raise invalid("goodvibes", why)


def published(
    work: UnitOfWork,
    exchange: Exchange,
    wallets: Collection[int],
    *,
    by: int | None,
    told: NotificationKind,
) -> None:
    """Announce the move after the commit, and tell its parties of it: the other one when a
    member (`by`) made it, both when it follows from something else (a listing expired)."""
    assert exchange.id is not None
    for member in (exchange.provider_id, exchange.beneficiary_id):
        notify(
            work,
            member,
            told,
            actor_id=by,
            exchange_id=exchange.id,
            listing_id=exchange.listing_id,
        )
    work.publish_after_commit(
        ExchangeUpdated(exchange.id, (exchange.provider_id, exchange.beneficiary_id))
    )
    for member in sorted(set(wallets)):
        work.publish_after_commit(WalletUpdated(member))


async def _hold(
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
    accounts = await ledger.locked_accounts(session, [(member, asset) for asset, _, _ in holds])
    for asset, amount, field in holds:
        await ledger.hold(session, accounts[member, asset], asset, amount, field)
    return [member]


async def release_holds(session: AsyncSession, economy: Economy, exchange: Exchange) -> list[int]:
    """Give the beneficiary back what this exchange holds. The members whose wallet changed."""
    held = [(Asset.DIGO, exchange.held_digos), (Asset.GOODVIBE, exchange.held_goodvibes)]
    releases = [(asset, amount) for asset, amount in held if amount]
    exchange.held_digos = exchange.held_goodvibes = 0
    if not releases:
        return []
    member = exchange.beneficiary_id
    accounts = await ledger.locked_accounts(session, [(member, asset) for asset, _ in releases])
    for asset, amount in releases:
        await ledger.release(session, accounts[member, asset], amount)
    return [member]


async def _close_answered_appeal(session: AsyncSession, listing_id: int) -> None:
    """An appeal is answered once. The commons pays its reward a single time; otherwise two
    members could complete help on one appeal again and again, minting goodvibes (and, spent
    as discounts, digos) without end. Other exchanges accepted on it can then be cancelled."""
    appeal = await session.scalar(
        select(Listing).where(col(Listing.id) == listing_id).with_for_update()
    )
    assert appeal is not None
    if appeal.status != ListingStatus.OPEN:
        raise DomainError.of(
            ErrorCode.LISTING_CLOSED,
            N_("this appeal is closed: it was already answered, or its author closed it"),
            "exchangeId",
        )
    appeal.status = ListingStatus.CLOSED
    appeal.updated_at = utcnow()


async def _pay(session: AsyncSession, economy: Economy, exchange: Exchange) -> list[int]:
    """Completion: the provider gets the full price (the commons paying the discount) and the
    goodvibes spent go back to the commons; or, on an appeal, the commons rewards the provider
    with `digos` goodvibes. Only the accounts that move are locked, so a completion without a
    discount leaves the commons free for others."""
    if exchange.listing_type == ListingType.APPEAL:
        await _close_answered_appeal(session, exchange.listing_id)
    provider, beneficiary = exchange.provider_id, exchange.beneficiary_id
    held_digos, held_goodvibes = exchange.held_digos, exchange.held_goodvibes
    moves: list[tuple[Asset, int | None, int | None, int, TransferKind]] = (
        [(Asset.GOODVIBE, None, provider, exchange.digos, TransferKind.APPEAL_REWARD)]
        if exchange.listing_type == ListingType.APPEAL
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
    sides = [(asset, member) for asset, debit, credit, _, _ in moves for member in (debit, credit)]
    accounts = await ledger.locked_accounts(session, [(member, asset) for asset, member in sides])
    if exchange.listing_type == ListingType.APPEAL:
        # Counted under the lock of the commons' goodvibe account, which every appeal
        # reward takes: two completions cannot both pass the bound.
        await collusion.check_appeal_help(session, economy, provider, beneficiary, exchange.digos)
    for asset, debit, credit, amount, kind in moves:
        await ledger.transfer(
            session,
            asset=asset,
            debit=accounts[debit, asset],
            credit=accounts[credit, asset],
            amount=amount,
            kind=kind,
            exchange_id=exchange.id,
            from_held=debit is not None,
        )
    return sorted({member for _, member in sides if member is not None})


async def request_exchange(
    services: Services,
    member_id: int,
    *,
    listing_id: int,
    goodvibes: int = 0,
    idempotency_key: str | None = None,
) -> Exchange:
    """Answer a listing. On an OFFER the requester is the beneficiary and commits now."""
    _check_input(goodvibes, idempotency_key)
    request = f"requestExchange listing={listing_id} goodvibes={goodvibes}"
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Exchange
        )
        if replay is not None:
            return replay
        session = work.session
        # Shared: the listing cannot be closed while this exchange is being made on it.
        listing = await session.scalar(
            select(Listing).where(col(Listing.id) == listing_id).with_for_update(read=True)
        )
        if listing is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no listing has this id"), "listingId")
        if listing.author_id == member_id:
            raise DomainError.of(
                ErrorCode.OWN_LISTING, N_("you cannot answer your own listing"), "listingId"
            )
        if listing.status != ListingStatus.OPEN:
            raise DomainError.of(
                ErrorCode.LISTING_CLOSED, N_("this listing is closed"), "listingId"
            )
        await blocks.refuse_if_blocked(session, member_id, listing.author_id, "listingId")
        if listing.type == ListingType.APPEAL:
            await collusion.check_appeal_help(
                session, services.economy, member_id, listing.author_id, listing.digos
            )
        offer = listing.type == ListingType.OFFER
        exchange = Exchange(
            listing_id=listing_id,
            listing_type=listing.type,
            provider_id=listing.author_id if offer else member_id,
            beneficiary_id=member_id if offer else listing.author_id,
            status=ExchangeStatus.REQUESTED,
            digos=listing.digos,
        )
        wallets: list[int] = []
        if offer:
            wallets = await _hold(session, services.economy, exchange, goodvibes)
        else:
            _beneficiary_only(goodvibes, N_("only the author of a need applies goodvibes"))
        session.add(exchange)
        await session.flush()
        assert exchange.id is not None
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, exchange.id)
        told = (
            NotificationKind.APPEAL_ANSWERED
            if listing.type == ListingType.APPEAL
            else NotificationKind.EXCHANGE_REQUESTED
        )
        published(work, exchange, wallets, by=member_id, told=told)
    return exchange


Step = Callable[[AsyncSession, Economy, Exchange], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class Transition:
    name: str
    sources: tuple[ExchangeStatus, ...]
    target: ExchangeStatus
    by: Callable[[Exchange], Collection[int]]
    who: str
    told: NotificationKind


def _author(exchange: Exchange) -> list[int]:
    return [author_id(exchange)]


def _parties(exchange: Exchange) -> list[int]:
    return [exchange.provider_id, exchange.beneficiary_id]


def _beneficiary(exchange: Exchange) -> list[int]:
    return [exchange.beneficiary_id]


ACCEPT = Transition(
    "acceptExchange",
    (ExchangeStatus.REQUESTED,),
    ExchangeStatus.ACCEPTED,
    _author,
    "author",
    NotificationKind.EXCHANGE_ACCEPTED,
)
DECLINE = Transition(
    "declineExchange",
    (ExchangeStatus.REQUESTED,),
    ExchangeStatus.DECLINED,
    _author,
    "author",
    NotificationKind.EXCHANGE_DECLINED,
)
CANCEL = Transition(
    "cancelExchange",
    OPEN_STATUSES,
    ExchangeStatus.CANCELLED,
    _parties,
    "parties",
    NotificationKind.EXCHANGE_CANCELLED,
)
COMPLETE = Transition(
    "completeExchange",
    (ExchangeStatus.ACCEPTED,),
    ExchangeStatus.COMPLETED,
    _beneficiary,
    "beneficiary",
    NotificationKind.EXCHANGE_COMPLETED,
)

_WHO = {
    "author": N_("only the listing's author may do this"),
    "parties": N_("only the two members of an exchange may do this"),
    "beneficiary": N_("only the beneficiary may complete an exchange"),
}


async def _move(
    services: Services,
    member_id: int,
    transition: Transition,
    exchange_id: int,
    step: Step,
    *,
    request: str,
    idempotency_key: str | None,
) -> Exchange:
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Exchange
        )
        if replay is not None:
            return replay
        session = work.session
        exchange = await session.scalar(
            select(Exchange).where(col(Exchange.id) == exchange_id).with_for_update()
        )
        # To anyone but its two members an exchange does not exist: the same answer as an id
        # never issued, so that ids reveal nothing.
        if exchange is None or member_id not in _parties(exchange):
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no exchange has this id"), "exchangeId")
        if member_id not in transition.by(exchange):
            raise DomainError.of(ErrorCode.FORBIDDEN, _WHO[transition.who], "exchangeId")
        if exchange.status not in transition.sources:
            raise DomainError.of(
                ErrorCode.INVALID_STATE,
                N_("a {status} exchange cannot be moved by {action}"),
                "exchangeId",
                status=exchange.status.lower(),
                action=transition.name,
            )
        wallets = await step(session, services.economy, exchange)
        exchange.status = transition.target
        exchange.updated_at = utcnow()
        session.add(exchange)
        await session.flush()
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, exchange_id)
        published(work, exchange, wallets, by=member_id, told=transition.told)
    return exchange


async def accept_exchange(
    services: Services,
    member_id: int,
    *,
    exchange_id: int,
    goodvibes: int = 0,
    idempotency_key: str | None = None,
) -> Exchange:
    """The author agrees. On a NEED the author is the beneficiary and commits now."""
    _check_input(goodvibes, idempotency_key)

    async def commit(session: AsyncSession, economy: Economy, exchange: Exchange) -> list[int]:
        await blocks.refuse_if_blocked(
            session, exchange.provider_id, exchange.beneficiary_id, "exchangeId"
        )
        if exchange.listing_type == ListingType.NEED:
            return await _hold(session, economy, exchange, goodvibes)
        _beneficiary_only(goodvibes, N_("goodvibes apply only when accepting help on a need"))
        return []

    return await _move(
        services,
        member_id,
        ACCEPT,
        exchange_id,
        commit,
        request=f"acceptExchange exchange={exchange_id} goodvibes={goodvibes}",
        idempotency_key=idempotency_key,
    )


async def close_exchange(
    services: Services,
    member_id: int,
    transition: Transition,
    *,
    exchange_id: int,
    idempotency_key: str | None = None,
) -> Exchange:
    """Decline, cancel or complete: the holds are released, or paid on completion."""
    _check_input(0, idempotency_key)
    return await _move(
        services,
        member_id,
        transition,
        exchange_id,
        _pay if transition is COMPLETE else release_holds,
        request=f"{transition.name} exchange={exchange_id}",
        idempotency_key=idempotency_key,
    )


async def my_exchanges(
    services: Services,
    member_id: int,
    *,
    statuses: Collection[ExchangeStatus] | None,
    first: int,
    before: int | None = None,
) -> Page[Exchange]:
    """The member's exchanges, either side, newest first; `before` is the id of the last
    one already seen."""
    query = (
        select(Exchange)
        .where(
            (col(Exchange.provider_id) == member_id) | (col(Exchange.beneficiary_id) == member_id)
        )
        .order_by(col(Exchange.id).desc())
        .limit(first + 1)
    )
    if statuses:
        query = query.where(col(Exchange.status).in_(list(statuses)))
    if before is not None:
        query = query.where(col(Exchange.id) < before)
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def get_exchanges(
    services: Services, exchange_ids: list[int], member_id: int
) -> list[Exchange | None]:
    """The exchanges with these ids, in the same order: None where there is none or where
    `member_id` is not one of its two members (no one else may see an exchange)."""
    async with services.db.lookups() as session:
        rows = (
            await session.scalars(select(Exchange).where(col(Exchange.id).in_(exchange_ids)))
        ).all()
    by_id = {x.id: x for x in rows if member_id in (x.provider_id, x.beneficiary_id)}
    return [by_id.get(i) for i in exchange_ids]
