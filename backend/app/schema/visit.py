"""Club visits: what the API returns to the guest and to the venue."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class SpendByTender(BaseModel):
    """What was spent, by what paid it (minor units of the visit's currency)."""

    credit_minor: int = Field(description="Paid by cover credit")
    wallet_minor: int = Field(description="Paid from a group wallet")
    gateway_minor: int = Field(description="Paid through the payment gateway")
    total_minor: int


class VisitRead(BaseModel):
    """One night of the caller at a venue: every entry and exit of their passes that
    night, the cover charge of those passes, what they spent there that night, and
    who of their groups was there too."""

    id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    event_id: uuid.UUID = Field(description="The event of the night's first entry")
    event_title: str
    night: date = Field(description="The local date the night began on")
    first_entry_at: datetime
    last_exit_at: datetime | None
    inside: bool
    entries: int = Field(description="Entries through the door that night, re-entries too")
    guests: int = Field(description="The most guests of their passes inside at once")
    cover_charge_minor: int = Field(description="What their passes cost, each counted once")
    currency: str
    spend: SpendByTender
    group_members_there: list[str] = Field(
        description="Names of people who shared a group with them and came that night"
    )


class NightEvent(BaseModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


class InsidePoint(BaseModel):
    """A 15-minute bucket of the night."""

    at: datetime = Field(description="When the bucket starts")
    entered: int = Field(description="Guests let in during it")
    exited: int = Field(description="Guests who went out during it")
    inside: int = Field(description="Guests inside at its end")


class VenueNightSummary(BaseModel):
    night: date
    visits: int = Field(description="Consumers who came (one visit each)")
    guests: int = Field(description="The guests of those visits")
    new_visits: int = Field(description="Visits of consumers on their first night here")
    returning_visits: int = Field(description="Visits of consumers who came on an earlier night")
    new_guests: int
    returning_guests: int
    cover_charge_minor: int


class VenueNightRead(VenueNightSummary):
    """A venue's night: who came, how full it was through the night, what they spent."""

    venue_id: uuid.UUID
    currency: str
    events: list[NightEvent] = Field(description="The venue's events that started that night")
    spend: SpendByTender
    spend_per_head_minor: int = Field(description="What was spent, per guest (rounded down)")
    inside_curve: list[InsidePoint]
