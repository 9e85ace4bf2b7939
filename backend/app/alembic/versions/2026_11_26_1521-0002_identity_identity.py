"""identity: otp codes, refresh tokens, revocations, email tokens

Revision ID: 0002_identity
Revises: 0001_initial
Create Date: 2026-11-26 15:20:00+00:00
"""

from collections.abc import Sequence

revision: str = "0002_identity"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
