"""push: the devices of signed-in users that get push notifications

Revision ID: 0011_push
Revises: 0010_orders
Create Date: 2026-12-02 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_push"
down_revision: str | None = "0010_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_device",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "platform IN ('android', 'ios', 'web')", name=op.f("ck_push_device_platform_valid")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_push_device_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_device")),
        sa.UniqueConstraint("token", name=op.f("uq_push_device_token")),
    )
    op.create_index(op.f("ix_push_device_user_id"), "push_device", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_push_device_user_id"), table_name="push_device")
    op.drop_table("push_device")
