"""Menu requests and responses: menus, categories, items, reordering, bulk import, and
the items' options (variants, add-on groups and add-ons) and the venue's tax classes."""

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


class _ItemCreateFields(_ItemFields):
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


class ItemCreate(_ItemCreateFields):
    tax_class_id: uuid.UUID | None = Field(
        default=None, description="A tax class of this venue (none: no tax on this item)"
    )


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
    tax_class_id: uuid.UUID | None = Field(
        default=None, description="A tax class of this venue; null: no tax on this item"
    )

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
    tax_class_id: uuid.UUID | None
    is_available: bool
    display_order: int


# --- tax classes ------------------------------------------------------------------------

TaxClassName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
RateBps = Annotated[
    StrictInteger, Field(ge=0, le=10_000, description="Basis points: 500 = 5%, 10000 = 100%")
]


class TaxClassCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: TaxClassName
    rate_bps: RateBps


class TaxClassUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null("name", "rate_bps"))

    name: TaxClassName | None = None
    rate_bps: RateBps | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, ("name", "rate_bps"))
        return self


class TaxClassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    rate_bps: int
    created_at: datetime
    updated_at: datetime


# --- item options: variants, add-on groups, add-ons -------------------------------------

OptionName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
DisplayOrder = Annotated[StrictInteger, Field(ge=0, le=10_000)]
Choices = Annotated[StrictInteger, Field(ge=0, le=50)]
MAX_VARIANTS = 20
MAX_ADD_ON_GROUPS = 10
MAX_ADD_ONS = 50


class VariantCreate(RequestModel):
    """A size or portion with its own price; `currency` defaults to the item's."""

    model_config = ConfigDict(extra="forbid")

    name: OptionName
    price_minor: MoneyMinor
    currency: Currency | None = Field(default=None, description="The item's currency")
    is_available: Flag = True
    display_order: DisplayOrder | None = Field(default=None, description="Else after the others")


_VARIANT_NOT_NULL = ("name", "price_minor", "currency", "is_available", "display_order")


class VariantUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_VARIANT_NOT_NULL))

    name: OptionName | None = None
    price_minor: MoneyMinor | None = None
    currency: Currency | None = None
    is_available: Flag | None = None
    display_order: DisplayOrder | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _VARIANT_NOT_NULL)
        return self


class VariantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    name: str
    price_minor: int
    currency: str
    is_available: bool
    display_order: int


class AddOnCreate(RequestModel):
    """One extra of a group; free unless priced. `currency` defaults to the item's."""

    model_config = ConfigDict(extra="forbid")

    name: OptionName
    price_minor: MoneyMinor = 0
    currency: Currency | None = Field(default=None, description="The item's currency")
    is_available: Flag = True
    display_order: DisplayOrder | None = Field(default=None, description="Else after the others")


_ADD_ON_NOT_NULL = _VARIANT_NOT_NULL


class AddOnUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_ADD_ON_NOT_NULL))

    name: OptionName | None = None
    price_minor: MoneyMinor | None = None
    currency: Currency | None = None
    is_available: Flag | None = None
    display_order: DisplayOrder | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _ADD_ON_NOT_NULL)
        return self


class AddOnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    group_id: uuid.UUID
    name: str
    price_minor: int
    currency: str
    is_available: bool
    display_order: int


def _check_choices(min_choices: int | None, max_choices: int | None) -> None:
    if max_choices is not None and max_choices < 1:
        raise ValueError("`max_choices` is at least 1")
    if min_choices is not None and max_choices is not None and min_choices > max_choices:
        raise ValueError(
            f"`min_choices` ({min_choices}) cannot be more than `max_choices` ({max_choices})"
        )


class AddOnGroupCreate(RequestModel):
    """A choice of extras: between `min_choices` and `max_choices` different add-ons
    of the group per ordered item (min 0: optional). Add-ons may come along."""

    model_config = ConfigDict(extra="forbid")

    name: OptionName
    min_choices: Choices = 0
    max_choices: Choices = 1
    display_order: DisplayOrder | None = Field(default=None, description="Else after the others")
    add_ons: list[AddOnCreate] = Field(default_factory=list, max_length=MAX_ADD_ONS)

    @model_validator(mode="after")
    def _choices(self) -> Self:
        _check_choices(self.min_choices, self.max_choices)
        names = [" ".join(a.name.split()).casefold() for a in self.add_ons]
        if len(set(names)) != len(names):
            raise ValueError("Two add-ons of a group cannot have the same name")
        return self


_GROUP_NOT_NULL = ("name", "min_choices", "max_choices", "display_order")


class AddOnGroupUpdate(RequestModel):
    """A partial update; the resulting `min_choices` may not exceed `max_choices`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_GROUP_NOT_NULL))

    name: OptionName | None = None
    min_choices: Choices | None = None
    max_choices: Choices | None = None
    display_order: DisplayOrder | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _GROUP_NOT_NULL)
        _check_choices(self.min_choices, self.max_choices)
        return self


class AddOnGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    name: str
    min_choices: int
    max_choices: int
    display_order: int
    add_ons: list[AddOnRead]


# --- the whole menu ---------------------------------------------------------------------


class TaxClassBrief(BaseModel):
    id: uuid.UUID
    name: str
    rate_bps: int


class ItemTree(ItemRead):
    """An item of the whole menu, with its tax class and its options, in order."""

    tax_class: TaxClassBrief | None
    variants: list[VariantRead]
    add_on_groups: list[AddOnGroupRead]


class CategoryTree(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    display_order: int
    items: list[ItemTree]
    subcategories: list[CategoryTree]


class MenuTree(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    display_order: int
    categories: list[CategoryTree]


class VenueMenuRead(BaseModel):
    """Every menu of a venue with its categories, subcategories and items (with their
    tax classes and options), in order."""

    venue_id: uuid.UUID
    version: int = Field(description="Changes with every change of the menus (the ETag)")
    menus: list[MenuTree]


# --- bulk import ------------------------------------------------------------------------

MAX_IMPORT_ITEMS = 2000


class AddOnGroupImport(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: OptionName
    min_choices: Choices = 0
    max_choices: Choices = 1
    add_ons: list[AddOnCreate] = Field(default_factory=list, max_length=MAX_ADD_ONS)

    @model_validator(mode="after")
    def _choices(self) -> Self:
        _check_choices(self.min_choices, self.max_choices)
        return self


class ItemImport(_ItemCreateFields):
    """An item with its options; its tax class is named (`tax_class`), not an id."""

    tax_class: TaxClassName | None = Field(
        default=None,
        description="The name of a tax class of the import's `tax_classes` or of the venue",
    )
    variants: list[VariantCreate] = Field(default_factory=list, max_length=MAX_VARIANTS)
    add_on_groups: list[AddOnGroupImport] = Field(
        default_factory=list, max_length=MAX_ADD_ON_GROUPS
    )


class SubcategoryImport(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None
    items: list[ItemImport] = Field(default_factory=list, max_length=MAX_IMPORT_ITEMS)


class CategoryImport(SubcategoryImport):
    subcategories: list[SubcategoryImport] = Field(default_factory=list, max_length=100)


class MenuImport(RequestModel):
    """A whole menu: categories, their subcategories, and items in the order given."""

    model_config = ConfigDict(extra="forbid")

    name: MenuName
    description: Description = None
    tax_classes: list[TaxClassCreate] = Field(
        default_factory=list,
        max_length=50,
        description="Tax classes to create, or to update by name (the items name them)",
    )
    categories: list[CategoryImport] = Field(min_length=1, max_length=200)


class MenuImportResult(BaseModel):
    menu: MenuRead
    categories: int
    items: int
    variants: int
    add_on_groups: int
    add_ons: int
    tax_classes: int = Field(description="Tax classes created or updated")
    replaced: bool
