"""Issuing a confirmed booking's tickets, and voiding them when it is cancelled or
refunded. Both run in the caller's transaction (they flush, never commit).

Called by the booking and payment workflows:

- `issue_tickets` once a booking is confirmed (its payment captured);
- `void_tickets` when a confirmed booking is cancelled or refunded.
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session

from app.crud import booking as booking_crud
from app.crud import ticket as ticket_crud
from app.models.booking import Booking, Ticket, TicketStatus


def issue_tickets(session: Session, *, booking: Booking) -> list[Ticket]:
    """One ticket per pass of the booking (3 passes of a couple entry: 3 tickets, each
    admitting 2 guests), and every ticket of the booking, in the order issued.

    Idempotent: the booking's row is locked, and only the passes that have no ticket
    yet get one, so a second call (a webhook and a client callback for the same
    payment) issues nothing more.
    """
    ticket_crud.lock_booking(session, booking_id=booking.id)
    existing = list(ticket_crud.for_booking(session, booking_id=booking.id))
    issued = Counter(ticket.booking_item_id for ticket in existing)
    new: list[Ticket] = []
    for item in booking_crud.items_of(session, booking_id=booking.id):
        guests_per_pass = item.guests // item.quantity
        for _ in range(item.quantity - issued[item.id]):
            new.append(
                Ticket(
                    booking_id=booking.id,
                    booking_item_id=item.id,
                    offering_id=item.offering_id,
                    event_id=booking.event_id,
                    guests=guests_per_pass,
                )
            )
    if new:
        session.add_all(new)
        session.flush()
    return existing + new


def void_tickets(session: Session, *, booking: Booking) -> None:
    """Every ticket of the booking becomes void and its code stops working (its
    `token_version` is bumped). Tickets already void are left as they are. The rows
    are locked, so a scan at the door waits and then sees the ticket void. A guest
    who is inside stays counted inside until they go out."""
    for ticket in ticket_crud.for_booking(session, booking_id=booking.id, lock=True):
        if ticket.status == TicketStatus.VALID:
            ticket.status = TicketStatus.VOID
            ticket.token_version += 1
            session.add(ticket)
    session.flush()
