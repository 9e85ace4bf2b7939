"""Tables of the menu domain: menus, categories (one level of subcategories), items,
their options (variants with their own price, add-on groups with priced add-ons) and
the venue's tax classes.

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

from app.models.base import (
    CURRENCY_CHECK,
    CreatedAtField,
    EnumColumn,
    IdField,
    MoneyField,
    UpdatedAtField,
    enum_check,
)


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
    # None: no tax is added to (or contained in) this item's price.
    tax_class_id: uuid.UUID | None = Field(
        default=None, foreign_key="tax_class.id", ondelete="RESTRICT", index=True
    )
    is_available: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class TaxClass(SQLModel, table=True):
    """A tax a venue charges on some of its items ("food GST 5%", "alcohol VAT 20%"),
    as a rate in basis points (500 = 5%). Whether menu prices include it is the
    venue's `prices_include_tax`."""

    __tablename__ = "tax_class"
    __table_args__ = (
        sa.UniqueConstraint("venue_id", "name"),
        sa.CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="rate_range"),
    )

    id: uuid.UUID = IdField()
    # Indexed by the (venue_id, name) unique constraint.
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    rate_bps: int
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class MenuItemVariant(SQLModel, table=True):
    """A size or portion of an item with its own price (30 ml / 60 ml, half / full).
    An item with variants is ordered as one of them; its own price is then unused."""

    __tablename__ = "menu_item_variant"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "name"),
        sa.CheckConstraint("price_minor >= 0", name="price_non_negative"),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    # Indexed by the (item_id, name) unique constraint.
    item_id: uuid.UUID = Field(foreign_key="menu_item.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    price_minor: int = MoneyField()
    currency: str = Field(default="INR", min_length=3, max_length=3)
    is_available: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class AddOnGroup(SQLModel, table=True):
    """A choice of extras on an item (mixers, toppings): between `min_choices` and
    `max_choices` different add-ons of the group per ordered item."""

    __tablename__ = "add_on_group"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "name"),
        sa.CheckConstraint(
            "min_choices >= 0 AND max_choices >= 1 AND min_choices <= max_choices"
            " AND max_choices <= 50",
            name="choices_range",
        ),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    # Indexed by the (item_id, name) unique constraint.
    item_id: uuid.UUID = Field(foreign_key="menu_item.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    min_choices: int = Field(default=0)
    max_choices: int = Field(default=1)
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class AddOn(SQLModel, table=True):
    """One extra of a group, with its price (0 for a free choice)."""

    __tablename__ = "add_on"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "name"),
        sa.CheckConstraint("price_minor >= 0", name="price_non_negative"),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    # Indexed by the (group_id, name) unique constraint.
    group_id: uuid.UUID = Field(foreign_key="add_on_group.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    price_minor: int = MoneyField(default=0)
    currency: str = Field(default="INR", min_length=3, max_length=3)
    is_available: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()
