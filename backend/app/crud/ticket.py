"""Tickets and door scans: the queries (the workflows are `services.tickets` and
`services.door`).

A ticket's code names the ticket and its `token_version`: a code that is not ours
names nothing (`ticket_id_of` is None), and a code whose version is not the
ticket's is stale (issued before the ticket was voided: voiding bumps the version).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.core import ticket_token
from app.core.errors import NotFound
from app.core.security import InvalidToken
from app.crud.common import AnyRow, paginate
from app.models import Event, User, Venue
from app.models.booking import (
    Booking,
    Offering,
    Ticket,
    TicketScan,
    TicketStatus,
)
from app.schema.common import Page, PageParams
from app.schema.ticket import Attendance, TicketRead

# --- a consumer's own bookings and tickets --------------------------------------------


def get_own_ticket(session: Session, *, ticket_id: uuid.UUID, user: User) -> Ticket:
    """A ticket of one of `user`'s bookings; anyone else's (or none) is not found."""
    row = session.exec(
        select(Ticket)
        .join(Booking, col(Booking.id) == col(Ticket.booking_id))
        .where(col(Ticket.id) == ticket_id, col(Booking.consumer_id) == user.id)
    ).first()
    if row is None:
        raise NotFound("ticket")
    return row


def _read(row: AnyRow) -> TicketRead:
    ticket, offering_name = row[0], row[1]
    return TicketRead.of(ticket, offering_name=offering_name)


def list_for_booking(
    session: Session, *, booking_id: uuid.UUID, page: PageParams
) -> Page[TicketRead]:
    statement = (
        sa.select(Ticket, col(Offering.name))
        .join(Offering, col(Offering.id) == col(Ticket.offering_id))
        .where(col(Ticket.booking_id) == booking_id)
        .order_by(col(Offering.position), col(Ticket.created_at), col(Ticket.id))
    )
    return paginate(session, statement, page=page, item=_read)


# --- issuing and voiding -----------------------------------------------------------------


def lock_booking(session: Session, *, booking_id: uuid.UUID) -> None:
    """Lock the booking's row until the transaction ends (its pending changes are
    flushed first; its loaded attributes are left alone)."""
    session.execute(
        sa.select(col(Booking.id)).where(col(Booking.id) == booking_id).with_for_update()
    )


def for_booking(session: Session, *, booking_id: uuid.UUID, lock: bool = False) -> Sequence[Ticket]:
    """The booking's tickets in the order issued; with `lock`, locked and re-read (whatever
    the session loaded before) in id order, the order the door locks them in, so voiding
    and scanning never deadlock."""
    statement = select(Ticket).where(col(Ticket.booking_id) == booking_id)
    if not lock:
        return session.exec(statement.order_by(col(Ticket.created_at), col(Ticket.id))).all()
    locked = (
        statement.order_by(col(Ticket.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(locked).all()


# --- codes -------------------------------------------------------------------------------


def ticket_id_of(token: str) -> tuple[uuid.UUID, int] | None:
    """The ticket id and version a code names, or None if it is not a code of ours."""
    try:
        claims = ticket_token.decode_ticket_token(token)
    except InvalidToken:
        return None
    return claims.ticket_id, claims.version


@dataclass(frozen=True)
class TicketPage:
    """What a ticket's page shows."""

    ticket: Ticket
    current: bool
    offering: Offering
    event: Event
    venue: Venue


def open_page(session: Session, *, token: str) -> TicketPage:
    """The ticket a code opens, with its offering, event and venue (one query);
    `NotFound` for a code that is not ours or names no ticket."""
    named = ticket_id_of(token)
    if named is None:
        raise NotFound("ticket")
    ticket_id, version = named
    row = session.execute(
        sa.select(Ticket, Offering, Event, Venue)
        .join(Offering, col(Offering.id) == col(Ticket.offering_id))
        .join(Event, col(Event.id) == col(Ticket.event_id))
        .join(Venue, col(Venue.id) == col(Event.venue_id))
        .where(col(Ticket.id) == ticket_id)
    ).first()
    if row is None:
        raise NotFound("ticket")
    ticket, offering, event, venue = row
    return TicketPage(
        ticket=ticket,
        current=version == ticket.token_version,
        offering=offering,
        event=event,
        venue=venue,
    )


# --- the door ----------------------------------------------------------------------------


def lock_tickets(session: Session, *, ticket_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Ticket]:
    """The tickets with these ids, locked (in id order, so two batches never deadlock)
    and re-read, until the transaction ends."""
    if not ticket_ids:
        return {}
    rows = session.exec(
        select(Ticket)
        .where(col(Ticket.id).in_(sorted(ticket_ids)))
        .order_by(col(Ticket.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {ticket.id: ticket for ticket in rows}


def save_door_state(session: Session, *, tickets: Collection[Ticket], now: datetime) -> None:
    """Write the door state (`inside`, `entered_at`) of these tickets, in one
    statement for them all (executemany)."""
    if not tickets:
        return
    session.execute(
        sa.update(Ticket),
        [
            {"id": t.id, "inside": t.inside, "entered_at": t.entered_at, "updated_at": now}
            for t in tickets
        ],
    )
    for ticket in tickets:
        set_committed_value(ticket, "updated_at", now)


def offerings(
    session: Session, *, offering_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Offering]:
    if not offering_ids:
        return {}
    rows = session.exec(select(Offering).where(col(Offering.id).in_(list(offering_ids)))).all()
    return {offering.id: offering for offering in rows}


def recorded_scans(
    session: Session, *, event_id: uuid.UUID, nonces: Collection[str]
) -> dict[str, TicketScan]:
    """The scans of the event already recorded under these client nonces."""
    if not nonces:
        return {}
    rows = session.exec(
        select(TicketScan).where(
            col(TicketScan.event_id) == event_id, col(TicketScan.client_nonce).in_(list(nonces))
        )
    ).all()
    return {scan.client_nonce: scan for scan in rows}


def record_scan(session: Session, *, scan: TicketScan) -> bool:
    """Insert the scan unless its (event, client nonce) is already recorded (by another
    transaction too: this waits for it). Whether it was inserted."""
    values = {
        "id": scan.id,
        "event_id": scan.event_id,
        "ticket_id": scan.ticket_id,
        "scanned_by_id": scan.scanned_by_id,
        "client_nonce": scan.client_nonce,
        "gate": scan.gate,
        "direction": scan.direction,
        "outcome": scan.outcome,
        "scanned_at": scan.scanned_at,
        "recorded_at": scan.recorded_at,
    }
    statement = (
        pg_insert(TicketScan)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["event_id", "client_nonce"])
        .returning(col(TicketScan.id))
    )
    return session.execute(statement).first() is not None


def recorded_scan(session: Session, *, event_id: uuid.UUID, nonce: str) -> TicketScan:
    scan = session.exec(
        select(TicketScan).where(
            col(TicketScan.event_id) == event_id, col(TicketScan.client_nonce) == nonce
        )
    ).one()
    return scan


def attendance(session: Session, *, event_id: uuid.UUID) -> Attendance:
    """One query over the event's tickets: who is inside (whatever became of the
    ticket since: a guest refunded while inside is still in the room), who came in at
    least once, and the valid passes and the guests they admit."""
    valid = col(Ticket.status) == TicketStatus.VALID
    guests = col(Ticket.guests)
    row = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(guests).filter(col(Ticket.inside)), 0),
            sa.func.coalesce(sa.func.sum(guests).filter(col(Ticket.entered_at).is_not(None)), 0),
            sa.func.count().filter(valid),
            sa.func.coalesce(sa.func.sum(guests).filter(valid), 0),
        ).where(col(Ticket.event_id) == event_id)
    ).one()
    inside, checked_in, passes, sold = row
    return Attendance(
        event_id=event_id,
        guests_inside=inside,
        guests_checked_in=checked_in,
        passes_sold=passes,
        guests_sold=sold,
    )
