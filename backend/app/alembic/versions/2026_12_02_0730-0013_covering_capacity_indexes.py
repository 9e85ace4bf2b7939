"""covering indexes for capacity counts: an event's bookings and an offering's passes

The poster feed checks, per event poster, whether the event still has places (held
bookings count until they expire): these two indexes let that count read only index
pages (an event's bookings as one range, with their ids and hold times; an offering's
booking items with their bookings and quantities).

Revision ID: 0013_covering_capacity_indexes
Revises: 0012_groups
Create Date: 2026-12-02 07:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_covering_capacity_indexes"
down_revision: str | None = "0012_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_booking_event_id_status", table_name="booking")
    op.create_index(
        "ix_booking_event_id_status",
        "booking",
        ["event_id", "status"],
        postgresql_include=["id", "hold_expires_at"],
    )
    op.drop_index(op.f("ix_booking_item_offering_id"), table_name="booking_item")
    op.create_index(
        "ix_booking_item_offering_id",
        "booking_item",
        ["offering_id"],
        postgresql_include=["booking_id", "quantity"],
    )


def downgrade() -> None:
    op.drop_index("ix_booking_item_offering_id", table_name="booking_item")
    op.create_index(
        op.f("ix_booking_item_offering_id"), "booking_item", ["offering_id"], unique=False
    )
    op.drop_index("ix_booking_event_id_status", table_name="booking")
    op.create_index("ix_booking_event_id_status", "booking", ["event_id", "status"])
