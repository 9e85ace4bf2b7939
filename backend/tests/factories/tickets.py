"""Typed factories for tickets: a confirmed booking with its tickets issued."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core import ticket_token
from app.models import Event, User
from app.models.booking import Booking, BookingStatus, Offering, Ticket
from app.services.tickets import issue_tickets
from tests.factories import make_consumer
from tests.factories.bookings import make_booking, make_offering


def make_tickets(
    session: Session,
    *,
    event: Event,
    consumer: User | None = None,
    offering: Offering | None = None,
    quantity: int = 1,
    **offering_fields: Any,
) -> tuple[Booking, list[Ticket]]:
    """A confirmed booking of `quantity` passes of `offering` (a new one made with
    `offering_fields` if none is given), with its tickets issued."""
    offering = offering or make_offering(session, event=event, **offering_fields)
    booking = make_booking(
        session,
        consumer=consumer or make_consumer(session),
        items=[(offering, quantity)],
        status=BookingStatus.CONFIRMED,
    )
    return booking, issue_tickets(session, booking=booking)


def make_ticket(session: Session, *, event: Event, **fields: Any) -> Ticket:
    """One ticket of a new confirmed booking (see `make_tickets`)."""
    return make_tickets(session, event=event, **fields)[1][0]


def token_of(ticket: Ticket, version: int | None = None) -> str:
    """The ticket's code (of its current version unless told)."""
    return ticket_token.encode_ticket_token(
        ticket_id=ticket.id, version=ticket.token_version if version is None else version
    )
