"""Tickets of a confirmed booking: one per pass, voided when the booking is cancelled.

Minimal version for the payment rails (the tickets branch replaces it at merge with
tokens, QR codes and the door): `issue_tickets` is idempotent (a booking that has
tickets keeps them), `void_tickets` voids every valid one and bumps its token version.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.booking import Booking, BookingItem, Ticket, TicketStatus


def issue_tickets(session: Session, *, booking: Booking) -> list[Ticket]:
    """One ticket per pass of the booking; the ones it has already when it has any."""
    existing = list(session.exec(select(Ticket).where(Ticket.booking_id == booking.id)))
    if existing:
        return existing
    tickets: list[Ticket] = []
    items = session.exec(
        select(BookingItem)
        .where(BookingItem.booking_id == booking.id)
        .order_by(col(BookingItem.id))
    )
    for item in items:
        per_pass = item.guests // item.quantity
        for _ in range(item.quantity):
            ticket = Ticket(
                booking_id=booking.id,
                booking_item_id=item.id,
                offering_id=item.offering_id,
                event_id=booking.event_id,
                guests=per_pass,
            )
            session.add(ticket)
            tickets.append(ticket)
    session.flush()
    return tickets


def void_tickets(session: Session, *, booking: Booking) -> None:
    """Void the booking's valid tickets (their old codes stop working)."""
    tickets = session.exec(
        select(Ticket).where(Ticket.booking_id == booking.id, Ticket.status == TicketStatus.VALID)
    )
    for ticket in tickets:
        ticket.status = TicketStatus.VOID
        ticket.token_version += 1
        ticket.inside = False
        session.add(ticket)
    session.flush()
