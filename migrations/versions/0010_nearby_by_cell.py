"""The nearby search reads listings by the grid cell others see them in, in id order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ONLY = sa.text("status = 'OPEN'")


def upgrade() -> None:
    op.create_index(
        "ix_listing_open_cell",
        "listing",
        ["grid_latitude", "grid_longitude", "id", "status"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.drop_index("ix_listing_open_nearby", "listing")


def downgrade() -> None:
    op.create_index(
        "ix_listing_open_nearby",
        "listing",
        ["lat_band", "longitude", "latitude", "id", "status"],
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.drop_index("ix_listing_open_cell", "listing")
