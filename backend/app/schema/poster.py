"""Carousel posters: what managers send and read, the public feed, impressions and taps."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)

from app.core.config import settings
from app.models.base import utcnow
from app.models.poster import MAX_PRIORITY, MAX_RADIUS_M, MIN_RADIUS_M, PosterInteraction
from app.schema.common import (
    MAX_URL_LENGTH,
    FiniteNumber,
    Flag,
    HttpsUrl,
    IsoDatetime,
    Metres,
    RequestModel,
    StrictInteger,
    drop_null,
    refuse_nulls,
)

MAX_EVENTS_PER_BATCH = 500

Promotes = Literal["venue", "event"]


def _check_no_spaces(value: str) -> None:
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("must not contain spaces or control characters")


def _deep_link(value: str) -> str:
    """An app link in the app's own scheme (`APP_DEEP_LINK_SCHEME`, as QR codes use),
    or an https:// URL."""
    _check_no_spaces(value)
    app_prefix = f"{settings.APP_DEEP_LINK_SCHEME}://"
    if value.lower().startswith(app_prefix.lower()) and len(value) > len(app_prefix):
        return value
    parts = urlsplit(value)
    if parts.scheme.lower() == "https" and parts.hostname:
        return value
    raise ValueError(f"must be an app link ({app_prefix}...) or an https:// URL")


DeepLink = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(_deep_link)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Radius = Annotated[StrictInteger, Field(ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description="Metres")]
Priority = Annotated[StrictInteger, Field(ge=0, le=MAX_PRIORITY, description="Higher shows first")]


def _check_window(starts_at: datetime | None, expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError("expires_at must be in the future")
    if starts_at is not None and expires_at is not None and starts_at >= expires_at:
        raise ValueError("starts_at must be before expires_at")


class PosterCreate(RequestModel):
    """A poster promotes exactly one thing: the venue (`venue_id`) or one of its events
    (`event_id`). Its position is the venue's; it is shown within `radius_m` of it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    venue_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    title: Title | None = None
    image_url: HttpsUrl
    deep_link: DeepLink
    starts_at: IsoDatetime | None = Field(default=None, description="Defaults to now")
    expires_at: IsoDatetime
    radius_m: Radius
    priority: Priority = 0
    is_paused: Flag = False

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.venue_id is not None and self.event_id is not None:
            raise ValueError(
                "a poster promotes exactly one of a venue or an event: "
                "give venue_id or event_id, not both"
            )
        if self.venue_id is None and self.event_id is None:
            raise ValueError(
                "a poster promotes exactly one of a venue or an event: give venue_id or event_id"
            )
        _check_window(self.starts_at, self.expires_at)
        return self


_POSTER_NOT_NULL = (
    "image_url",
    "deep_link",
    "starts_at",
    "expires_at",
    "radius_m",
    "priority",
    "is_paused",
)


class PosterUpdate(RequestModel):
    """Partial update; what a poster promotes cannot change (make a new poster)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=drop_null(*_POSTER_NOT_NULL),
    )

    title: Title | None = None
    image_url: HttpsUrl | None = None
    deep_link: DeepLink | None = None
    starts_at: IsoDatetime | None = None
    expires_at: IsoDatetime | None = None
    radius_m: Radius | None = None
    priority: Priority | None = None
    is_paused: Flag | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        refuse_nulls(self, _POSTER_NOT_NULL)
        _check_window(self.starts_at, self.expires_at)
        return self


class NotShowingReason(StrEnum):
    """Why a poster is not in the public feed (each a condition the feed filters on)."""

    PAUSED = "paused"  # a manager paused it
    NOT_STARTED = "not_started"  # starts_at is still ahead
    ENDED = "ended"  # expires_at has passed
    VENUE_NOT_VERIFIED = "venue_not_verified"  # the venue is a draft
    VENUE_INACTIVE = "venue_inactive"  # the venue is switched off
    EVENT_CANCELLED = "event_cancelled"
    EVENT_ENDED = "event_ended"
    # The event still sells passes, and none has a place left (it shows again by
    # itself when places are freed: a hold expiring, a cancellation, a bigger pool).
    EVENT_SOLD_OUT = "event_sold_out"


class PosterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    event_id: uuid.UUID | None
    title: str | None
    image_url: str
    deep_link: str
    starts_at: datetime
    expires_at: datetime
    radius_m: int
    priority: int
    is_paused: bool
    created_at: datetime
    updated_at: datetime
    not_showing_because: list[NotShowingReason] = Field(
        description="Why the poster is not in the public feed now, from the feed's own "
        "conditions (empty: it is live, shown to consumers within `radius_m`). "
        "`event_sold_out` comes and goes with the event's places."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def promotes(self) -> Promotes:
        return "venue" if self.event_id is None else "event"

    @computed_field(  # type: ignore[prop-decorator]
        description="In the public feed now (for consumers within its radius)"
    )
    @property
    def showing(self) -> bool:
        return not self.not_showing_because


class PosterFeedItem(BaseModel):
    """A live poster around the caller, with how far its venue is."""

    id: uuid.UUID
    promotes: Promotes
    venue_id: uuid.UUID
    venue_name: str
    event_id: uuid.UUID | None
    event_title: str | None
    title: str | None
    image_url: str
    deep_link: str
    priority: int
    expires_at: datetime
    distance_m: Metres = Field(
        description="Great-circle distance from the caller to the venue, metres"
    )


def _lat_lng_together(schema: dict[str, Any]) -> None:
    """Publish the rule of `PosterEventIn._check`: both coordinates or neither."""
    schema["anyOf"] = [
        {"properties": {"lat": {"type": "null"}, "lng": {"type": "null"}}},
        {
            "required": ["lat", "lng"],
            "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
        },
    ]


class PosterEventIn(RequestModel):
    """One impression or tap, as the app saw it. `id` is the app's own unique id for the
    event: a batch sent again (after a timeout) is not counted twice."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_lat_lng_together)

    id: uuid.UUID
    poster_id: uuid.UUID
    kind: PosterInteraction
    occurred_at: IsoDatetime
    lat: FiniteNumber | None = Field(default=None, ge=-90, le=90)
    lng: FiniteNumber | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("give both lat and lng, or neither")
        return self


class PosterEventBatch(RequestModel):
    model_config = ConfigDict(extra="forbid")

    events: list[PosterEventIn] = Field(
        min_length=1,
        max_length=MAX_EVENTS_PER_BATCH,
        description="Each event id at most once in a batch",
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        ids = [event.id for event in self.events]
        if len(set(ids)) != len(ids):
            raise ValueError("event ids must be unique within a batch")
        return self


class PosterEventBatchResult(BaseModel):
    accepted: int = Field(description="Counted now")
    duplicates: int = Field(description="Already counted (sent before)")
    ignored: int = Field(
        description="Unknown poster, older than the counting window (30 days), "
        "dated more than 5 minutes ahead of the server's clock, or over this client's "
        "counting limits (one impression and one tap per poster per short window, and "
        "a number per hour)"
    )


class InteractionCounts(BaseModel):
    impressions: int = 0
    taps: int = 0


class DayCounts(InteractionCounts):
    day: date


class AreaCounts(InteractionCounts):
    area: str = Field(description="H3 resolution-7 cell")
    lat: float = Field(description="Centre of the area")
    lng: float


class PosterStats(BaseModel):
    poster_id: uuid.UUID
    date_from: date
    date_to: date
    totals: InteractionCounts
    days: list[DayCounts]
    areas: list[AreaCounts]
