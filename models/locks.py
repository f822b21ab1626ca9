"""Row locks, taken in one order by every unit of work, so that two of them wanting the same
rows queue instead of deadlocking:

1. listings, 2. exchanges, 3. accounts;

each kind in id order, by one statement where a unit of work needs several rows of it. The
idempotency key, claimed by a unit of work's first statement, comes before them all; the
feed turns of its notifications (resolvers/feed_order.py), taken at commit, after them all.

A unit of work that holds a lock of one kind may lock more of that kind (or a later one),
never of an earlier one: `LockOrderError` says so at once, in every test, so the order is
kept by this module and not only written down. On PostgreSQL each lock is a `SELECT ... FOR
UPDATE` (`FOR SHARE` where asked); SQLite has no row locks and SQLAlchemy drops the clause
there: `Database.write` begins every unit of work with BEGIN IMMEDIATE, which lets one writer
in at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, or_

# SQLAlchemy's own select where a statement has more than four columns: SQLModel's types stop
# there.
from sqlalchemy import select as select_rows
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from models.exchanges import Exchange
from models.ledger import Account, Asset
from models.listings import Listing, ListingType
from models.members import Member
from models.safety import blocked_between

_TAKEN = "indigo_locks_taken"
# Made once: an alias costs a copy of every column of the table.
_PROVIDER, _BENEFICIARY, _REQUESTER = aliased(Member), aliased(Member), aliased(Member)


class LockKind(IntEnum):
    LISTING = 1
    EXCHANGE = 2
    ACCOUNT = 3


class LockOrderError(RuntimeError):
    """A lock asked out of the order: a deadlock waiting to happen, so a bug."""


def _taking(session: AsyncSession, kind: LockKind) -> None:
    taken = LockKind(session.info.get(_TAKEN, kind))
    if kind < taken:
        raise LockOrderError(f"{kind.name.lower()} locked after {taken.name.lower()}")
    session.info[_TAKEN] = kind


async def lock_listings(
    session: AsyncSession, *where: ColumnElement[bool], skip_locked: bool = False
) -> list[Listing]:
    """The listings matching `where`, locked in id order; with `skip_locked`, those another
    unit of work holds are left out instead of waited for."""
    _taking(session, LockKind.LISTING)
    rows = await session.scalars(
        select(Listing)
        .where(*where)
        .order_by(col(Listing.id))
        .with_for_update(skip_locked=skip_locked)
    )
    return list(rows.all())


async def lock_listing(
    session: AsyncSession, listing_id: int, *, shared: bool = False
) -> Listing | None:
    """The listing, locked; `shared`: against change only, so exchanges may be requested on
    it at once, while closing it waits for them."""
    _taking(session, LockKind.LISTING)
    return await session.scalar(
        select(Listing).where(col(Listing.id) == listing_id).with_for_update(read=shared)
    )


@dataclass(frozen=True, slots=True)
class LockedListing:
    """A listing, locked, with what the same statement read (not locked): its author, the
    member requesting an exchange on it, and whether either of the two blocked the other.
    The requester is read so that the unit of work holds it: the mail telling the author
    names them, and finds them held (models.lookups.rows_held_or_read) instead of reading."""

    listing: Listing
    author: Member
    requester: Member | None
    blocked: bool


def _listing_and_author(shared: bool) -> Select[Listing, Member, Member, bool]:
    requester = _REQUESTER
    blocked = exists().where(blocked_between(col(Listing.author_id), bindparam("requester_id")))
    return (
        select_rows(Listing, Member, requester, blocked)
        .join(Member, col(Member.id) == col(Listing.author_id))
        .outerjoin(requester, col(requester.id) == bindparam("requester_id"))
        .where(col(Listing.id) == bindparam("listing_id"))
        .with_for_update(read=shared, of=Listing)
    )


# The statements of every move, built once: building one costs more CPU than running it.
_LISTING_AND_AUTHOR = {shared: _listing_and_author(shared) for shared in (False, True)}


async def lock_listing_and_author(
    session: AsyncSession, listing_id: int, requester_id: int, *, shared: bool = False
) -> LockedListing | None:
    """The listing, locked as `lock_listing` does, with its author and the member
    `requester_id`, read by the same statement."""
    _taking(session, LockKind.LISTING)
    found = (
        await session.execute(
            _LISTING_AND_AUTHOR[shared],
            {"listing_id": listing_id, "requester_id": requester_id},
        )
    ).one_or_none()
    return None if found is None else LockedListing(*found)


_APPEAL_OF = (
    select(Listing)
    .where(
        col(Listing.id)
        == select(col(Exchange.listing_id))
        .where(col(Exchange.id) == bindparam("exchange_id"))
        .scalar_subquery(),
        col(Listing.type) == ListingType.APPEAL,
    )
    .with_for_update()
)


async def lock_appeal_of(session: AsyncSession, exchange_id: int) -> Listing | None:
    """The appeal that an exchange answers, locked; None if it answers another kind of
    listing. The listing comes before the exchange in the order: this is taken first, found
    through the exchange's listing, which never changes."""
    _taking(session, LockKind.LISTING)
    return await session.scalar(_APPEAL_OF, {"exchange_id": exchange_id})


async def lock_exchanges(session: AsyncSession, *where: ColumnElement[bool]) -> list[Exchange]:
    """The exchanges matching `where`, locked in id order."""
    _taking(session, LockKind.EXCHANGE)
    rows = await session.scalars(
        select(Exchange).where(*where).order_by(col(Exchange.id)).with_for_update()
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class LockedExchange:
    """An exchange, locked, with its listing and two members as the same statement read
    them (not locked), and whether either member blocked the other."""

    exchange: Exchange
    listing: Listing
    provider: Member
    beneficiary: Member
    blocked: bool


_EXCHANGE = (
    select_rows(
        Exchange,
        Listing,
        _PROVIDER,
        _BENEFICIARY,
        exists().where(blocked_between(col(Exchange.provider_id), col(Exchange.beneficiary_id))),
    )
    .join(Listing, col(Listing.id) == col(Exchange.listing_id))
    .join(_PROVIDER, col(_PROVIDER.id) == col(Exchange.provider_id))
    .join(_BENEFICIARY, col(_BENEFICIARY.id) == col(Exchange.beneficiary_id))
    .where(col(Exchange.id) == bindparam("exchange_id"))
    .with_for_update(of=Exchange)
)


# An exchange's listing type never changes, so this filter skips an appeal's exchange
# before any lock is taken, and for good.
_EXCHANGE_OFF_APPEALS = _EXCHANGE.where(col(Exchange.listing_type) != ListingType.APPEAL)


async def lock_exchange(session: AsyncSession, exchange_id: int) -> LockedExchange | None:
    _taking(session, LockKind.EXCHANGE)
    found = (await session.execute(_EXCHANGE, {"exchange_id": exchange_id})).one_or_none()
    return None if found is None else LockedExchange(*found)


async def lock_exchange_after_its_appeal(
    session: AsyncSession, exchange_id: int
) -> LockedExchange | None:
    """The exchange, locked as `lock_exchange` does, and before it the appeal it answers, if
    it answers one (the listing comes first). An exchange on an offer or a need is locked by
    one statement, which takes no lock on an appeal's exchange; that one is then taken in
    order: its appeal, then it."""
    _taking(session, LockKind.LISTING)
    found = (
        await session.execute(_EXCHANGE_OFF_APPEALS, {"exchange_id": exchange_id})
    ).one_or_none()
    if found is not None:
        _taking(session, LockKind.EXCHANGE)
        return LockedExchange(*found)
    await lock_appeal_of(session, exchange_id)
    return await lock_exchange(session, exchange_id)


async def lock_accounts(
    session: AsyncSession, wanted: Iterable[tuple[int | None, Asset]]
) -> dict[tuple[int | None, Asset], int]:
    """The ids of the accounts of these (member, asset) pairs (member None: the commons), by
    pair, found and locked in id order by one statement."""
    _taking(session, LockKind.ACCOUNT)
    owner, asset = col(Account.member_id), col(Account.asset)
    pairs: list[Any] = [
        (owner.is_(None) if member is None else owner == member) & (asset == kind)
        for member, kind in set(wanted)
    ]
    rows = await session.execute(
        select(owner, asset, col(Account.id))
        .where(or_(*pairs))
        .order_by(col(Account.id))
        .with_for_update()
    )
    return {
        (member, Asset(kind)): account
        for member, kind, account in rows.all()
        if account is not None  # a primary key: never NULL once read back
    }


async def lock_accounts_to_change(
    session: AsyncSession, changes: Sequence[Collection[tuple[int | None, Asset]]]
) -> None:
    """Before statements that change these accounts, found by (member, asset), one
    collection of them per statement: when several statements change them, all are locked
    first, in id order (`lock_accounts`); one statement alone locks its own, a single row
    or in id order (resolvers/ledger.py, transfer)."""
    if len(changes) > 1:
        await lock_accounts(session, [pair for pairs in changes for pair in pairs])
    else:
        _taking(session, LockKind.ACCOUNT)
