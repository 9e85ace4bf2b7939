"""Events: what managers send, what managers and consumers get back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.models import EventStatus, VenueKind
from app.schema.common import (
    HttpsUrl,
    IsoDatetime,
    Metres,
    RequestModel,
    StrictInteger,
    drop_null,
    refuse_nulls,
)

# The longest an event may last (a festival weekend; longer is most likely a typo).
MAX_EVENT_DURATION = timedelta(days=14)
# How far ahead an event may be scheduled.
MAX_SCHEDULE_AHEAD = timedelta(days=2 * 366)
# Nearby search radius, metres.
MIN_RADIUS_M = 100
MAX_RADIUS_M = 50_000
DEFAULT_RADIUS_M = 10_000


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
ImageUrl = HttpsUrl
MinAge = Annotated[StrictInteger, Field(ge=0, le=99)]
DressCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# Refund policy: a consumer who cancels at least `cancel_cutoff_minutes` before the
# start gets `refund_percent` of what they paid back (100 full, 0 nothing).
MAX_CANCEL_CUTOFF_MINUTES = 365 * 24 * 60
RefundPercent = Annotated[
    StrictInteger, Field(ge=0, le=100, description="Share of the price refunded, %")
]
CancelCutoffMinutes = Annotated[
    StrictInteger,
    Field(
        ge=0,
        le=MAX_CANCEL_CUTOFF_MINUTES,
        description="Consumers may cancel until this many minutes before the start",
    ),
]


def check_times(starts_at: datetime, ends_at: datetime, *, now: datetime | None = None) -> None:
    """The rules on an event's start and end (raises ValueError)."""
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if ends_at - starts_at > MAX_EVENT_DURATION:
        raise ValueError(f"An event may last at most {MAX_EVENT_DURATION.days} days")
    now = now or datetime.now(UTC)
    if ends_at <= now:
        raise ValueError("ends_at must be in the future")
    if starts_at > now + MAX_SCHEDULE_AHEAD:
        raise ValueError("starts_at may be at most two years ahead")


class EventCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    starts_at: IsoDatetime
    ends_at: IsoDatetime
    image_url: ImageUrl | None = None
    min_age: MinAge | None = None
    dress_code: DressCode | None = None
    refund_percent: RefundPercent = 100
    cancel_cutoff_minutes: CancelCutoffMinutes = 1440

    @model_validator(mode="after")
    def _times(self) -> Self:
        check_times(self.starts_at, self.ends_at)
        return self


_EVENT_NOT_NULL = ("title", "starts_at", "ends_at", "refund_percent", "cancel_cutoff_minutes")


class EventUpdate(RequestModel):
    """Partial update; start and end are checked together with the stored values."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=drop_null(*_EVENT_NOT_NULL),
    )

    title: Title | None = None
    description: Description | None = None
    starts_at: IsoDatetime | None = None
    ends_at: IsoDatetime | None = None
    image_url: ImageUrl | None = None
    min_age: MinAge | None = None
    dress_code: DressCode | None = None
    refund_percent: RefundPercent | None = None
    cancel_cutoff_minutes: CancelCutoffMinutes | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _EVENT_NOT_NULL)
        if self.starts_at is not None and self.ends_at is not None:
            check_times(self.starts_at, self.ends_at)
        return self


class _EventFields(BaseModel):
    """What every reader of an event sees."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    title: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    image_url: str | None
    min_age: int | None
    dress_code: str | None
    status: EventStatus
    refund_percent: int = Field(description="Share of the price refunded on cancelling, %")
    cancel_cutoff_minutes: int = Field(
        description="Consumers may cancel until this many minutes before the start"
    )


class EventRead(_EventFields):
    """An event as its venue's team sees it."""

    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EventVenue(BaseModel):
    """The venue of a public event, enough to show it on a card and a map."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: VenueKind
    address: str
    city: str
    latitude: float
    longitude: float


class EventPublic(_EventFields):
    """An event as consumers see it, with its venue (and distance in a nearby search)."""

    venue: EventVenue
    distance_m: Metres | None = Field(default=None, description="From the searched point, metres")
