"""Demo data for what events sell (`app/seed/passes.py`): pools and offerings, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.crud import capacity
from app.crud import user as user_crud
from app.models import Event, EventStatus, VenueKind
from app.models.booking import CapacityPool, Offering, OfferingKind
from app.seed import passes
from app.seed.people import CONSUMERS
from tests.factories import make_venue
from tests.factories.places import make_event


def test_club_nights_sell_entries_from_one_pool_and_tables_from_twelve(session: Session) -> None:
    now = datetime.now(UTC)
    club = make_venue(session, kind=VenueKind.NIGHTCLUB, capacity=250, cover_charge_minor=120_000)
    night = make_event(session, venue=club)
    over = make_event(session, venue=club, starts_in=timedelta(days=-2))
    cancelled = make_event(session, venue=club, status=EventStatus.CANCELLED)
    qsr_event = make_event(session, venue=make_venue(session, kind=VenueKind.QSR))

    passes.seed(session, now=now)
    passes.seed(session, now=now)  # idempotent

    pools = {
        p.name: p
        for p in session.exec(select(CapacityPool).where(CapacityPool.event_id == night.id))
    }
    assert {name: p.size for name, p in pools.items()} == {"Guests": 250, "Tables": 12}
    offerings = list(
        session.exec(
            select(Offering).where(Offering.event_id == night.id).order_by(col(Offering.position))
        )
    )
    assert [o.kind for o in offerings] == [
        OfferingKind.STAG,
        OfferingKind.COUPLE,
        OfferingKind.TABLE_PACKAGE,
    ]
    assert offerings[0].price_minor == 120_000
    assert all(o.cover_credit_minor < o.price_minor for o in offerings)

    left, draws = capacity.places_left(session, event_id=night.id, now=now)
    stag, couple, table = offerings
    assert capacity.passes_left(draws=draws[stag.id], left=left) == 250
    assert capacity.passes_left(draws=draws[couple.id], left=left) == 125
    assert draws[table.id] == {pools["Guests"].id: 6, pools["Tables"].id: 1}
    assert capacity.passes_left(draws=draws[table.id], left=left) == 12

    for event in (over, cancelled, qsr_event):
        assert (
            session.exec(select(CapacityPool).where(CapacityPool.event_id == event.id)).first()
            is None
        )


def test_the_demo_has_paid_bookings_with_tickets_once(session: Session) -> None:
    from app.models.booking import Booking, BookingStatus, Ticket
    from app.models.payment import WALLET_PROVIDER, Payment, PaymentStatus
    from app.seed import seed_all

    seed_all(session)
    seed_all(session)  # idempotent

    demo = [user_crud.get_by_phone(session, phone=p.phone) for p in CONSUMERS[:3]]
    ids = [u.id for u in demo if u is not None]
    # (Not the entry a demo group paid from its wallet: tests/api/test_groups_seed.py;
    # nor the past nights' passes: tests/api/test_visits_seed.py.)
    by_wallet = select(Payment.booking_id).where(
        Payment.provider == WALLET_PROVIDER, col(Payment.booking_id).is_not(None)
    )
    coming = select(Event.id).where(col(Event.ends_at) > datetime.now(UTC))
    booked = list(
        session.exec(
            select(Booking).where(
                col(Booking.consumer_id).in_(ids),
                col(Booking.id).not_in(by_wallet),
                col(Booking.event_id).in_(coming),
            )
        )
    )
    assert len(booked) == 3
    assert {b.status for b in booked} == {BookingStatus.CONFIRMED}
    for booking in booked:
        payment = session.exec(select(Payment).where(Payment.booking_id == booking.id)).one()
        assert payment.status == PaymentStatus.CAPTURED
        assert payment.amount_minor == booking.total_minor > 0
        tickets = session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()
        assert sum(t.guests for t in tickets) == booking.guests
