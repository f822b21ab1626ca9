"""The exchange state machine (design.md, "Exchanges"): who may move an exchange from which
state to which. What each move holds, releases or pays is resolvers/settlement.py.

Each move is one unit of work, its row locks taken through models/locks.py in the one order
kept there (the listing, then the exchange, then the accounts); so moves racing on one
exchange queue and leave exactly one outcome, and none deadlock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from models import (
    OPEN_STATUSES,
    Exchange,
    ExchangeStatus,
    Listing,
    ListingStatus,
    ListingType,
    Member,
    NotificationKind,
)
from models.columns import utcnow
from models.locks import (
    LockedExchange,
    lock_exchange,
    lock_exchange_after_its_appeal,
    lock_listing_and_author,
)
from models.lookups import rows_by_id
from realtime.events import ExchangeUpdated, WalletUpdated
from resolvers import blocks, collusion, idempotency, settlement
from resolvers.economy import Economy
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.notifications import notify
from resolvers.pages import Page, newest_first
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_
from resolvers.validation import Checks

# A GraphQL Int is 32 bits; no wallet holds more goodvibes than this.
MAX_GOODVIBES = 1_000_000_000


def author_id(exchange: Exchange) -> int:
    return (
        exchange.provider_id
        if exchange.listing_type == ListingType.OFFER
        else (exchange.beneficiary_id)
    )


@dataclass(frozen=True, slots=True)
class Moved:
    """An exchange after a move, and the rows its answer shows as the move read them in its
    unit of work: its listing and members (none when a repeated key replays the first
    result)."""

    exchange: Exchange
    listing: Listing | None = None
    members: tuple[Member, ...] = ()


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


# A plain insert built once, not an object flushed: nothing reads the row back in the unit
# of work, and its answer is the object as made here.
_REQUESTED = insert(Exchange).returning(col(Exchange.id))


async def request_exchange(
    services: Services,
    member_id: int,
    *,
    listing_id: int,
    goodvibes: int = 0,
    idempotency_key: str | None = None,
) -> Moved:
    """Answer a listing. On an OFFER the requester is the beneficiary and commits now."""
    _check_input(goodvibes, idempotency_key)
    request = f"requestExchange listing={listing_id} goodvibes={goodvibes}"
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Exchange
        )
        if replay is not None:
            return Moved(replay)
        session = work.session
        # Shared: the listing cannot be closed while this exchange is being made on it.
        # The requester is read with it: the mail telling the author names them.
        found = await lock_listing_and_author(session, listing_id, member_id, shared=True)
        if found is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no listing has this id"), "listingId")
        listing, author = found.listing, found.author
        if listing.author_id == member_id:
            raise DomainError.of(
                ErrorCode.OWN_LISTING, N_("you cannot answer your own listing"), "listingId"
            )
        if listing.status != ListingStatus.OPEN:
            raise DomainError.of(
                ErrorCode.LISTING_CLOSED, N_("this listing is closed"), "listingId"
            )
        if found.blocked:
            raise blocks.blocked_pair("listingId")
        if listing.type == ListingType.APPEAL:
            await collusion.check_appeal_help(
                session, services.economy, member_id, listing.author_id, listing.digos
            )
        offer = listing.type == ListingType.OFFER
        exchange = Exchange(
            listing_id=listing_id,
            # The column reads back a plain string; the insert's parameters are dumped by type.
            listing_type=ListingType(listing.type),
            provider_id=listing.author_id if offer else member_id,
            beneficiary_id=member_id if offer else listing.author_id,
            status=ExchangeStatus.REQUESTED,
            digos=listing.digos,
        )
        wallets: list[int] = []
        if offer:
            wallets = await settlement.hold(session, services.economy, exchange, goodvibes)
        else:
            _beneficiary_only(goodvibes, N_("only the author of a need applies goodvibes"))
        connection = await session.connection()
        exchange.id = await connection.scalar(_REQUESTED, exchange.model_dump(exclude={"id"}))
        assert exchange.id is not None
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, exchange.id)
        told = (
            NotificationKind.APPEAL_ANSWERED
            if listing.type == ListingType.APPEAL
            else NotificationKind.EXCHANGE_REQUESTED
        )
        published(work, exchange, wallets, by=member_id, told=told)
    return Moved(exchange, listing, (author,))


# What a move does with the money, on the locked exchange: the members whose wallet changed.
Step = Callable[[AsyncSession, Economy, LockedExchange], Awaitable[list[int]]]


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


# What a move may change on its exchange, written by one statement built once: a flush of
# the object would find and plan the same changes at every move.
_MOVABLE = (
    "status",
    "updated_at",
    "discount_digos",
    "goodvibes_applied",
    "held_digos",
    "held_goodvibes",
)
_MOVED = (
    update(Exchange)
    .where(col(Exchange.id) == bindparam("moved_id"))
    .values({column: bindparam(f"new_{column}") for column in _MOVABLE})
)


async def _write_moved(session: AsyncSession, exchange: Exchange) -> None:
    """Write the exchange's row as the move left it; the object then leaves the unit of
    work, so that no flush writes it again. What else the move changed (an appeal closed)
    is flushed."""
    connection = await session.connection()
    values = {f"new_{column}": getattr(exchange, column) for column in _MOVABLE}
    await connection.execute(_MOVED, {"moved_id": exchange.id, **values})
    session.expunge(exchange)
    await session.flush()


async def _move(
    services: Services,
    member_id: int,
    transition: Transition,
    exchange_id: int,
    step: Step,
    *,
    request: str,
    idempotency_key: str | None,
) -> Moved:
    async with services.unit_of_work() as work:
        replay = await idempotency.replayed(
            work.session, member_id, idempotency_key, request, Exchange
        )
        if replay is not None:
            return Moved(replay)
        session = work.session
        # Completing help on an appeal closes it (settlement.pay): its lock comes first.
        lock = lock_exchange_after_its_appeal if transition is COMPLETE else lock_exchange
        locked = await lock(session, exchange_id)
        # To anyone but its two members an exchange does not exist: the same answer as an id
        # never issued, so that ids reveal nothing.
        if locked is None or member_id not in _parties(locked.exchange):
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no exchange has this id"), "exchangeId")
        exchange = locked.exchange
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
        # Set before the step, and written once after it with what it changes (no flush of
        # the object midway): a step that refuses rolls it all back.
        exchange.status = transition.target
        exchange.updated_at = utcnow()
        with session.no_autoflush:
            wallets = await step(session, services.economy, locked)
        await _write_moved(session, exchange)
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, exchange_id)
        published(work, exchange, wallets, by=member_id, told=transition.told)
    return Moved(exchange, locked.listing, (locked.provider, locked.beneficiary))


async def accept_exchange(
    services: Services,
    member_id: int,
    *,
    exchange_id: int,
    goodvibes: int = 0,
    idempotency_key: str | None = None,
) -> Moved:
    """The author agrees. On a NEED the author is the beneficiary and commits now."""
    _check_input(goodvibes, idempotency_key)

    async def commit(session: AsyncSession, economy: Economy, locked: LockedExchange) -> list[int]:
        exchange = locked.exchange
        if locked.blocked:
            raise blocks.blocked_pair("exchangeId")
        if exchange.listing_type == ListingType.NEED:
            return await settlement.hold(session, economy, exchange, goodvibes)
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


async def _release(session: AsyncSession, economy: Economy, locked: LockedExchange) -> list[int]:
    return await settlement.release_holds(session, locked.exchange)


async def _pay(session: AsyncSession, economy: Economy, locked: LockedExchange) -> list[int]:
    return await settlement.pay(session, economy, locked.exchange, locked.listing)


async def close_exchange(
    services: Services,
    member_id: int,
    transition: Transition,
    *,
    exchange_id: int,
    idempotency_key: str | None = None,
) -> Moved:
    """Decline, cancel or complete: the holds are released, or paid on completion."""
    _check_input(0, idempotency_key)
    return await _move(
        services,
        member_id,
        transition,
        exchange_id,
        _pay if transition is COMPLETE else _release,
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
    party = or_(col(Exchange.provider_id) == member_id, col(Exchange.beneficiary_id) == member_id)
    query = newest_first(select(Exchange).where(party), col(Exchange.id), first, before)
    if statuses:
        query = query.where(col(Exchange.status).in_(list(statuses)))
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def get_exchanges(
    services: Services, exchange_ids: list[int], member_id: int
) -> list[Exchange | None]:
    """The exchanges with these ids, in the same order: None where there is none or where
    `member_id` is not one of its two members (no one else may see an exchange)."""
    party = or_(col(Exchange.provider_id) == member_id, col(Exchange.beneficiary_id) == member_id)
    async with services.db.lookups() as session:
        return await rows_by_id(session, Exchange, exchange_ids, party)
