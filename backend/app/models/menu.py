"""Tables of the menu domain: menus, categories (one level of subcategories), items.

Categories and items carry their `venue_id` as well as their parent, so the
whole menu of a venue is read by venue in one statement (one snapshot), whatever
its size.
Every write to a venue's menus bumps `venue.menu_version` (the menu's ETag).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAtField, EnumColumn, IdField, UpdatedAtField, enum_check


class DietMarker(StrEnum):
    VEG = "veg"
    NON_VEG = "non_veg"
    EGG = "egg"
    VEGAN = "vegan"


class Menu(SQLModel, table=True):
    __tablename__ = "menu"
    __table_args__ = (sa.UniqueConstraint("venue_id", "name"),)

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class MenuCategory(SQLModel, table=True):
    """A category of a menu, or (with `parent_id`) a subcategory of one."""

    __tablename__ = "menu_category"
    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    menu_id: uuid.UUID = Field(foreign_key="menu.id", ondelete="CASCADE", index=True)
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="menu_category.id", ondelete="CASCADE", index=True
    )
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class MenuItem(SQLModel, table=True):
    __tablename__ = "menu_item"
    __table_args__ = (
        enum_check("diet", DietMarker),
        sa.CheckConstraint("price_minor >= 0", name="price_non_negative"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        sa.CheckConstraint("abv IS NULL OR (abv >= 0 AND abv <= 100)", name="abv_range"),
        sa.CheckConstraint("ibu IS NULL OR (ibu >= 0 AND ibu <= 1000)", name="ibu_range"),
        sa.CheckConstraint(
            "is_alcoholic OR (abv IS NULL AND ibu IS NULL)", name="abv_ibu_only_alcoholic"
        ),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    category_id: uuid.UUID = Field(foreign_key="menu_category.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price_minor: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="INR", min_length=3, max_length=3)
    image_url: str | None = Field(default=None, max_length=2048)
    diet: DietMarker | None = Field(default=None, sa_column=EnumColumn(DietMarker, nullable=True))
    is_alcoholic: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    abv: float | None = None  # % alcohol by volume
    ibu: int | None = None  # bitterness (beer)
    ingredients: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(100)), nullable=False, server_default="{}"),
    )
    tags: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(50)), nullable=False, server_default="{}"),
    )
    is_available: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()
