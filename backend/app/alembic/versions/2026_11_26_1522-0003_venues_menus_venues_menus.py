"""venues: hours, geo cell, invites; menus, categories, items

Revision ID: 0003_venues_menus
Revises: 0002_identity
Create Date: 2026-11-26 15:20:00+00:00
"""

from collections.abc import Sequence

import h3
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_venues_menus"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VENUE_H3_RESOLUTION = 9  # app.models.venue.VENUE_H3_RESOLUTION at the time of writing


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    # Venue: H3 cell of the location (backfilled for existing rows) and menu version.
    op.add_column("venue", sa.Column("h3_cell", sa.BigInteger(), nullable=True))
    op.add_column(
        "venue", sa.Column("menu_version", sa.Integer(), server_default="0", nullable=False)
    )
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
    op.create_index(
        "ix_venue_public_latitude_longitude",
        "venue",
        ["latitude", "longitude"],
        unique=False,
        postgresql_where=sa.text("status = 'verified' AND is_active"),
    )
    op.create_check_constraint(
        op.f("ck_venue_menu_version_non_negative"), "venue", "menu_version >= 0"
    )

    op.create_table(
        "venue_opening_hours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_venue_opening_hours_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venue.id"],
            name=op.f("fk_venue_opening_hours_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_opening_hours")),
        sa.UniqueConstraint(
            "venue_id",
            "weekday",
            "opens",
            name=op.f("uq_venue_opening_hours_venue_id_weekday_opens"),
        ),
    )
    op.create_index(
        op.f("ix_venue_opening_hours_venue_id"), "venue_opening_hours", ["venue_id"], unique=False
    )

    op.create_table(
        "venue_invite",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('owner', 'manager', 'staff')", name=op.f("ck_venue_invite_role_valid")
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["user.id"],
            name=op.f("fk_venue_invite_accepted_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user.id"],
            name=op.f("fk_venue_invite_invited_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venue.id"],
            name=op.f("fk_venue_invite_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_venue_invite_token_hash")),
    )
    op.create_index(op.f("ix_venue_invite_venue_id"), "venue_invite", ["venue_id"], unique=False)

    op.create_table(
        "menu",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("display_order", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_menu_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu")),
        sa.UniqueConstraint("venue_id", "name", name=op.f("uq_menu_venue_id_name")),
    )
    op.create_index(op.f("ix_menu_venue_id"), "menu", ["venue_id"], unique=False)

    op.create_table(
        "menu_category",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("menu_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("display_order", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_menu_category_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["menu_id"], ["menu.id"], name=op.f("fk_menu_category_menu_id_menu"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["menu_category.id"],
            name=op.f("fk_menu_category_parent_id_menu_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venue.id"],
            name=op.f("fk_menu_category_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_category")),
    )
    op.create_index(op.f("ix_menu_category_menu_id"), "menu_category", ["menu_id"], unique=False)
    op.create_index(
        op.f("ix_menu_category_parent_id"), "menu_category", ["parent_id"], unique=False
    )
    op.create_index(op.f("ix_menu_category_venue_id"), "menu_category", ["venue_id"], unique=False)

    op.create_table(
        "menu_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("image_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("diet", sa.String(length=32), nullable=True),
        sa.Column("is_alcoholic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("abv", sa.Float(), nullable=True),
        sa.Column("ibu", sa.Integer(), nullable=True),
        sa.Column(
            "ingredients",
            postgresql.ARRAY(sa.String(length=100)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=50)), server_default="{}", nullable=False
        ),
        sa.Column("is_available", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_menu_item_currency_code")),
        sa.CheckConstraint(
            "diet IN ('veg', 'non_veg', 'egg', 'vegan')", name=op.f("ck_menu_item_diet_valid")
        ),
        sa.CheckConstraint(
            "abv IS NULL OR (abv >= 0 AND abv <= 100)", name=op.f("ck_menu_item_abv_range")
        ),
        sa.CheckConstraint(
            "ibu IS NULL OR (ibu >= 0 AND ibu <= 1000)", name=op.f("ck_menu_item_ibu_range")
        ),
        sa.CheckConstraint(
            "is_alcoholic OR (abv IS NULL AND ibu IS NULL)",
            name=op.f("ck_menu_item_abv_ibu_only_alcoholic"),
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_menu_item_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["menu_category.id"],
            name=op.f("fk_menu_item_category_id_menu_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_menu_item_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_item")),
    )
    op.create_index(op.f("ix_menu_item_category_id"), "menu_item", ["category_id"], unique=False)
    op.create_index(op.f("ix_menu_item_venue_id"), "menu_item", ["venue_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_menu_item_venue_id"), table_name="menu_item")
    op.drop_index(op.f("ix_menu_item_category_id"), table_name="menu_item")
    op.drop_table("menu_item")
    op.drop_index(op.f("ix_menu_category_venue_id"), table_name="menu_category")
    op.drop_index(op.f("ix_menu_category_parent_id"), table_name="menu_category")
    op.drop_index(op.f("ix_menu_category_menu_id"), table_name="menu_category")
    op.drop_table("menu_category")
    op.drop_index(op.f("ix_menu_venue_id"), table_name="menu")
    op.drop_table("menu")
    op.drop_index(op.f("ix_venue_invite_venue_id"), table_name="venue_invite")
    op.drop_table("venue_invite")
    op.drop_index(op.f("ix_venue_opening_hours_venue_id"), table_name="venue_opening_hours")
    op.drop_table("venue_opening_hours")
    op.drop_constraint(op.f("ck_venue_menu_version_non_negative"), "venue", type_="check")
    op.drop_index(
        "ix_venue_public_latitude_longitude",
        table_name="venue",
        postgresql_where=sa.text("status = 'verified' AND is_active"),
    )
    op.drop_index(op.f("ix_venue_h3_cell"), table_name="venue")
    op.drop_column("venue", "menu_version")
    op.drop_column("venue", "h3_cell")
