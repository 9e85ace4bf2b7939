"""venue: drop h3_cell (written on every venue write, read by nothing)

Revision ID: 0007_drop_venue_h3_cell
Revises: 0006_jobs
Create Date: 2026-12-01 20:10:00+00:00
"""

from collections.abc import Sequence

import h3
import sqlalchemy as sa
from alembic import op

revision: str = "0007_drop_venue_h3_cell"
down_revision: str | None = "0006_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VENUE_H3_RESOLUTION = 9


def upgrade() -> None:
    op.drop_index(op.f("ix_venue_h3_cell"), table_name="venue")
    op.drop_column("venue", "h3_cell")


def downgrade() -> None:
    op.add_column("venue", sa.Column("h3_cell", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, latitude, longitude FROM venue")).all()
    for venue_id, lat, lng in rows:
        cell = h3.str_to_int(h3.latlng_to_cell(lat, lng, VENUE_H3_RESOLUTION))
        conn.execute(
            sa.text("UPDATE venue SET h3_cell = :cell WHERE id = :id"),
            {"cell": cell, "id": venue_id},
        )
    op.alter_column("venue", "h3_cell", nullable=False)
    op.create_index(op.f("ix_venue_h3_cell"), "venue", ["h3_cell"], unique=False)
