"""What is left of a pool: confirmed bookings and live holds count, expired holds do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.crud import capacity
from app.models.booking import BookingStatus, OfferingKind
from tests.factories import make_consumer, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event


def test_live_holds_and_confirmed_bookings_take_places_and_expired_holds_do_not(
    session: Session,
) -> None:
    event = make_event(session, venue=make_venue(session))
    door = make_pool(session, event=event, size=10)
    tables = make_pool(session, event=event, size=2)
    stag = make_offering(session, event=event, pools=[door])
    couple = make_offering(
        session, event=event, pools=[door], kind=OfferingKind.COUPLE, guests_per_pass=2
    )
    table = make_offering(
        session,
        event=event,
        pools=[door, (tables, 1)],
        kind=OfferingKind.TABLE_PACKAGE,
        guests_per_pass=4,
    )
    unpooled = make_offering(session, event=event)
    guest = make_consumer(session)

    make_booking(session, consumer=guest, items=[(stag, 1)], status=BookingStatus.CONFIRMED)
    make_booking(session, consumer=guest, items=[(couple, 1)])  # held, live
    make_booking(session, consumer=guest, items=[(stag, 3)], hold_minutes=-1)  # expired hold
    make_booking(session, consumer=guest, items=[(stag, 2)], status=BookingStatus.FAILED)

    now = datetime.now(UTC)
    left, draws = capacity.places_left(session, event_id=event.id, now=now)
    assert left == {door.id: 7, tables.id: 2}
    assert capacity.passes_left(draws=draws[stag.id], left=left) == 7
    assert capacity.passes_left(draws=draws[couple.id], left=left) == 3
    # A table package of 4 guests is bounded by the door pool (7 // 4), not the 2 tables.
    assert capacity.passes_left(draws=draws[table.id], left=left) == 1
    assert capacity.passes_left(draws=draws[unpooled.id], left=left) == 0

    make_booking(session, consumer=guest, items=[(table, 1)], status=BookingStatus.CONFIRMED)
    left, _ = capacity.places_left(session, event_id=event.id, now=now)
    assert left == {door.id: 3, tables.id: 1}
    # The one-statement first look says the same, with what each offering draws.
    look_draws, look_left = capacity.first_look(
        session, offering_ids=[stag.id, table.id, unpooled.id], now=now
    )
    assert look_left == left
    assert look_draws == {
        stag.id: {door.id: 1},
        table.id: {door.id: 4, tables.id: 1},
        unpooled.id: {},
    }
    make_booking(session, consumer=guest, items=[(stag, 2)])
    assert capacity.first_look(session, offering_ids=[stag.id], now=now)[1] == {door.id: 1}

    # Later, the live hold has expired too.
    later = now + timedelta(minutes=11)
    assert capacity.used_places(session, pool_ids=[door.id, tables.id], now=later) == {
        door.id: 5,
        tables.id: 1,
    }


def test_pools_are_locked_in_id_order(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    pools = [make_pool(session, event=event) for _ in range(4)]
    locked = capacity.lock_pools(session, pool_ids={p.id for p in reversed(pools)})
    assert [p.id for p in locked] == sorted(p.id for p in pools)
