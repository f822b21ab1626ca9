"""The ledger audit: it finds a whole ledger whole, and every kind of damage."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from models import Account, Asset, Database, LedgerEntry, Transfer, TransferKind
from resolvers.audit import audit
from tests.api import Api


async def test_the_welcome_grant_is_one_transfer_from_the_commons(
    api: Api, database: Database
) -> None:
    await api.register()

    async with database.read() as session:
        grant = (await session.scalars(select(Transfer))).one()
        entries = (
            await session.execute(
                select(Account.member_id, LedgerEntry.amount, LedgerEntry.balance_after)
                .join(Account, col(Account.id) == col(LedgerEntry.account_id))
                .order_by(col(LedgerEntry.id))
            )
        ).all()

    assert (grant.kind, grant.asset, grant.amount) == (TransferKind.WELCOME_GRANT, Asset.DIGO, 20)
    assert [(member is None, amount, after) for member, amount, after in entries] == [
        (True, -20, -20),
        (False, 20, 20),
    ]


BALANCE = "balance that differs from the sum of its entries"
TRANSFER = "transfer without exactly two entries that cancel out"
RUNNING = "entry whose balanceAfter is not the running sum"
SUM = "asset whose accounts do not sum to zero"


@pytest.mark.parametrize(
    ("damage", "checks"),
    [
        ("UPDATE account SET balance = balance + 5 WHERE member_id IS NOT NULL", {BALANCE, SUM}),
        (
            "UPDATE ledger_entry SET amount = amount + 1 WHERE amount > 0",
            {TRANSFER, BALANCE, RUNNING},
        ),
        ("UPDATE ledger_entry SET balance_after = 7 WHERE amount > 0", {RUNNING}),
        (
            "UPDATE account SET balance = 1 WHERE member_id IS NULL AND asset = 'DIGO'",
            {BALANCE, SUM},
        ),
    ],
)
async def test_the_audit_names_each_kind_of_damage(
    api: Api, database: Database, damage: str, checks: set[str]
) -> None:
    await api.register()
    async with database.write() as session:
        await session.execute(text(damage))

    async with database.read() as session:
        violations = await audit(session)
    # The fixture audits again when the test ends: empty the ledger so that it finds it whole.
    async with database.write() as session:
        await session.execute(text("DELETE FROM ledger_entry"))
        await session.execute(text("DELETE FROM transfer"))
        await session.execute(text("UPDATE account SET balance = 0, held = 0"))

    assert {v.partition(": ")[0] for v in violations} == checks
