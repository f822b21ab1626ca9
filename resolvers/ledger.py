"""The only code that moves digos and goodvibes.

Every movement is a transfer with one debit and one credit entry. Each balance change is one
conditional UPDATE, so a member account can never go below zero (or below what it holds)
whatever runs at the same moment; the database CHECK constraints are the backstop.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Integer, Row, Update, bindparam, case, insert, union_all, update
from sqlalchemy import select as select_rows
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from models import Account, Asset, Database, LedgerEntry, Transfer, TransferKind
from models.columns import UTCDateTime, utcnow
from models.database import dialect
from models.locks import lock_accounts_to_change
from models.lookups import in_order_of
from resolvers.errors import DomainError, ErrorCode
from resolvers.pages import Page, newest_first
from resolvers.translations import N_

_SHORT = {
    Asset.DIGO: (ErrorCode.INSUFFICIENT_DIGOS, N_("not enough available digos")),
    Asset.GOODVIBE: (ErrorCode.INSUFFICIENT_GOODVIBES, N_("not enough available goodvibes")),
}


@dataclass(frozen=True, slots=True)
class Wallet:
    digos: int
    held_digos: int
    goodvibes: int
    held_goodvibes: int

    @property
    def available_digos(self) -> int:
        return self.digos - self.held_digos


def short_of(asset: Asset, field: str | None = None) -> DomainError:
    code, message = _SHORT[asset]
    return DomainError.of(code, message, field)


async def open_accounts(session: AsyncSession, member_id: int, welcome_digos: int) -> None:
    """A new member's accounts, and the commons' welcome grant into them."""
    session.add_all(Account(member_id=member_id, asset=asset) for asset in Asset)
    await session.flush()
    await lock_accounts_to_change(session, [[(None, Asset.DIGO), (member_id, Asset.DIGO)]])
    await transfer(
        session,
        asset=Asset.DIGO,
        debit=None,
        credit=member_id,
        amount=welcome_digos,
        kind=TransferKind.WELCOME_GRANT,
    )


# A member's account, by its owner and asset (unique), as hold and release change it.
_OWN = (
    col(Account.member_id) == bindparam("owner", type_=Integer),
    col(Account.asset) == bindparam("owned_asset"),
)
_AMOUNT = bindparam("amount", type_=Integer)
_HOLD = (
    update(Account)
    .where(*_OWN, col(Account.balance) - col(Account.held) >= _AMOUNT)
    .values(held=col(Account.held) + _AMOUNT)
    .returning(col(Account.id))
)
_RELEASE = (
    update(Account)
    .where(*_OWN, col(Account.held) >= _AMOUNT)
    .values(held=col(Account.held) - _AMOUNT)
    .returning(col(Account.id))
)


async def hold(
    session: AsyncSession, member_id: int, asset: Asset, amount: int, field: str | None = None
) -> None:
    """Promise part of the member's available balance of `asset` to an exchange;
    INSUFFICIENT_* on `field` if the available balance cannot cover it. The caller locked
    the account, or this statement is its lock (models/locks.py, lock_accounts_to_change)."""
    if amount == 0:
        return
    connection = await session.connection()
    owned = {"owner": member_id, "owned_asset": asset, "amount": amount}
    if await connection.scalar(_HOLD, owned) is None:
        raise short_of(asset, field)


async def release(session: AsyncSession, member_id: int, asset: Asset, amount: int) -> None:
    """Give back a hold that will not be paid (the account locked as `hold` says)."""
    if amount == 0:
        return
    connection = await session.connection()
    owned = {"owner": member_id, "owned_asset": asset, "amount": amount}
    if await connection.scalar(_RELEASE, owned) is None:
        raise RuntimeError(f"member {member_id} holds less {asset} than the {amount} to release")


def _balances_moved(debit_commons: bool, credit_commons: bool, from_held: bool) -> Update:
    """Both balances of a transfer in one asset, by one statement that first locks the two
    accounts in id order (models/locks.py): an account is updated only once the lock
    statement has given its id, and it gives them in that order. The debit, a member's,
    must cover the amount: out of what it holds with `from_held`, else out of what is
    available."""
    account, owner = col(Account.id), col(Account.member_id)
    balance, held = col(Account.balance), col(Account.held)
    amount = bindparam("amount", type_=Integer)
    is_debit, is_credit = (
        owner.is_(None) if commons else owner == bindparam(side, type_=Integer)
        for side, commons in (("debit_member", debit_commons), ("credit_member", credit_commons))
    )
    locked = (
        select_rows(account)
        .where(col(Account.asset) == bindparam("moved_asset"), is_debit | is_credit)
        .order_by(account)
        .with_for_update()
        .cte("locked")
    )
    covered = held >= amount if from_held else balance - held >= amount
    return (
        update(Account)
        .where(account.in_(select_rows(locked.c.id)), ~is_debit | owner.is_(None) | covered)
        .values(
            balance=balance + case((is_debit, -amount), else_=amount),
            held=held - case((is_debit, amount), else_=0) if from_held else held,
        )
        .returning(account, owner, balance)
    )


_CREATED_AT = bindparam("created_at", type_=UTCDateTime())
_TRANSFER = (
    insert(Transfer)
    .values(
        asset=bindparam("asset"),
        amount=bindparam("amount"),
        kind=bindparam("kind"),
        debit_account_id=bindparam("debit"),
        credit_account_id=bindparam("credit"),
        exchange_id=bindparam("exchange_id"),
        created_at=_CREATED_AT,
    )
    .returning(col(Transfer.id))
)


def _entries(transfer_id: Any) -> Insert:
    """The two entries of a transfer, by one statement: the debit's, then the credit's."""
    amount = bindparam("amount", type_=Integer)
    sides = [("debit", -amount), ("credit", amount)]
    return insert(LedgerEntry).from_select(
        [
            col(LedgerEntry.transfer_id),
            col(LedgerEntry.account_id),
            col(LedgerEntry.amount),
            col(LedgerEntry.balance_after),
            col(LedgerEntry.created_at),
        ],
        union_all(
            *(
                select_rows(
                    transfer_id,
                    bindparam(side, type_=Integer),
                    signed,
                    bindparam(f"{side}_after", type_=Integer),
                    _CREATED_AT,
                )
                for side, signed in sides
            )
        ),
    )


_MADE = _TRANSFER.cte("made")
# Built once: building a statement costs more CPU than running it. PostgreSQL makes the
# transfer and its entries by one statement; SQLite, whose WITH cannot insert, by two.
_MOVED = {shape: _balances_moved(*shape) for shape in itertools.product((False, True), repeat=3)}
_ENTRIES = _entries(bindparam("transfer_id", type_=Integer))
_TRANSFER_AND_ENTRIES = _entries(_MADE.c.id).add_cte(_MADE).returning(col(LedgerEntry.transfer_id))


async def transfer(
    session: AsyncSession,
    *,
    asset: Asset,
    debit: int | None,
    credit: int | None,
    amount: int,
    kind: TransferKind,
    exchange_id: int | None = None,
    from_held: bool = False,
) -> int | None:
    """Move `amount` of `asset` from one member's account to another's (None: the commons'),
    with its two ledger entries: the id of the transfer. Its first statement locks the two
    accounts in id order, so a caller that changes no other account need not lock them
    first (models/locks.py, lock_accounts_to_change).

    With `from_held`, the amount is paid out of what the debit account holds. A member
    account that cannot cover it refuses with INSUFFICIENT_* (the unit of work then rolls
    back whatever this statement changed). Nothing moves for 0.
    """
    if amount == 0:
        return None
    if amount < 0:
        raise ValueError("a transfer moves a positive amount")
    # On the unit of work's connection, past the ORM: these rows are not objects it holds.
    connection = await session.connection()
    moved = await connection.execute(
        _MOVED[debit is None, credit is None, from_held],
        {"debit_member": debit, "credit_member": credit, "moved_asset": asset, "amount": amount},
    )
    after = {owner: (account, balance) for account, owner, balance in moved.all()}
    if debit not in after:
        raise short_of(asset)
    if credit not in after:
        raise LookupError(f"no {asset} account of {credit}")
    (debit_account, debit_after), (credit_account, credit_after) = after[debit], after[credit]
    made = {
        "asset": asset,
        "amount": amount,
        "kind": kind,
        "debit": debit_account,
        "credit": credit_account,
        "exchange_id": exchange_id,
        "created_at": utcnow(),
        "debit_after": debit_after,
        "credit_after": credit_after,
    }
    if dialect(session) == "postgresql":
        return await connection.scalar(_TRANSFER_AND_ENTRIES, made)
    transfer_id = await connection.scalar(_TRANSFER, made)
    await connection.execute(_ENTRIES, {**made, "transfer_id": transfer_id})
    return transfer_id


async def wallet(session: AsyncSession, member_id: int) -> Wallet:
    rows = await session.execute(
        select(col(Account.asset), col(Account.balance), col(Account.held)).where(
            col(Account.member_id) == member_id
        )
    )
    by_asset = {asset: (balance, held) for asset, balance, held in rows.all()}
    digos, held_digos = by_asset.get(Asset.DIGO, (0, 0))
    goodvibes, held_goodvibes = by_asset.get(Asset.GOODVIBE, (0, 0))
    return Wallet(digos, held_digos, goodvibes, held_goodvibes)


@dataclass(frozen=True, slots=True)
class Entry:
    """A ledger entry as its member sees it: with its asset and why it was made."""

    row: LedgerEntry
    asset: Asset
    kind: TransferKind
    exchange_id: int | None

    @property
    def id(self) -> int | None:
        return self.row.id


def _entries_of(member_id: int) -> Select[LedgerEntry, Asset, TransferKind, int | None]:
    return (
        select(LedgerEntry, col(Account.asset), col(Transfer.kind), col(Transfer.exchange_id))
        .join(Account, col(Account.id) == col(LedgerEntry.account_id))
        .join(Transfer, col(Transfer.id) == col(LedgerEntry.transfer_id))
        .where(col(Account.member_id) == member_id)
    )


def _entry(row: Row[LedgerEntry, Asset, TransferKind, int | None]) -> Entry:
    entry, asset, kind, exchange_id = row
    return Entry(entry, Asset(asset), TransferKind(kind), exchange_id)


async def entries(
    sessions: Database, member_id: int, *, first: int, before: int | None = None
) -> Page[Entry]:
    """The member's entries, newest first; `before` is the id of the last one already seen."""
    query = newest_first(_entries_of(member_id), col(LedgerEntry.id), first, before)
    async with sessions.read() as session:
        rows = (await session.execute(query)).all()
    return Page.of([_entry(row) for row in rows], first)


async def get_entries(
    sessions: Database, member_id: int, entry_ids: list[int]
) -> list[Entry | None]:
    """The entries with these ids, in the same order: None where there is none or where it is
    not on an account of `member_id` (no one else may see it)."""
    query = _entries_of(member_id).where(col(LedgerEntry.id).in_(entry_ids))
    async with sessions.read() as session:
        found = [_entry(row) for row in (await session.execute(query)).all()]
    return in_order_of(entry_ids, found)
