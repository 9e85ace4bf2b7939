"""cover credit revoked with its pass: revoked_at and the `revoked` ledger entry

A pass refunded in full or cancelled (by its consumer, a manager or the event's
cancellation) after its guest was let in takes back the credit it gave: what is left
leaves the ledger as a `revoked` entry (a debit, like `spent`) and `revoked_at` keeps
the credit unusable, also for what an order gives back to it later.

Revision ID: 0014_cover_credit_revoked
Revises: 0013_covering_capacity_indexes
Create Date: 2026-12-02 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_cover_credit_revoked"
down_revision: str | None = "0013_covering_capacity_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = "ck_cover_credit_entry_kind_valid"
_SIGN = "ck_cover_credit_entry_credit_or_debit_by_kind"


def upgrade() -> None:
    op.add_column("cover_credit", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.drop_constraint(op.f(_KIND), "cover_credit_entry", type_="check")
    op.create_check_constraint(
        op.f(_KIND), "cover_credit_entry", "kind IN ('granted', 'spent', 'returned', 'revoked')"
    )
    op.drop_constraint(op.f(_SIGN), "cover_credit_entry", type_="check")
    op.create_check_constraint(
        op.f(_SIGN), "cover_credit_entry", "(kind IN ('spent', 'revoked')) = (amount_minor < 0)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM cover_credit_entry WHERE kind = 'revoked'")
    op.drop_constraint(op.f(_SIGN), "cover_credit_entry", type_="check")
    op.create_check_constraint(
        op.f(_SIGN), "cover_credit_entry", "(kind = 'spent') = (amount_minor < 0)"
    )
    op.drop_constraint(op.f(_KIND), "cover_credit_entry", type_="check")
    op.create_check_constraint(
        op.f(_KIND), "cover_credit_entry", "kind IN ('granted', 'spent', 'returned')"
    )
    op.drop_column("cover_credit", "revoked_at")
