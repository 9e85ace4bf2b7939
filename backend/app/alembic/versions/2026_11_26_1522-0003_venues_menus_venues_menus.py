"""venues: hours, geo cell, invites; menus, categories, items

Revision ID: 0003_venues_menus
Revises: 0002_identity
Create Date: 2026-11-26 15:20:00+00:00
"""

from collections.abc import Sequence

revision: str = "0003_venues_menus"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
