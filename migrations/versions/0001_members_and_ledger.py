"""Members, sign-in tokens, rate limits and the ledger, with the commons accounts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMONS_ONLY = sa.text("member_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(60), nullable=False),
        sa.Column("bio", sa.String(1000), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "auth_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_auth_token_member_id", "auth_token", ["member_id"])
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("window", sa.Integer(), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
    )
    account = op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("asset", sa.String(10), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.CheckConstraint("held >= 0", name="ck_account_held_not_negative"),
        sa.CheckConstraint(
            "member_id IS NULL OR (balance >= 0 AND held <= balance)",
            name="ck_account_member_covered",
        ),
        sa.UniqueConstraint("member_id", "asset", name="uq_account_member_asset"),
    )
    op.create_index(
        "uq_account_commons_asset",
        "account",
        ["asset"],
        unique=True,
        sqlite_where=COMMONS_ONLY,
        postgresql_where=COMMONS_ONLY,
    )
    op.create_table(
        "transfer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset", sa.String(10), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("debit_account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("credit_account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_transfer_amount_positive"),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name="ck_transfer_two_accounts"
        ),
    )
    op.create_index("ix_transfer_exchange_id", "transfer", ["exchange_id"])
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("transfer_id", sa.Integer(), sa.ForeignKey("transfer.id"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entry_amount_not_zero"),
    )
    op.create_index("ix_ledger_entry_account_id_id", "ledger_entry", ["account_id", "id"])
    op.create_index("ix_ledger_entry_transfer_id", "ledger_entry", ["transfer_id"])

    # The commons: where every digo and goodvibe comes from, and the only account that may
    # go below zero.
    op.bulk_insert(
        account,
        [
            {"member_id": None, "asset": asset, "balance": 0, "held": 0}
            for asset in ("DIGO", "GOODVIBE")
        ],
    )


def downgrade() -> None:
    for table in ("ledger_entry", "transfer", "account", "rate_limit_counter", "auth_token"):
        op.drop_table(table)
    op.drop_table("member")
