"""Events: a venue team's own list and changes, and the public upcoming listings.

Public means: the venue is verified and active, the event is not cancelled and
not over (`ends_at` in the future). Passes and bookings (a later issue) lock the
event row (`get_for_update`) like `cancel` does, so a cancellation and a booking
never interleave.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core import geo
from app.core.errors import EventCancelled, EventOver, InvalidEventTimes, NotFound
from app.crud.common import get_or_404, paginate
from app.models import Event, EventStatus, Venue, VenueStatus
from app.schema.common import Page, PageParams
from app.schema.event import EventCreate, EventPublic, EventUpdate, EventVenue, check_times


def _now() -> datetime:
    return datetime.now(UTC)


class _Ends(Protocol):
    @property
    def ends_at(self) -> datetime: ...


def is_over(event: _Ends, now: datetime | None = None) -> bool:
    """An event (or what was read of one) that has ended by `now`."""
    return event.ends_at <= (now or _now())


def _by_start(where: Sequence[Any]) -> SelectOfScalar[Event]:
    """The events matching `where`, by start time."""
    return select(Event).where(*where).order_by(col(Event.starts_at), col(Event.id))


# A venue's own events


def get(session: Session, *, venue_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    return get_or_404(session, Event, event_id, what="event", venue_id=venue_id)


def lock(session: Session, *, event: Event) -> Event:
    """Re-read the event under a row lock (held until the transaction ends)."""
    session.refresh(event, with_for_update=True)
    return event


def lock_against_cancel(session: Session, *, event: Event) -> Event:
    """Re-read the event under a key-share lock: its cancellation (`cancel`, which locks
    it for update) waits for this transaction to end, or this waits for the
    cancellation and sees it. Other changes of the event are not held up."""
    session.refresh(event, with_for_update={"key_share": True})
    return event


def list_for_venue(
    session: Session,
    *,
    venue_id: uuid.UUID,
    status: EventStatus | None = None,
    upcoming: bool = False,
    page: PageParams,
) -> Page[Event]:
    """A venue's events by start time; `upcoming` keeps those not over yet."""
    where: list[Any] = [Event.venue_id == venue_id]
    if status is not None:
        where.append(Event.status == status)
    if upcoming:
        where.append(col(Event.ends_at) > _now())
    return paginate(session, _by_start(where), page=page)


def create(session: Session, *, venue_id: uuid.UUID, data: EventCreate) -> Event:
    event = Event(venue_id=venue_id, **data.model_dump())
    session.add(event)
    session.flush()
    return event


def update(session: Session, *, event: Event, data: EventUpdate) -> Event:
    lock(session, event=event)
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled("A cancelled event cannot be changed")
    changes = data.model_dump(exclude_unset=True)
    if "starts_at" in changes or "ends_at" in changes:
        try:
            check_times(
                changes.get("starts_at", event.starts_at), changes.get("ends_at", event.ends_at)
            )
        except ValueError as exc:
            raise InvalidEventTimes(str(exc), loc=("body", "ends_at")) from exc
    for name, value in changes.items():
        setattr(event, name, value)
    session.add(event)
    session.flush()
    return event


def cancel(session: Session, *, event: Event) -> Event:
    lock(session, event=event)
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled("The event is already cancelled")
    if is_over(event):
        raise EventOver("The event is over and can no longer be cancelled")
    event.status = EventStatus.CANCELLED
    event.cancelled_at = _now()
    session.add(event)
    session.flush()
    return event


# Public listings


def _venue_is_public() -> list[Any]:
    return [Venue.status == VenueStatus.VERIFIED, col(Venue.is_active).is_(True)]


def _event_is_listed(now: datetime) -> list[Any]:
    return [Event.status == EventStatus.SCHEDULED, col(Event.ends_at) > now]


def _public(event: Event, venue: Venue, distance_m: float | None = None) -> EventPublic:
    return EventPublic.model_validate(
        {
            **event.model_dump(),
            "venue_name": venue.name,
            "venue": EventVenue.model_validate(venue),
            "distance_m": distance_m,
        }
    )


def get_public(session: Session, *, event_id: uuid.UUID) -> EventPublic:
    """One event at a public venue (cancelled and past ones too, so a shared link
    still says what happened); hidden when the venue is not public."""
    row = session.exec(
        select(Event, Venue)
        .join(Venue, col(Venue.id) == Event.venue_id)
        .where(Event.id == event_id, *_venue_is_public())
    ).first()
    if row is None:
        raise NotFound("event")
    return _public(row[0], row[1])


def list_upcoming_for_venue(
    session: Session, *, venue_id: uuid.UUID, page: PageParams
) -> Page[EventPublic]:
    venue = session.exec(select(Venue).where(Venue.id == venue_id, *_venue_is_public())).first()
    if venue is None:
        raise NotFound("venue")
    where = [Event.venue_id == venue_id, *_event_is_listed(_now())]
    return paginate(session, _by_start(where), page=page, item=lambda row: _public(row[0], venue))


def list_nearby(
    session: Session,
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    page: PageParams,
) -> Page[EventPublic]:
    """Upcoming events at public venues within `radius_m` (great-circle distance),
    soonest first, then nearest; across the 180° meridian too."""
    distance = geo.haversine_sql(Venue.latitude, Venue.longitude, latitude, longitude)
    where = [
        *_venue_is_public(),
        *_event_is_listed(_now()),
        *geo.within_bounding_box(
            col(Venue.latitude), col(Venue.longitude), latitude, longitude, radius_m
        ),
        distance <= radius_m,
    ]
    statement = (
        sa.select(Event, Venue, distance)
        .join(Venue, col(Venue.id) == Event.venue_id)
        .where(*where)
        .order_by(col(Event.starts_at), sa.literal_column("distance_m"), col(Event.id))
    )
    return paginate(
        session, statement, page=page, item=lambda row: _public(row[0], row[1], float(row[2]))
    )
