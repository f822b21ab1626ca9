"""The only code that moves digos and goodvibes.

Every movement is a transfer with one debit and one credit entry. Each balance change is one
conditional UPDATE, so a member account can never go below zero (or below what it holds)
whatever runs at the same moment; the database CHECK constraints are the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from models import Account, Asset, Database, LedgerEntry, Transfer, TransferKind
from models.columns import utcnow
from models.locks import lock_accounts
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
    accounts = await lock_accounts(session, [(None, Asset.DIGO), (member_id, Asset.DIGO)])
    await transfer(
        session,
        asset=Asset.DIGO,
        debit=accounts[None, Asset.DIGO],
        credit=accounts[member_id, Asset.DIGO],
        amount=welcome_digos,
        kind=TransferKind.WELCOME_GRANT,
    )


async def hold(
    session: AsyncSession, account: int, asset: Asset, amount: int, field: str | None = None
) -> None:
    """Promise part of the available balance to an exchange; INSUFFICIENT_* on `field` if the
    available balance cannot cover it."""
    if amount == 0:
        return
    balance, held = col(Account.balance), col(Account.held)
    placed = await session.scalar(
        update(Account)
        .where(col(Account.id) == account, balance - held >= amount)
        .values(held=held + amount)
        .returning(col(Account.id))
    )
    if placed is None:
        raise short_of(asset, field)


async def release(session: AsyncSession, account: int, amount: int) -> None:
    """Give back a hold that will not be paid."""
    if amount == 0:
        return
    held = col(Account.held)
    released = await session.scalar(
        update(Account)
        .where(col(Account.id) == account, held >= amount)
        .values(held=held - amount)
        .returning(col(Account.id))
    )
    if released is None:
        raise RuntimeError(f"account {account} holds less than the {amount} to release")


async def transfer(
    session: AsyncSession,
    *,
    asset: Asset,
    debit: int,
    credit: int,
    amount: int,
    kind: TransferKind,
    exchange_id: int | None = None,
    from_held: bool = False,
) -> int | None:
    """Move `amount` from one account to another, with its two ledger entries: the id of
    the transfer.

    With `from_held`, the amount is paid out of what the debit account holds. A member
    account that cannot cover it refuses with INSUFFICIENT_*. Nothing moves for 0.
    """
    if amount == 0:
        return None
    if amount < 0:
        raise ValueError("a transfer moves a positive amount")
    balance, held = col(Account.balance), col(Account.held)
    covered = held >= amount if from_held else balance - held >= amount
    debited = (
        update(Account)
        .where(col(Account.id) == debit, col(Account.member_id).is_(None) | covered)
        .values(balance=balance - amount, held=held - amount if from_held else held)
        .returning(balance)
    )
    credited = (
        update(Account)
        .where(col(Account.id) == credit)
        .values(balance=balance + amount)
        .returning(balance)
    )
    # Rows are updated in id order, as lock_accounts locks them, so that two transfers between
    # the same accounts in opposite directions queue instead of deadlocking.
    if debit < credit:
        debit_after = await session.scalar(debited)
        credit_after = await session.scalar(credited)
    else:
        credit_after = await session.scalar(credited)
        debit_after = await session.scalar(debited)
    if debit_after is None:
        raise short_of(asset)
    if credit_after is None:
        raise LookupError(f"no account {credit}")

    # Plain inserts, not ORM objects: nothing reads these rows back in the unit of work, and
    # a flush would track and plan what two statements say outright.
    created_at = utcnow()
    transfer_id = await session.scalar(
        insert(Transfer)
        .values(
            asset=asset,
            amount=amount,
            kind=kind,
            debit_account_id=debit,
            credit_account_id=credit,
            exchange_id=exchange_id,
            created_at=created_at,
        )
        .returning(col(Transfer.id))
    )
    await session.execute(
        insert(LedgerEntry),
        [
            {
                "transfer_id": transfer_id,
                "account_id": account,
                "amount": signed,
                "balance_after": after,
                "created_at": created_at,
            }
            for account, signed, after in [
                (debit, -amount, debit_after),
                (credit, amount, credit_after),
            ]
        ],
    )
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
