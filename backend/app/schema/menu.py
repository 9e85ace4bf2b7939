"""Menu requests and responses: menus, categories, items, reordering, bulk import."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.models.menu import DietMarker
from app.schema.common import (
    FiniteNumber,
    Flag,
    HttpLink,
    NoNul,
    RequestModel,
    StrictInteger,
    drop_null,
    refuse_nulls,
)
from app.schema.venue import Currency, MoneyMinor


def _strip_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("This cannot be blank")
    return value


def _clean_words(values: list[str]) -> list[str]:
    cleaned = [" ".join(v.split()) for v in values]
    if any(not v for v in cleaned):
        raise ValueError("Entries cannot be blank")
    return cleaned


MenuName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
ItemName = Annotated[
    str, Field(min_length=1, max_length=200), NoNul, AfterValidator(_strip_required)
]
Description = Annotated[str | None, Field(default=None, max_length=2000), NoNul]
Ingredients = Annotated[
    list[Annotated[str, Field(max_length=100), NoNul]],
    Field(max_length=50),
    AfterValidator(_clean_words),
]
Tags = Annotated[
    list[Annotated[str, Field(max_length=50), NoNul]],
    Field(max_length=20),
    AfterValidator(_clean_words),
]
Abv = Annotated[FiniteNumber, Field(ge=0, le=100, description="% alcohol by volume")]
Ibu = Annotated[StrictInteger, Field(ge=0, le=1000, description="International bitterness units")]


# --- menus and categories ---------------------------------------------------------------


class MenuCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None


class MenuUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null("name"))

    name: MenuName | None = None
    description: Description = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, ("name",))
        return self


class MenuRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    description: str | None
    display_order: int
    created_at: datetime
    updated_at: datetime


class CategoryCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None
    parent_id: uuid.UUID | None = Field(
        default=None, description="Make this a subcategory of a category of the same menu"
    )


class CategoryUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null("name"))

    name: MenuName | None = None
    description: Description = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, ("name",))
        return self


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    menu_id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    description: str | None
    display_order: int
    created_at: datetime
    updated_at: datetime


class Reorder(RequestModel):
    """The complete list, in the new order (one request per list)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("Each id may appear once")
        return self


class CategoryReorder(Reorder):
    parent_id: uuid.UUID | None = Field(
        default=None, description="Reorder the subcategories of this category (else top level)"
    )


# --- items ------------------------------------------------------------------------------


class _ItemFields(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Description = None
    image_url: HttpLink | None = None
    diet: DietMarker | None = None
    abv: Abv | None = None
    ibu: Ibu | None = None


class ItemCreate(_ItemFields):
    name: ItemName
    price_minor: MoneyMinor
    currency: Currency = "INR"
    is_alcoholic: Flag = False
    ingredients: Ingredients = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    is_available: Flag = True

    @model_validator(mode="after")
    def _alcohol(self) -> Self:
        if not self.is_alcoholic and (self.abv is not None or self.ibu is not None):
            raise ValueError("`abv` and `ibu` are only for alcoholic items (is_alcoholic: true)")
        return self


_ITEM_NOT_NULL = (
    "name",
    "price_minor",
    "currency",
    "is_alcoholic",
    "ingredients",
    "tags",
    "is_available",
    "category_id",
)


class ItemUpdate(_ItemFields):
    """A partial update; `category_id` moves the item to another category of the venue."""

    name: ItemName | None = None
    price_minor: MoneyMinor | None = None
    currency: Currency | None = None
    is_alcoholic: Flag | None = None
    ingredients: Ingredients | None = None
    tags: Tags | None = None
    is_available: Flag | None = None
    category_id: uuid.UUID | None = None

    model_config = ConfigDict(json_schema_extra=drop_null(*_ITEM_NOT_NULL))

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _ITEM_NOT_NULL)
        return self


class Availability(RequestModel):
    model_config = ConfigDict(extra="forbid")

    is_available: Flag


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category_id: uuid.UUID
    name: str
    description: str | None
    price_minor: int
    currency: str
    image_url: str | None
    diet: DietMarker | None
    is_alcoholic: bool
    abv: float | None
    ibu: int | None
    ingredients: list[str]
    tags: list[str]
    is_available: bool
    display_order: int


# --- the whole menu ---------------------------------------------------------------------


class CategoryTree(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    display_order: int
    items: list[ItemRead]
    subcategories: list[CategoryTree]


class MenuTree(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    display_order: int
    categories: list[CategoryTree]


class VenueMenuRead(BaseModel):
    """Every menu of a venue with its categories, subcategories and items, in order."""

    venue_id: uuid.UUID
    version: int = Field(description="Changes with every change of the menus (the ETag)")
    menus: list[MenuTree]


# --- bulk import ------------------------------------------------------------------------

MAX_IMPORT_ITEMS = 2000


class SubcategoryImport(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None
    items: list[ItemCreate] = Field(default_factory=list, max_length=MAX_IMPORT_ITEMS)


class CategoryImport(SubcategoryImport):
    subcategories: list[SubcategoryImport] = Field(default_factory=list, max_length=100)


class MenuImport(RequestModel):
    """A whole menu: categories, their subcategories, and items in the order given."""

    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None
    categories: list[CategoryImport] = Field(min_length=1, max_length=200)


class MenuImportResult(BaseModel):
    menu: MenuRead
    categories: int
    items: int
    replaced: bool
