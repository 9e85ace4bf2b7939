"""Venue requests and responses, with the validation of every venue field."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Self
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from app.core.phone import PhoneNumber
from app.models.venue import PaymentMode, VenueKind, VenueRole, VenueStatus
from app.schema.common import (
    EMAIL_SCHEMA,
    FiniteNumber,
    Flag,
    HttpLink,
    Metres,
    RequestModel,
    StrictInteger,
    drop_null,
    refuse_nulls,
)

# Kind-specific fields, and which kinds may have them.
KIND_FIELDS: dict[str, frozenset[VenueKind]] = {
    "min_age": frozenset({VenueKind.NIGHTCLUB}),
    "cover_charge_minor": frozenset({VenueKind.NIGHTCLUB}),
    "dress_code": frozenset({VenueKind.NIGHTCLUB}),
    "cuisines": frozenset({VenueKind.RESTAURANT, VenueKind.QSR}),
    "drive_thru": frozenset({VenueKind.QSR}),
    "food_court_id": frozenset({VenueKind.QSR}),
}


def kind_field_problems(kind: VenueKind, values: dict[str, Any]) -> list[str]:
    """Messages for kind-specific fields given a value on a venue of another kind."""
    problems = []
    for name, kinds in KIND_FIELDS.items():
        value = values.get(name)
        if value is None or value == [] or kind in kinds:
            continue
        allowed = " or ".join(sorted(k.value for k in kinds))
        problems.append(f"`{name}` is only for {allowed} venues, not for a {kind.value}")
    return problems


# --- reusable field types ---------------------------------------------------------------


_INSTAGRAM = re.compile(r"^(?!.*\.\.)(?!\.)[a-z0-9._]{1,30}(?<!\.)$")


def _check_instagram(value: str) -> str:
    handle = value.strip().removeprefix("@").lower()
    if not _INSTAGRAM.fullmatch(handle):
        raise ValueError(
            "An Instagram handle has 1-30 letters, digits, dots and underscores, "
            "with no leading, trailing or double dot (e.g. @toit_blr)"
        )
    return handle


InstagramHandle = Annotated[
    str,
    Field(
        max_length=31,
        examples=["@toit_blr"],
        # `_check_instagram` as a pattern (the server also strips spaces around it).
        json_schema_extra={"pattern": r"^@?(?!\.)(?!.*\.\.)[A-Za-z0-9._]{1,30}(?<!\.)$"},
    ),
    AfterValidator(_check_instagram),
]


# Names in the tz database that are not places: the machine's own zone, a placeholder
# and a rules file.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_PLACES


def _check_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError(f"Unknown IANA time zone {value!r} (e.g. Asia/Kolkata)")
    return value


def _check_email(value: str) -> str:
    value = value.lower()
    if len(value) > 320:
        raise ValueError("An email address has at most 320 characters")
    return value


Email = Annotated[
    EmailStr, Field(max_length=320, json_schema_extra=EMAIL_SCHEMA), AfterValidator(_check_email)
]

TimeZoneName = Annotated[
    str,
    Field(
        max_length=64,
        examples=["Asia/Kolkata"],
        description="An IANA time zone name. The pattern lists the zones of the cities "
        "served (always accepted); any zone in the server's tz database is accepted.",
        json_schema_extra={"pattern": r"^(?:Asia/Kolkata|Asia/Calcutta|UTC)$"},
    ),
    AfterValidator(_check_time_zone),
]


def _check_currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("A currency is a 3-letter ISO 4217 code in capitals, e.g. INR")
    return value


Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, json_schema_extra={"pattern": r"^[A-Z]{3}$"}),
    AfterValidator(_check_currency),
]


def _check_cuisine(value: str) -> str:
    cuisine = " ".join(value.split()).lower()
    if not cuisine:
        raise ValueError("A cuisine cannot be blank")
    return cuisine


Cuisine = Annotated[str, Field(max_length=50), AfterValidator(_check_cuisine)]


def _strip_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("This cannot be blank")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("Must be a finite number")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_strip_required)]
Latitude = Annotated[FiniteNumber, Field(ge=-90, le=90), AfterValidator(_finite)]
Longitude = Annotated[FiniteNumber, Field(ge=-180, le=180), AfterValidator(_finite)]
MoneyMinor = Annotated[StrictInteger, Field(ge=0, le=10**12, description="Minor units (paise)")]
ServiceChargeBps = Annotated[
    StrictInteger,
    Field(ge=0, le=2500, description="On dine-in bills, in basis points (500 = 5%; at most 25%)"),
]
PackagingChargeMinor = Annotated[
    StrictInteger, Field(ge=0, le=10**8, description="Per pickup order, minor units (paise)")
]


# --- opening hours ----------------------------------------------------------------------


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 = Monday ... 6 = Sunday (Python's `weekday()`)."""
        return list(Weekday).index(self)

    @classmethod
    def from_index(cls, index: int) -> Weekday:
        return list(cls)[index]


_HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _local_time(value: Any) -> time:
    if isinstance(value, time):  # a stored row
        return value
    if isinstance(value, str) and re.fullmatch(_HH_MM, value):
        return time(int(value[:2]), int(value[3:]))
    raise ValueError("A local time of day as HH:MM (24-hour, whole minutes, no offset)")


LocalTime = Annotated[
    time,
    PlainValidator(_local_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _HH_MM, "examples": ["18:00"]}),
]
"""A local time of day, HH:MM both ways (JSON Schema's `format: time` needs an offset)."""

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


class OpeningHours(RequestModel):
    """One opening interval in the venue's local time.

    A closing time at or before the opening time means the next day (a Friday
    22:00-02:00 closes on Saturday at 2 am); opens == closes means 24 hours.
    """

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    weekday: Annotated[
        Weekday,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "enum": [d.value for d in Weekday]},
                    {"type": "integer", "minimum": 0, "maximum": 6},
                ],
                "description": "A weekday's name, or its number on input (0 = Monday); "
                "answers give the name",
            }
        ),
    ]
    opens: LocalTime = Field(examples=["18:00"])
    closes: LocalTime = Field(examples=["02:00"])

    @field_validator("weekday", mode="before")
    @classmethod
    def _weekday_from_index(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return Weekday.from_index(value)
        return value

    def week_interval(self) -> tuple[int, int]:
        """(start, end) in minutes from Monday 00:00; end may pass the end of the week."""
        start = self.weekday.number * MINUTES_PER_DAY + self.opens.hour * 60 + self.opens.minute
        length = (
            self.closes.hour * 60 + self.closes.minute - self.opens.hour * 60 - self.opens.minute
        ) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return start, start + length


def _check_hours(hours: list[OpeningHours]) -> list[OpeningHours]:
    intervals = sorted((h.week_interval(), h) for h in hours)
    for i, ((_start, end), current) in enumerate(intervals):
        (next_start, _), following = intervals[(i + 1) % len(intervals)]
        if i + 1 == len(intervals):
            next_start += MINUTES_PER_WEEK
        if len(intervals) > 1 and end > next_start:
            raise ValueError(
                f"Opening hours overlap: {current.weekday.value} {current.opens:%H:%M}-"
                f"{current.closes:%H:%M} and {following.weekday.value} "
                f"{following.opens:%H:%M}-{following.closes:%H:%M}"
            )
    return sorted(hours, key=lambda h: h.week_interval())


WeeklyHours = Annotated[
    list[OpeningHours],
    Field(max_length=28, description="Opening intervals; days not listed are closed"),
    AfterValidator(_check_hours),
]


# --- requests ---------------------------------------------------------------------------


class _VenueFields(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str | None = Field(default=None, max_length=5000)
    phone: PhoneNumber | None = None
    email: Email | None = None
    instagram_handle: InstagramHandle | None = None
    google_maps_url: HttpLink | None = None
    zomato_url: HttpLink | None = None
    swiggy_url: HttpLink | None = None
    avg_cost_for_two_minor: MoneyMinor | None = None
    capacity: StrictInteger | None = Field(default=None, ge=0, le=1_000_000)
    # Nightclub
    min_age: StrictInteger | None = Field(default=None, ge=0, le=99)
    cover_charge_minor: MoneyMinor | None = None
    dress_code: str | None = Field(default=None, max_length=500)
    # Restaurant, QSR
    drive_thru: Flag | None = None


def _kind_fields_schema(schema: dict[str, Any]) -> None:
    """Publish `kind_field_problems`: a field of another kind is left out or null (an
    empty list for `cuisines`)."""
    rules = []
    for name, kinds in KIND_FIELDS.items():
        empty: dict[str, Any] = (
            {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}]}
            if name == "cuisines"
            else {"type": "null"}
        )
        rules.append(
            {
                "if": {"properties": {"kind": {"enum": sorted(k.value for k in kinds)}}},
                "else": {"properties": {name: empty}},
            }
        )
    schema["allOf"] = rules


class VenueCreate(_VenueFields):
    model_config = ConfigDict(json_schema_extra=_kind_fields_schema)

    kind: VenueKind
    name: Name
    address: str = Field(min_length=1, max_length=500)
    city: str = Field(default="Bengaluru", min_length=1, max_length=100)
    latitude: Latitude
    longitude: Longitude
    currency: Currency = "INR"
    timezone: TimeZoneName = "Asia/Kolkata"
    photos: list[HttpLink] = Field(default_factory=list, max_length=20)
    opening_hours: WeeklyHours = Field(default_factory=list)
    cuisines: list[Cuisine] = Field(default_factory=list, max_length=20)
    # A QSR created inside a food court (the creator must manage the food court).
    food_court_id: uuid.UUID | None = None
    # Ordering and bills
    payment_mode: PaymentMode | None = Field(
        default=None,
        description="When a table pays; by default at the end (a tab) at nightclubs and "
        "restaurants, per order at QSRs and food courts",
    )
    prices_include_tax: Flag = False
    packaging_charge_minor: PackagingChargeMinor = 0
    service_charge_bps: ServiceChargeBps = 0
    is_accepting_orders: Flag = True

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        problems = kind_field_problems(self.kind, self.model_dump(include=set(KIND_FIELDS)))
        if problems:
            raise ValueError("; ".join(problems))
        return self


_NOT_NULL_ON_UPDATE = (
    "name",
    "address",
    "city",
    "latitude",
    "longitude",
    "currency",
    "timezone",
    "photos",
    "opening_hours",
    "cuisines",
    "payment_mode",
    "prices_include_tax",
    "packaging_charge_minor",
    "service_charge_bps",
    "is_accepting_orders",
)


class VenueUpdate(_VenueFields):
    """A partial update; only the fields sent change. `opening_hours` replaces all hours.

    `kind` may be sent only with the venue's current kind: a venue never changes kind.
    """

    kind: VenueKind | None = None
    name: Name | None = None
    address: str | None = Field(default=None, min_length=1, max_length=500)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    currency: Currency | None = None
    timezone: TimeZoneName | None = None
    photos: list[HttpLink] | None = Field(default=None, max_length=20)
    opening_hours: WeeklyHours | None = None
    cuisines: list[Cuisine] | None = Field(default=None, max_length=20)
    # Ordering and bills
    payment_mode: PaymentMode | None = None
    prices_include_tax: Flag | None = None
    packaging_charge_minor: PackagingChargeMinor | None = None
    service_charge_bps: ServiceChargeBps | None = None
    is_accepting_orders: Flag | None = None

    model_config = ConfigDict(json_schema_extra=drop_null(*_NOT_NULL_ON_UPDATE))

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _NOT_NULL_ON_UPDATE)
        return self


class DiscoveryParams(BaseModel):
    """Filters of the public venue search (all optional)."""

    model_config = ConfigDict(frozen=True)

    lat: float | None = None
    lng: float | None = None
    radius_m: int = 5000
    kinds: tuple[VenueKind, ...] = ()
    open_now: bool | None = None
    cuisine: str | None = None
    max_cost_for_two: int | None = None
    q: str | None = None


# --- responses --------------------------------------------------------------------------


class VenueBrief(BaseModel):
    """What a list shows about a venue."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: VenueKind
    name: str
    status: VenueStatus
    is_active: bool
    address: str
    city: str
    latitude: float
    longitude: float
    avg_cost_for_two_minor: int | None
    currency: str
    cuisines: list[str]
    photos: list[str]
    food_court_id: uuid.UUID | None


class VenueSummary(VenueBrief):
    """A venue in the public search: how far it is and whether it is open now."""

    distance_m: Metres | None = Field(description="Great-circle distance from lat/lng, metres")
    open_now: bool


class VenueRead(VenueBrief):
    description: str | None
    verified_at: datetime | None
    phone: str | None
    email: str | None
    instagram_handle: str | None
    google_maps_url: str | None
    zomato_url: str | None
    swiggy_url: str | None
    capacity: int | None
    timezone: str
    # Nightclub
    min_age: int | None
    cover_charge_minor: int | None
    dress_code: str | None
    # QSR
    drive_thru: bool | None
    # Ordering and bills
    payment_mode: PaymentMode
    prices_include_tax: bool
    packaging_charge_minor: int
    service_charge_bps: int
    is_accepting_orders: bool
    opening_hours: list[OpeningHours]
    open_now: bool
    created_at: datetime
    updated_at: datetime


class MyVenue(BaseModel):
    """A venue the caller belongs to, with their role there."""

    role: VenueRole
    venue: VenueBrief


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    email: str | None
    full_name: str | None
    role: VenueRole
    created_at: datetime


class MemberRoleUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    role: VenueRole


class InviteCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: VenueRole


class InviteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    email: str
    role: VenueRole
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InviteAccept(RequestModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=200)


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    venue_id: uuid.UUID
    user_id: uuid.UUID
    role: VenueRole
