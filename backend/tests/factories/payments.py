"""Factories for the payment rails: a bookable event, a booking paid (or not) through a
provider, and the test gateway's checkout buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.models import Event, User, Venue
from app.models.booking import CapacityPool, Offering
from app.schema.booking import BookingItemCreate
from app.services import bookings as bookings_service
from app.services.bookings import BookingCheckout
from tests.factories import make_consumer, make_user, make_venue
from tests.factories.bookings import make_offering, make_pool
from tests.factories.places import make_event


@dataclass
class Night:
    owner: User
    venue: Venue
    event: Event
    pool: CapacityPool
    offering: Offering


def make_night(
    session: Session,
    *,
    size: int = 300,
    price_minor: int = 150_000,
    starts_in: timedelta = timedelta(days=2),
    offering_fields: dict[str, Any] | None = None,
    **event_fields: Any,
) -> Night:
    """A verified venue's event with one pool and one stag offering on sale."""
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    event = make_event(session, venue=venue, starts_in=starts_in, **event_fields)
    pool = make_pool(session, event=event, size=size)
    offering = make_offering(
        session, event=event, pools=[pool], price_minor=price_minor, **(offering_fields or {})
    )
    return Night(owner=owner, venue=venue, event=event, pool=pool, offering=offering)


def book(
    session: Session, *, night: Night, consumer: User | None = None, quantity: int = 1
) -> BookingCheckout:
    return bookings_service.create_booking(
        session,
        event_id=night.event.id,
        consumer=consumer or make_consumer(session),
        items=[BookingItemCreate(offering_id=night.offering.id, quantity=quantity)],
    )
