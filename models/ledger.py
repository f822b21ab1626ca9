"""The double-entry ledger: accounts, transfers and their entries.

Each transfer has exactly two entries, one negative and one positive, so for each asset
the sum over all accounts (the commons included) is always zero.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow


class Asset(StrEnum):
    DIGO = "DIGO"
    GOODVIBE = "GOODVIBE"


class TransferKind(StrEnum):
    WELCOME_GRANT = "WELCOME_GRANT"
    EXCHANGE_PAYMENT = "EXCHANGE_PAYMENT"
    DISCOUNT = "DISCOUNT"
    APPEAL_REWARD = "APPEAL_REWARD"
    GOODVIBES_SPENT = "GOODVIBES_SPENT"
    # A member deleted their account: what they had goes back to the commons.
    RETURNED_TO_COMMONS = "RETURNED_TO_COMMONS"


class Account(SQLModel, table=True):
    """One balance of one asset: a member's, or the commons' (member_id is NULL).

    `held` is the part of the balance promised to open exchanges.
    """

    __table_args__ = (
        UniqueConstraint("member_id", "asset", name="uq_account_member_asset"),
        CheckConstraint("held >= 0", name="ck_account_held_not_negative"),
        CheckConstraint(
            "member_id IS NULL OR (balance >= 0 AND held <= balance)",
            name="ck_account_member_covered",
        ),
        Index(
            "uq_account_commons_asset",
            "asset",
            unique=True,
            sqlite_where=text("member_id IS NULL"),
            postgresql_where=text("member_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    asset: Asset = Field(sa_type=String(10))
    balance: int = 0
    held: int = 0


class Transfer(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_transfer_amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="ck_transfer_two_accounts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    asset: Asset = Field(sa_type=String(10))
    amount: int
    kind: TransferKind = Field(sa_type=String(30))
    debit_account_id: int = Field(foreign_key="account.id")
    credit_account_id: int = Field(foreign_key="account.id")
    exchange_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LedgerEntry(SQLModel, table=True):
    """One side of a transfer, seen from one account. Entries are only ever inserted."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="ck_ledger_entry_amount_not_zero"),
        Index("ix_ledger_entry_account_id_id", "account_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    amount: int
    balance_after: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
