"""Routes: events.

Consumers (signed in or not) list upcoming events near a point or at a venue and
read one; events of venues that are not public (not verified or not active) are
hidden. A venue's team manages its events: staff read them (they check guests
in), managers and owners create, change and cancel them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.deps import (
    ManagedEvent,
    ManagedVenue,
    SessionDep,
    StaffedEvent,
    StaffedVenue,
    commit,
)
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
from app.core.errors import EventCancelled, EventOver, InvalidEventTimes, NotFound, raises
from app.crud import event as event_crud
from app.models import Event, EventStatus
from app.schema.common import Page, PageParams, page_params
from app.schema.event import (
    DEFAULT_RADIUS_M,
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    EventCreate,
    EventPublic,
    EventRead,
    EventUpdate,
)
from app.services import bookings as bookings_service

router = APIRouter(tags=["events"], route_class=IdempotentRoute)

VENUE_EVENTS = "/venues/{venue_id}/events"
ONE_EVENT = VENUE_EVENTS + "/{event_id}"

PageDep = Annotated[PageParams, Depends(page_params)]

# Public


@router.get("/events/nearby", response_model=Page[EventPublic])
def list_nearby_events(
    session: SessionDep,
    page: PageDep,
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, degrees")],
    lng: Annotated[float, Query(ge=-180, le=180, description="Longitude, degrees")],
    radius_m: Annotated[
        int, Query(ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description="Search radius, metres")
    ] = DEFAULT_RADIUS_M,
) -> Page[EventPublic]:
    """Upcoming events at public venues within the radius, soonest first, then nearest."""
    return event_crud.list_nearby(
        session, latitude=lat, longitude=lng, radius_m=radius_m, page=page
    )


@router.get("/events", response_model=Page[EventPublic])
@raises(NotFound)
def list_venue_upcoming_events(
    session: SessionDep,
    page: PageDep,
    venue_id: Annotated[uuid.UUID, Query(description="The venue whose events to list")],
) -> Page[EventPublic]:
    """A public venue's upcoming events, soonest first."""
    return event_crud.list_upcoming_for_venue(session, venue_id=venue_id, page=page)


@router.get("/events/{event_id}", response_model=EventPublic)
def read_public_event(event_id: uuid.UUID, session: SessionDep) -> EventPublic:
    return event_crud.get_public(session, event_id=event_id)


# The venue's team


@router.get(VENUE_EVENTS, response_model=Page[EventRead])
def list_venue_events(
    venue: StaffedVenue,
    session: SessionDep,
    page: PageDep,
    event_status: Annotated[EventStatus | None, Query(alias="status")] = None,
    upcoming: Annotated[bool, Query(description="Only events not over yet")] = False,
) -> Page[Event]:
    return event_crud.list_for_venue(
        session, venue_id=venue.id, status=event_status, upcoming=upcoming, page=page
    )


@router.post(VENUE_EVENTS, response_model=EventRead, status_code=status.HTTP_201_CREATED)
def create_event(
    venue: ManagedVenue, data: EventCreate, session: SessionDep, response: Response
) -> Event:
    event = event_crud.create(session, venue_id=venue.id, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/events/{event.id}")
    return event


@router.get(ONE_EVENT, response_model=EventRead)
def read_venue_event(event: StaffedEvent) -> Event:
    return event


@router.patch(ONE_EVENT, response_model=EventRead)
@raises(EventCancelled, InvalidEventTimes)
def update_event(event: ManagedEvent, data: EventUpdate, session: SessionDep) -> Event:
    event = event_crud.update(session, event=event, data=data)
    commit(session)
    return event


@router.post(ONE_EVENT + "/cancel", response_model=EventRead)
@raises(EventCancelled, EventOver)
def cancel_event(event: ManagedEvent, session: SessionDep, _key: IdempotencyKeyDep) -> Event:
    """Cancel a scheduled event that is not over; it leaves every public listing, and
    a job cancels and refunds in full every confirmed booking."""
    event = bookings_service.cancel_event(session, event=event)
    commit(session)
    return event
