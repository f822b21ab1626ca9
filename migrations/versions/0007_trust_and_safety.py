"""Reviews, reports, blocks, moderators, suspensions and the moderation log; messages may be
hidden by a moderator.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("member.id"), nullable=nullable)


def _at(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("message", _at("hidden_at", nullable=True))
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=False),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=False),
        _member("author_id"),
        _member("subject_id"),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("exchange_id", "author_id", name="uq_review_exchange_author"),
        sa.UniqueConstraint("author_id", "idempotency_key", name="uq_review_author_key"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_review_rating_range"),
        sa.CheckConstraint("author_id <> subject_id", name="ck_review_two_members"),
    )
    op.create_index("ix_review_subject_id_id", "review", ["subject_id", "id"])
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), primary_key=True),
        _member("reporter_id"),
        _member("member_id"),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("details", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("request", sa.String(200), nullable=False),
        _at("created_at"),
        _at("resolved_at", nullable=True),
        sa.UniqueConstraint("reporter_id", "idempotency_key", name="uq_report_reporter_key"),
    )
    op.create_index("ix_report_reporter_id", "report", ["reporter_id"])
    op.create_index("ix_report_status_id", "report", ["status", "id"])
    op.create_table(
        "block",
        sa.Column("blocker_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("blocked_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        _at("created_at"),
        sa.CheckConstraint("blocker_id <> blocked_id", name="ck_block_two_members"),
    )
    op.create_index("ix_block_blocked_id", "block", ["blocked_id"])
    op.create_table(
        "moderator",
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        _at("granted_at"),
    )
    op.create_table(
        "suspension",
        sa.Column("id", sa.Integer(), primary_key=True),
        _member("member_id"),
        _at("until"),
        sa.Column("hidden_listing_ids", sa.JSON(), nullable=False),
        sa.Column("cancelled_exchanges", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("lifted_at", nullable=True),
    )
    op.create_index("ix_suspension_member_id_until", "suspension", ["member_id", "until"])
    op.create_table(
        "moderation_log_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        _member("moderator_id"),
        _member("member_id", nullable=True),
        sa.Column("listing_id", sa.Integer(), sa.ForeignKey("listing.id"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("report.id"), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("outcome", sa.String(1000), nullable=False),
        _at("suspend_until", nullable=True),
        _at("created_at"),
    )


def downgrade() -> None:
    for table in ("moderation_log_entry", "suspension", "moderator", "block", "report", "review"):
        op.drop_table(table)
    with op.batch_alter_table("message") as message:
        message.drop_column("hidden_at")
