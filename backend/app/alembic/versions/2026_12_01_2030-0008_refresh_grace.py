"""refresh tokens remember the token they were exchanged for (reuse grace window)

Revision ID: 0008_refresh_grace
Revises: 0007_drop_venue_h3_cell
Create Date: 2026-12-01 19:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_refresh_grace"
down_revision: str | None = "0007_drop_venue_h3_cell"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_refresh_token_replaced_by_id_refresh_token"),
        "refresh_token",
        "refresh_token",
        ["replaced_by_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_refresh_token_replaced_by_id_refresh_token"), "refresh_token", type_="foreignkey"
    )
    op.drop_column("refresh_token", "replaced_by_id")
