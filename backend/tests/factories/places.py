"""Typed factories for tables and events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.models import Event, EventStatus, Venue
from app.models.table import VenueTable

_seq = itertools.count(1)


def make_table(
    session: Session,
    *,
    venue: Venue,
    label: str | None = None,
    seats: int = 4,
    area: str | None = None,
    is_active: bool = True,
    **fields: Any,
) -> VenueTable:
    table = VenueTable(
        venue_id=venue.id,
        label=label or f"T{next(_seq)}",
        seats=seats,
        area=area,
        is_active=is_active,
        **fields,
    )
    session.add(table)
    session.flush()
    return table


def make_event(
    session: Session,
    *,
    venue: Venue,
    starts_in: timedelta = timedelta(days=2),
    duration: timedelta = timedelta(hours=5),
    status: EventStatus = EventStatus.SCHEDULED,
    **fields: Any,
) -> Event:
    """An event starting `starts_in` from now (negative: already started or over)."""
    starts_at = datetime.now(UTC) + starts_in
    event = Event(
        venue_id=venue.id,
        title=fields.pop("title", f"Event {next(_seq)}"),
        starts_at=starts_at,
        ends_at=starts_at + duration,
        status=status,
        cancelled_at=datetime.now(UTC) if status == EventStatus.CANCELLED else None,
        **fields,
    )
    session.add(event)
    session.flush()
    return event
