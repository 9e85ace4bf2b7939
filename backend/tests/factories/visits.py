"""Factories for cover credit and club visits: a club night with a door, scanning
passes through the door service, and orders written directly."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from sqlmodel import Session

from app.models import Event, User, Venue, VenueKind, VenueRole
from app.models.booking import Offering, OfferingKind, ScanDirection, Ticket
from app.models.order import Order, OrderKind, OrderStatus
from app.schema.ticket import ScanIn, ScanResult
from app.services import door as door_service
from tests.factories import add_member, make_consumer, make_user, make_venue
from tests.factories.bookings import make_offering
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets, token_of

_nonces = itertools.count(1)
_numbers = itertools.count(1)


@dataclass
class ClubNight:
    """A nightclub with its owner, a manager and a door staff member, an event (by
    default one that started an hour ago), and a couple pass with cover credit."""

    venue: Venue
    owner: User
    manager: User
    staff: User
    event: Event
    couple: Offering


def make_club_night(
    session: Session,
    *,
    venue: Venue | None = None,
    starts_in: timedelta = -timedelta(hours=1),
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=6),
    credit_minor: int = 100_000,
    price_minor: int = 200_000,
    **event_fields: Any,
) -> ClubNight:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = venue or make_venue(session, kind=VenueKind.NIGHTCLUB, timezone="Asia/Kolkata")
    add_member(session, venue=venue, user=owner, role=VenueRole.OWNER)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    if starts_at is not None:  # a fixed time rather than one from now
        starts_in = starts_at - datetime.now(UTC)
    event = make_event(session, venue=venue, starts_in=starts_in, duration=duration, **event_fields)
    if starts_at is not None:
        event.starts_at, event.ends_at = starts_at, starts_at + duration
        session.add(event)
        session.flush()
    couple = make_offering(
        session,
        event=event,
        kind=OfferingKind.COUPLE,
        guests_per_pass=2,
        price_minor=price_minor,
        cover_credit_minor=credit_minor,
    )
    return ClubNight(venue, owner, manager, staff, event, couple)


def passes(
    session: Session,
    *,
    night: ClubNight,
    consumer: User | None = None,
    offering: Offering | None = None,
    quantity: int = 1,
) -> list[Ticket]:
    """Confirmed passes (the night's couple pass unless told) of a consumer."""
    _, tickets = make_tickets(
        session,
        event=night.event,
        consumer=consumer or make_consumer(session),
        offering=offering or night.couple,
        quantity=quantity,
    )
    return tickets


def door(
    session: Session,
    *,
    night: ClubNight,
    scans: Sequence[tuple[Ticket, ScanDirection] | tuple[Ticket, ScanDirection, datetime]],
    now: datetime | None = None,
    nonce: str | None = None,
) -> list[ScanResult]:
    """Scan these passes at the night's door, as one batch."""
    batch = [
        ScanIn(
            token=token_of(scan[0]),
            direction=scan[1],
            client_nonce=nonce or f"visit-nonce-{next(_nonces)}",
            scanned_at=scan[2] if len(scan) == 3 else datetime.now(UTC),
        )
        for scan in scans
    ]
    return door_service.record_scans(
        session, event=night.event, staff=night.staff, scans=batch, now=now
    )


def enter(session: Session, night: ClubNight, *tickets: Ticket, at: datetime | None = None) -> None:
    results = door(
        session,
        night=night,
        scans=[(t, ScanDirection.ENTRY, at or datetime.now(UTC)) for t in tickets],
    )
    assert [r.outcome for r in results] == ["ok"] * len(tickets), results


def leave(session: Session, night: ClubNight, *tickets: Ticket, at: datetime | None = None) -> None:
    results = door(
        session,
        night=night,
        scans=[(t, ScanDirection.EXIT, at or datetime.now(UTC)) for t in tickets],
    )
    assert [r.outcome for r in results] == ["ok"] * len(tickets), results


def make_order(
    session: Session,
    *,
    venue: Venue,
    consumer: User,
    total_minor: int,
    credit_minor: int = 0,
    status: OrderStatus = OrderStatus.COMPLETED,
    placed_at: datetime | None = None,
    parent: Order | None = None,
) -> Order:
    """A prepaid pickup order, written directly (no lines, no payment); with `parent`,
    one QSR's part of that food-court order."""
    order = Order(
        venue_id=venue.id,
        parent_id=parent.id if parent is not None else None,
        kind=OrderKind.PICKUP,
        status=status,
        placed_by_id=consumer.id,
        number=next(_numbers),
        currency=venue.currency,
        subtotal_minor=total_minor,
        total_minor=total_minor,
        credit_minor=credit_minor,
        placed_at=placed_at or datetime.now(UTC),
    )
    session.add(order)
    session.flush()
    return order


def past_evening(days_ago: int = 1, hour: int = 22) -> datetime:
    """`hour`:00 India time `days_ago` days ago (an evening safely inside one night)."""
    ist = timezone(timedelta(hours=5, minutes=30))
    today = datetime.now(ist).date()
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=ist).astimezone(
        UTC
    )
