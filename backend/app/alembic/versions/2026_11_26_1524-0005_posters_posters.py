"""carousel posters, their H3 cells and impressions

Revision ID: 0005_posters
Revises: 0004_tables_events
Create Date: 2026-11-26 15:20:00+00:00
"""

from collections.abc import Sequence

revision: str = "0005_posters"
down_revision: str | None = "0004_tables_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
