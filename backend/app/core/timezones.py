"""Venue-local time: a venue's day is its own calendar day, not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The named IANA zone; UTC if the name is unknown (venue zones are validated on input)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(zone_name: str, now: datetime | None = None) -> date:
    """The calendar date in `zone_name` at `now` (default: this instant)."""
    return (now or datetime.now(UTC)).astimezone(zone(zone_name)).date()


#: A night out runs from 06:00 to 06:00 the next day, local time: what starts before
#: 06:00 belongs to the evening before.
NIGHT_STARTS_HOUR = 6


def night_of(zone_name: str, at: datetime) -> date:
    """The local date of the night `at` falls in, in `zone_name` (see `NIGHT_STARTS_HOUR`)."""
    return (at.astimezone(zone(zone_name)) - timedelta(hours=NIGHT_STARTS_HOUR)).date()


def night_bounds(zone_name: str, night: date) -> tuple[datetime, datetime]:
    """When the night of `night` begins and ends (06:00 local to 06:00 the next day)."""
    tz = zone(zone_name)
    starts = datetime.combine(night, time(NIGHT_STARTS_HOUR), tzinfo=tz)
    ends = datetime.combine(night + timedelta(days=1), time(NIGHT_STARTS_HOUR), tzinfo=tz)
    return starts.astimezone(UTC), ends.astimezone(UTC)
