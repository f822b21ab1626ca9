"""Exchanges and idempotency keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=False),
        sa.Column("listing_type", sa.String(10), nullable=False),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("digos", sa.Integer(), nullable=False),
        sa.Column("discount_digos", sa.Integer(), nullable=False),
        sa.Column("goodvibes_applied", sa.Integer(), nullable=False),
        sa.Column("held_digos", sa.Integer(), nullable=False),
        sa.Column("held_goodvibes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("digos >= 0", name="ck_exchange_digos_not_negative"),
        sa.CheckConstraint(
            "discount_digos >= 0 AND discount_digos <= digos",
            name="ck_exchange_discount_in_price",
        ),
        sa.CheckConstraint("goodvibes_applied >= 0", name="ck_exchange_goodvibes_not_negative"),
        sa.CheckConstraint(
            "held_digos >= 0 AND held_goodvibes >= 0", name="ck_exchange_held_not_negative"
        ),
        sa.CheckConstraint(
            "status IN ('REQUESTED', 'ACCEPTED') OR (held_digos = 0 AND held_goodvibes = 0)",
            name="ck_exchange_closed_holds_nothing",
        ),
        sa.CheckConstraint("provider_id <> beneficiary_id", name="ck_exchange_two_members"),
    )
    op.create_index("ix_exchange_listing_id", "exchange", ["listing_id"])
    op.create_index("ix_exchange_provider_id_id", "exchange", ["provider_id", "id"])
    op.create_index("ix_exchange_beneficiary_id_id", "exchange", ["beneficiary_id", "id"])
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("request", sa.String(200), nullable=False),
        sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("member_id", "key", name="uq_idempotency_key_member_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_key")
    op.drop_table("exchange")
