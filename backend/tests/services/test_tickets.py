"""Issuing a confirmed booking's tickets (one per pass, once) and voiding them."""

from __future__ import annotations

from sqlmodel import Session, func, select

from app.core import ticket_token
from app.models.booking import BookingStatus, OfferingKind, Ticket, TicketStatus
from app.services.tickets import issue_tickets, void_tickets
from tests.factories import make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event


def _count(session: Session, booking_id: object) -> int:
    return session.exec(
        select(func.count()).select_from(Ticket).where(Ticket.booking_id == booking_id)
    ).one()


def test_one_ticket_per_pass_each_admitting_the_offerings_guests(session: Session) -> None:
    venue = make_venue(session, owner=make_user(session))
    event = make_event(session, venue=venue)
    pool = make_pool(session, event=event)
    couple = make_offering(
        session, event=event, pools=[pool], kind=OfferingKind.COUPLE, guests_per_pass=2
    )
    stag = make_offering(session, event=event, pools=[pool])
    booking = make_booking(
        session,
        consumer=make_consumer(session),
        items=[(couple, 3), (stag, 1)],
        status=BookingStatus.CONFIRMED,
    )

    tickets = issue_tickets(session, booking=booking)

    assert len(tickets) == 4
    assert sorted(t.guests for t in tickets) == [1, 2, 2, 2]
    assert {t.offering_id for t in tickets if t.guests == 2} == {couple.id}
    for ticket in tickets:
        assert ticket.booking_id == booking.id
        assert ticket.event_id == event.id
        assert ticket.status == TicketStatus.VALID
        assert ticket.token_version == 1
        assert not ticket.inside
        assert ticket.entered_at is None
    assert len({t.id for t in tickets}) == 4
    assert _count(session, booking.id) == 4


def test_issuing_twice_issues_nothing_more(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event, guests_per_pass=2)
    booking = make_booking(
        session,
        consumer=make_consumer(session),
        items=[(offering, 2)],
        status=BookingStatus.CONFIRMED,
    )
    first = issue_tickets(session, booking=booking)
    second = issue_tickets(session, booking=booking)
    assert [t.id for t in second] == [t.id for t in first]
    assert _count(session, booking.id) == 2


def test_only_the_passes_without_a_ticket_get_one(session: Session) -> None:
    """A ticket deleted by hand (or lost to a half-finished run) is issued again; the
    others are kept."""
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event)
    booking = make_booking(
        session,
        consumer=make_consumer(session),
        items=[(offering, 3)],
        status=BookingStatus.CONFIRMED,
    )
    first = issue_tickets(session, booking=booking)
    session.delete(first[0])
    session.flush()
    again = issue_tickets(session, booking=booking)
    assert len(again) == 3
    assert {t.id for t in first[1:]} <= {t.id for t in again}


def test_voiding_makes_every_ticket_void_and_its_old_code_stale(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event)
    booking = make_booking(
        session,
        consumer=make_consumer(session),
        items=[(offering, 2)],
        status=BookingStatus.CONFIRMED,
    )
    tickets = issue_tickets(session, booking=booking)
    old_codes = [
        ticket_token.encode_ticket_token(ticket_id=t.id, version=t.token_version) for t in tickets
    ]

    void_tickets(session, booking=booking)

    session.expire_all()
    stored = session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()
    assert {t.status for t in stored} == {TicketStatus.VOID}
    assert {t.token_version for t in stored} == {2}
    for code, ticket in zip(old_codes, tickets, strict=True):
        assert ticket_token.decode_ticket_token(code).version != ticket.token_version

    # Voiding again changes nothing; issuing again issues nothing for the void passes.
    void_tickets(session, booking=booking)
    assert {t.token_version for t in issue_tickets(session, booking=booking)} == {2}
    assert _count(session, booking.id) == 2


def test_voiding_leaves_other_bookings_alone(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event)
    consumer = make_consumer(session)
    mine, other = (
        make_booking(
            session, consumer=consumer, items=[(offering, 1)], status=BookingStatus.CONFIRMED
        )
        for _ in range(2)
    )
    issue_tickets(session, booking=mine)
    kept = issue_tickets(session, booking=other)
    void_tickets(session, booking=mine)
    session.refresh(kept[0])
    assert kept[0].status == TicketStatus.VALID
    assert kept[0].token_version == 1


def test_a_booking_without_items_gets_no_tickets(session: Session) -> None:
    """A held booking has no tickets until it is confirmed; voiding none is fine."""
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event)
    booking = make_booking(session, consumer=make_consumer(session), items=[(offering, 1)])
    void_tickets(session, booking=booking)
    assert _count(session, booking.id) == 0
