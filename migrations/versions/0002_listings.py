"""Listings: offers, needs and appeals, indexed for the nearby search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

OPEN_ONLY = sa.text("status = 'OPEN'")
OPEN_APPEALS = sa.text("status = 'OPEN' AND type = 'APPEAL'")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.String(4000), nullable=False),
        sa.Column("digos", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("lat_band", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("digos >= 0", name="ck_listing_digos_not_negative"),
    )
    op.create_index("ix_listing_author_id", "listing", ["author_id"])
    op.create_index(
        "ix_listing_open_nearby",
        "listing",
        ["lat_band", "longitude", "latitude", "id", "status"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.create_index(
        "ix_listing_open_appeals",
        "listing",
        ["author_id"],
        sqlite_where=OPEN_APPEALS,
        postgresql_where=OPEN_APPEALS,
    )


def downgrade() -> None:
    op.drop_table("listing")
