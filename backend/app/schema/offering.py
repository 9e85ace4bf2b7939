"""What an event sells: offerings (pass types) and the capacity pools they draw from.

Managers send `OfferingCreate` / `OfferingUpdate` and `PoolCreate` / `PoolUpdate`;
the venue's team reads `OfferingRead` (with each pool's size, taken and left) and
`PoolRead`; anyone reads `OfferingPublic` (price, sale window, on sale, passes left).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.models.booking import OfferingKind, OfferingStatus
from app.schema.common import (
    Flag,
    IsoDatetime,
    NoNul,
    RequestModel,
    StrictInteger,
    drop_null,
    refuse_nulls,
)

# The most offerings and pools one event may have (their lists are not paged).
MAX_OFFERINGS_PER_EVENT = 100
MAX_POOLS_PER_EVENT = 50
# The most pools one offering may draw from.
MAX_DRAWS_PER_OFFERING = 10
MAX_PRICE_MINOR = 10**9
MAX_POOL_SIZE = 1_000_000


def _strip_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("This cannot be blank")
    return value


OfferingName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
PoolName = Annotated[
    str, Field(min_length=1, max_length=100), NoNul, AfterValidator(_strip_required)
]
Description = Annotated[str, Field(max_length=1000), NoNul]
PriceMinor = Annotated[
    StrictInteger, Field(ge=0, le=MAX_PRICE_MINOR, description="Minor units (paise)")
]
# A sale window's times: any plausible moment (a year 1 or 9999 with an offset is valid
# ISO 8601 but cannot be stored and read back, which broke every read of the offerings).
EARLIEST_SALE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_SALE_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible_sale_time(value: datetime) -> datetime:
    if not EARLIEST_SALE_TIME <= value < LATEST_SALE_TIME:
        raise ValueError("A sale time between the years 2000 and 2099")
    return value


SaleTime = Annotated[IsoDatetime, AfterValidator(_plausible_sale_time)]
# Only rupees are sold for now (the payment provider is set up for INR).
SaleCurrency = Literal["INR"]
GuestsPerPass = Annotated[StrictInteger, Field(ge=1, le=100)]
PlacesPerPass = Annotated[StrictInteger, Field(ge=1, le=100)]
MaxPerBooking = Annotated[StrictInteger, Field(ge=1, le=100)]
PoolSize = Annotated[StrictInteger, Field(ge=0, le=MAX_POOL_SIZE, description="Places")]
# An offering is created active or hidden; retiring it is its own request.
SettableStatus = Literal[OfferingStatus.ACTIVE, OfferingStatus.HIDDEN]


def check_sale_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """The sale window's rule (raises ValueError)."""
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("sale_ends_at must be after sale_starts_at")


class PoolDraw(RequestModel):
    """A pool the offering draws from, and the places each pass takes of it."""

    model_config = ConfigDict(extra="forbid")

    pool_id: uuid.UUID
    places_per_pass: PlacesPerPass | None = Field(
        default=None, description="Places one pass takes of this pool (default: its guests)"
    )


Draws = Annotated[
    list[PoolDraw],
    Field(
        max_length=MAX_DRAWS_PER_OFFERING,
        description="The pools it draws from; an offering that draws from none sells nothing",
    ),
]


def _check_draws(draws: list[PoolDraw] | None) -> None:
    if draws is None:
        return
    ids = [d.pool_id for d in draws]
    if len(set(ids)) != len(ids):
        raise ValueError("Each pool may appear once in `pools`")


class OfferingCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: OfferingName
    description: Description | None = None
    kind: OfferingKind
    price_minor: PriceMinor
    currency: SaleCurrency = "INR"
    guests_per_pass: GuestsPerPass = 1
    cover_credit_minor: PriceMinor = 0
    sale_starts_at: SaleTime | None = None
    sale_ends_at: SaleTime | None = None
    max_per_booking: MaxPerBooking = 10
    reentry_allowed: Flag = True
    status: SettableStatus = OfferingStatus.ACTIVE
    pools: Draws = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_sale_window(self.sale_starts_at, self.sale_ends_at)
        _check_draws(self.pools)
        return self


_OFFERING_NOT_NULL = (
    "name",
    "kind",
    "price_minor",
    "currency",
    "guests_per_pass",
    "cover_credit_minor",
    "max_per_booking",
    "reentry_allowed",
    "status",
    "pools",
)


class OfferingUpdate(RequestModel):
    """A partial update. `pools`, when sent, replaces the pools the offering draws
    from; the sale window is checked together with the stored values."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_OFFERING_NOT_NULL))

    name: OfferingName | None = None
    description: Description | None = None
    kind: OfferingKind | None = None
    price_minor: PriceMinor | None = None
    currency: SaleCurrency | None = None
    guests_per_pass: GuestsPerPass | None = None
    cover_credit_minor: PriceMinor | None = None
    sale_starts_at: SaleTime | None = None
    sale_ends_at: SaleTime | None = None
    max_per_booking: MaxPerBooking | None = None
    reentry_allowed: Flag | None = None
    status: SettableStatus | None = None
    pools: Draws | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        refuse_nulls(self, _OFFERING_NOT_NULL)
        check_sale_window(self.sale_starts_at, self.sale_ends_at)
        _check_draws(self.pools)
        return self


class OfferingReorder(RequestModel):
    """Every offering of the event, in the new display order."""

    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_OFFERINGS_PER_EVENT)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("Each id may appear once")
        return self


class _OfferingFields(BaseModel):
    """What every reader of an offering sees."""

    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    description: str | None
    kind: OfferingKind
    price_minor: int
    currency: str
    guests_per_pass: int
    cover_credit_minor: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    max_per_booking: int
    reentry_allowed: bool
    position: int
    on_sale: bool = Field(description="Active, the event still ahead, and now within the window")
    available: int = Field(ge=0, description="Passes left: the least its pools have room for")


class OfferingPublic(_OfferingFields):
    """An offering as anyone sees it."""


class DrawRead(BaseModel):
    """A pool an offering draws from, as the venue's team sees it."""

    pool_id: uuid.UUID
    name: str
    places_per_pass: int
    size: int
    taken: int = Field(description="Places of confirmed bookings and unexpired holds")
    left: int = Field(ge=0)


class OfferingRead(_OfferingFields):
    """An offering as the venue's team sees it."""

    status: OfferingStatus
    pools: list[DrawRead]
    created_at: datetime
    updated_at: datetime


class PoolCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: PoolName
    size: PoolSize


class PoolUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null("name", "size"))

    name: PoolName | None = None
    size: PoolSize | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, ("name", "size"))
        return self


class PoolRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    size: int
    taken: int = Field(description="Places of confirmed bookings and unexpired holds")
    left: int = Field(ge=0)
    created_at: datetime
    updated_at: datetime
