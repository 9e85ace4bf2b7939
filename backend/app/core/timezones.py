"""Venue-local time: a venue's day is its own calendar day, not UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
