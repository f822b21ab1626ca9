"""Conversations and messages, notifications and their settings, the mail outbox, the
scheduler's lease and jobs, alerts, the listing feed's order, and each member's language.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _member(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("member.id"), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("member") as member:
        member.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="en"))
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("topic", sa.String(60), nullable=False, unique=True),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=True),
        sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=True),
        sa.Column("last_message_id", sa.Integer(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_index("ix_conversation_last_message_id", "conversation", ["last_message_id"])
    op.create_table(
        "conversation_member",
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("conversation.id"),
            primary_key=True,
        ),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("read_up_to", sa.Integer(), nullable=False),
    )
    op.create_index("ix_conversation_member_member_id", "conversation_member", ["member_id"])
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False
        ),
        _member("author_id"),
        sa.Column("body", sa.Text(), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_message_conversation_id_id", "message", ["conversation_id", "id"])
    with op.batch_alter_table("idempotency_key") as keys:
        keys.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        keys.create_foreign_key(
            "fk_idempotency_key_message_id_message", "message", ["message_id"], ["id"]
        )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        _member("member_id"),
        sa.Column("kind", sa.String(30), nullable=False),
        _member("actor_id", nullable=True),
        sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=True),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        _timestamp("created_at"),
        _timestamp("read_at", nullable=True),
        sa.Column("digest_pending", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_notification_member_id_id", "notification", ["member_id", "id"])
    op.create_index(
        "ix_notification_digest_pending",
        "notification",
        ["member_id"],
        sqlite_where=sa.text("digest_pending"),
        postgresql_where=sa.text("digest_pending"),
    )
    op.create_table(
        "notification_setting",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("delivery", sa.String(20), nullable=False),
    )
    op.create_table(
        "mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        _member("member_id", nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("next_attempt_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("sent_at", nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_mail_member_id", "mail", ["member_id"])
    op.create_index(
        "ix_mail_unsent",
        "mail",
        ["next_attempt_at"],
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        _timestamp("expires_at"),
    )
    op.create_table(
        "scheduled_job",
        sa.Column("name", sa.String(40), primary_key=True),
        _timestamp("next_run_at"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        _member("member_id"),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("text", sa.String(200), nullable=True),
        _timestamp("created_at"),
    )
    op.create_index("ix_alert_member_id", "alert", ["member_id"])
    op.create_index("ix_alert_latitude", "alert", ["latitude"])
    op.create_table(
        "listing_feed_entry",
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=False, unique=True
        ),
    )


def downgrade() -> None:
    for table in (
        "listing_feed_entry",
        "alert",
        "scheduled_job",
        "scheduler_lease",
        "mail",
        "notification_setting",
        "notification",
    ):
        op.drop_table(table)
    with op.batch_alter_table("idempotency_key") as keys:
        keys.drop_constraint("fk_idempotency_key_message_id_message", type_="foreignkey")
        keys.drop_column("message_id")
    for table in ("message", "conversation_member", "conversation"):
        op.drop_table(table)
    with op.batch_alter_table("member") as member:
        member.drop_column("language")
