"""A member's own things: listing expiry and map grid, email confirmation, former members,
mailed tokens, and idempotency keys for any mutation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("status = 'OPEN'")
# Listings posted before expiry existed get the default lifetime from their creation.
DEFAULT_TTL_DAYS = 60


def upgrade() -> None:
    with op.batch_alter_table("listing") as listing:
        listing.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        listing.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        listing.add_column(sa.Column("grid_latitude", sa.Integer(), nullable=True))
        listing.add_column(sa.Column("grid_longitude", sa.Integer(), nullable=True))
    _grid_existing_listings()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE listing SET expires_at = created_at + interval '{DEFAULT_TTL_DAYS} days'"
        )
    else:
        op.execute(
            "UPDATE listing SET expires_at = "
            f"strftime('%Y-%m-%d %H:%M:%f', created_at, '+{DEFAULT_TTL_DAYS} days')"
        )
    with op.batch_alter_table("listing") as listing:
        for column in ("expires_at", "grid_latitude", "grid_longitude"):
            listing.alter_column(column, nullable=False)
    op.create_index(
        "ix_listing_open_expires_at",
        "listing",
        ["expires_at"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.create_index(
        "ix_listing_open_grid",
        "listing",
        ["grid_latitude", "grid_longitude", "type", "category"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )

    with op.batch_alter_table("member") as member:
        member.add_column(
            sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        member.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_account_token_member_id", "account_token", ["member_id"])

    # What a key gave, whatever the mutation: one column instead of one per kind of result.
    with op.batch_alter_table("idempotency_key") as keys:
        keys.add_column(sa.Column("result_id", sa.Integer(), nullable=True))
    op.execute("UPDATE idempotency_key SET result_id = COALESCE(exchange_id, message_id)")
    with op.batch_alter_table("idempotency_key") as keys:
        keys.drop_constraint("fk_idempotency_key_message_id_message", type_="foreignkey")
        keys.drop_column("message_id")
        keys.drop_column("exchange_id")


def _grid(degrees: float) -> int:
    # As resolvers.geo rounds a point shown to others; SQL's round differs on halves.
    return round(round(degrees, 2) * 100)


def _grid_existing_listings() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, latitude, longitude FROM listing")).all()
    if rows:
        connection.execute(
            sa.text(
                "UPDATE listing SET grid_latitude = :lat, grid_longitude = :lon WHERE id = :id"
            ),
            [{"id": i, "lat": _grid(lat), "lon": _grid(lon)} for i, lat, lon in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key") as keys:
        keys.add_column(
            sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=True)
        )
        keys.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        keys.create_foreign_key(
            "fk_idempotency_key_message_id_message", "message", ["message_id"], ["id"]
        )
    op.execute(
        "UPDATE idempotency_key SET exchange_id = result_id "
        "WHERE request LIKE '%Exchange %' AND result_id IN (SELECT id FROM exchange)"
    )
    op.execute(
        "UPDATE idempotency_key SET message_id = result_id "
        "WHERE request LIKE 'sendMessage %' AND result_id IN (SELECT id FROM message)"
    )
    with op.batch_alter_table("idempotency_key") as keys:
        keys.drop_column("result_id")
    op.drop_table("account_token")
    with op.batch_alter_table("member") as member:
        member.drop_column("deleted_at")
        member.drop_column("email_confirmed_at")
    op.drop_index("ix_listing_open_grid", "listing")
    op.drop_index("ix_listing_open_expires_at", "listing")
    with op.batch_alter_table("listing") as listing:
        listing.drop_column("grid_longitude")
        listing.drop_column("grid_latitude")
        listing.drop_column("reminded_at")
        listing.drop_column("expires_at")
