"""Orders: placing one (lines of items, variants and add-ons), reading it with its
lines, taxes and status history, and moving it through its statuses."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic.config import JsonDict

from app.models.order import OrderKind, OrderStatus
from app.schema.booking import Checkout
from app.schema.common import RequestModel
from app.schema.table_session import Positioned
from app.schema.wallet import WalletSpendRead

MAX_LINES = 50
MAX_ADD_ONS = 20


class OrderLineCreate(RequestModel):
    item_id: uuid.UUID
    variant_id: uuid.UUID | None = Field(
        default=None, description="Required when the item has variants"
    )
    add_on_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_ADD_ONS)] = Field(
        default_factory=list,
        description="Different add-ons of the item's groups",
        json_schema_extra={"uniqueItems": True},
    )
    quantity: int = Field(ge=1, le=99)
    note: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _distinct_add_ons(self) -> OrderLineCreate:
        if len(set(self.add_on_ids)) != len(self.add_on_ids):
            raise ValueError("An add-on is chosen at most once per line")
        return self


_UUID: JsonDict = {"type": "string", "format": "uuid"}
# Published with the body: exactly one of session_id and pickup_point_id.
_ONE_PLACE: list[JsonValue] = [
    {
        "required": ["session_id"],
        "properties": {"session_id": _UUID, "pickup_point_id": {"type": "null"}},
    },
    {
        "required": ["pickup_point_id"],
        "properties": {"pickup_point_id": _UUID, "session_id": {"type": "null"}},
    },
]


class OrderCreate(Positioned):
    """An order on a table session (`session_id`: dine-in, or a nightclub's tab) or at
    a pickup point (`pickup_point_id`: pickup, prepaid; at a food court, items of
    several of its QSRs). `kind` may be left out: it follows from the place."""

    kind: OrderKind | None = None
    session_id: uuid.UUID | None = None
    pickup_point_id: uuid.UUID | None = None
    lines: Annotated[list[OrderLineCreate], Field(min_length=1, max_length=MAX_LINES)]
    note: str | None = Field(default=None, max_length=500)
    without_service_charge: bool = Field(
        default=False, description="Leave out the venue's service charge (it is optional)"
    )
    wallet_group_id: uuid.UUID | None = Field(
        default=None,
        description="Pay from this group's wallet (a prepaid order) instead of the gateway",
    )
    use_cover_credit: bool = Field(
        default=True,
        description="Spend your cover credit at this venue first (a prepaid order)",
    )

    model_config = ConfigDict(json_schema_extra={"oneOf": _ONE_PLACE})

    @model_validator(mode="after")
    def _one_place(self) -> OrderCreate:
        if (self.session_id is None) == (self.pickup_point_id is None):
            raise ValueError("Give either session_id or pickup_point_id")
        return self


class OrderStatusMove(RequestModel):
    to: OrderStatus
    reason: str | None = Field(default=None, max_length=500)


class OrderCancel(RequestModel):
    reason: str | None = Field(default=None, max_length=500)


class OrderLineRead(BaseModel):
    id: uuid.UUID
    position: int
    item_id: uuid.UUID | None
    variant_id: uuid.UUID | None
    name: str
    variant_name: str | None
    add_ons: list[dict[str, Any]]
    unit_price_minor: int
    quantity: int
    amount_minor: int
    tax_name: str | None
    tax_rate_bps: int
    tax_minor: int
    note: str | None


class OrderStatusChangeRead(BaseModel):
    from_status: OrderStatus | None
    to_status: OrderStatus
    by_id: uuid.UUID | None
    reason: str | None
    created_at: datetime


class TaxRead(BaseModel):
    name: str
    rate_bps: int
    taxable_minor: int
    tax_minor: int


class SubOrderRead(BaseModel):
    """An order (or one QSR's part of a food-court order)."""

    id: uuid.UUID
    venue_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: OrderKind
    status: OrderStatus
    session_id: uuid.UUID | None
    pickup_point_id: uuid.UUID | None
    placed_by_id: uuid.UUID
    number: int
    note: str | None
    currency: str
    subtotal_minor: int
    tax_minor: int
    packaging_minor: int
    service_charge_minor: int
    rounding_minor: int
    total_minor: int
    credit_minor: int = Field(default=0, description="What cover credit paid of it")
    prices_include_tax: bool
    taxes: list[TaxRead]
    placed_at: datetime | None
    created_at: datetime
    lines: list[OrderLineRead]
    history: list[OrderStatusChangeRead]


class OrderRead(SubOrderRead):
    """An order; a food-court order lists its one sub-order per QSR."""

    sub_orders: list[SubOrderRead] = Field(default_factory=list)


class OrderCreated(BaseModel):
    order: OrderRead
    checkout: Checkout | None = Field(
        default=None,
        description="How to pay at the gateway, for a prepaid order; none for a tab, or "
        "when cover credit or a group's wallet paid it",
    )
    wallet_spend: WalletSpendRead | None = Field(
        default=None,
        description="The group wallet's spend that pays it: `spent`, or `waiting` for the "
        "admin's approval (the order waits for its payment until then)",
    )


class NightSales(BaseModel):
    """A night's sales at a venue (06:00 to 06:00 in its time zone), in one currency."""

    night: date = Field(description="The local date the night began on")
    currency: str
    orders: int = Field(description="Orders served, picked up or completed, by when placed")
    total_minor: int = Field(description="What those orders came to, taxes and charges in")
