"""An index on the rate-limit window, so past windows of every key are swept cheaply.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rate_limit_counter_window", "rate_limit_counter", ["window"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_counter_window", "rate_limit_counter")
