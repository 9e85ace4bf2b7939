"""What is left of a pool: confirmed bookings and live holds count, expired holds do not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.crud import booking as booking_crud
from app.crud import capacity
from app.models import VenueStatus
from app.models.booking import (
    PLACE_TAKING,
    Booking,
    BookingItem,
    BookingStatus,
    CapacityPool,
    CapacityPoolBooked,
    OfferingKind,
    OfferingPool,
)
from tests.factories import make_consumer, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event


def test_live_holds_and_confirmed_bookings_take_places_and_expired_holds_do_not(
    session: Session,
) -> None:
    venue = make_venue(session)
    event = make_event(session, venue=venue)
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
    # The one-statement first look says the same, with what each offering draws and
    # the event's and venue's facts; an offering of another event is not found.
    other = make_offering(session, event=make_event(session, venue=venue))
    look = capacity.first_look(
        session,
        event_id=event.id,
        offering_ids=[stag.id, table.id, unpooled.id, other.id],
        now=now,
    )
    assert look is not None
    assert look.left == left
    assert look.draws == {
        stag.id: {door.id: 1},
        table.id: {door.id: 4, tables.id: 1},
        unpooled.id: {},
    }
    assert set(look.offerings) == {stag.id, table.id, unpooled.id}
    assert look.offerings[table.id].guests_per_pass == 4
    assert (look.event_id, look.ends_at, look.venue_status) == (
        event.id,
        event.ends_at,
        VenueStatus.VERIFIED,
    )
    make_booking(session, consumer=guest, items=[(stag, 2)])
    look = capacity.first_look(session, event_id=event.id, offering_ids=[stag.id], now=now)
    assert look is not None
    assert look.left == {door.id: 1}
    # The event alone when none of the offerings is its; nothing for no event.
    look = capacity.first_look(session, event_id=event.id, offering_ids=[other.id], now=now)
    assert look is not None
    assert (look.offerings, look.left) == ({}, {})
    assert capacity.first_look(session, event_id=other.event_id, offering_ids=[], now=now)
    assert capacity.first_look(session, event_id=uuid.uuid4(), offering_ids=[], now=now) is None

    # Later, the live hold has expired too.
    later = now + timedelta(minutes=11)
    assert capacity.used_places(session, pool_ids=[door.id, tables.id], now=later) == {
        door.id: 5,
        tables.id: 1,
    }


def test_pools_are_locked_in_id_order(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    pools = [make_pool(session, event=event, size=10 + n) for n in range(4)]
    locked = capacity.lock_pools(session, pool_ids={p.id for p in reversed(pools)})
    assert list(locked) == sorted(p.id for p in pools)
    assert locked == {p.id: p.size for p in pools}


def _booked(session: Session, pool: CapacityPool) -> int:
    session.flush()
    return session.exec(
        select(CapacityPoolBooked.booked).where(CapacityPoolBooked.pool_id == pool.id)
    ).one()


def _recount(session: Session, pool: CapacityPool) -> int:
    """The places of the pool's held and confirmed bookings, summed in Python from rows."""
    session.flush()
    draws = {
        d.offering_id: d.places_per_pass
        for d in session.exec(select(OfferingPool).where(OfferingPool.pool_id == pool.id))
    }
    total = 0
    for item in session.exec(select(BookingItem)):
        booking = session.get(Booking, item.booking_id)
        assert booking is not None
        if item.offering_id in draws and booking.status in PLACE_TAKING:
            total += item.quantity * draws[item.offering_id]
    return total


def test_booked_follows_every_change_of_lines_statuses_and_draws(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    door, tables = make_pool(session, event=event), make_pool(session, event=event, size=12)
    stag = make_offering(session, event=event, pools=[door])
    table = make_offering(session, event=event, pools=[door, (tables, 1)], guests_per_pass=4)
    guest = make_consumer(session)
    seen: list[tuple[int, int]] = []

    def check() -> None:
        booked = (_booked(session, door), _booked(session, tables))
        assert booked == (_recount(session, door), _recount(session, tables))
        seen.append(booked)

    held = make_booking(session, consumer=guest, items=[(stag, 2), (table, 1)])
    check()  # a held booking's lines: 2 + 4 at the door, 1 table
    paid = make_booking(session, consumer=guest, items=[(table, 2)], status=BookingStatus.CONFIRMED)
    make_booking(session, consumer=guest, items=[(stag, 5)], status=BookingStatus.FAILED)
    check()  # a failed booking takes nothing
    for status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED):
        held.status = status
        session.add(held)
        check()
    held.status = BookingStatus.CONFIRMED  # a late payment takes the places again
    session.add(held)
    check()
    line = session.exec(select(BookingItem).where(BookingItem.booking_id == paid.id)).one()
    line.quantity = 3
    session.add(line)
    check()
    draw = session.get(OfferingPool, (stag.id, door.id))
    assert draw is not None
    draw.places_per_pass = 2  # recounted, as when a draw is added or removed
    session.add(draw)
    check()
    session.delete(draw)
    check()
    session.delete(line)
    check()
    session.delete(held)
    check()
    assert seen == [
        (6, 1),
        (14, 3),
        (14, 3),
        (8, 2),
        (8, 2),
        (14, 3),
        (18, 4),
        (20, 4),
        (16, 4),
        (4, 1),
        (0, 0),
    ]


def test_expiring_holds_gives_their_places_back_and_changes_no_count(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_event(session, venue=make_venue(session))
    door = make_pool(session, event=event, size=10)
    stag = make_offering(session, event=event, pools=[door])
    guest = make_consumer(session)
    make_booking(session, consumer=guest, items=[(stag, 3)], hold_minutes=-1)
    make_booking(session, consumer=guest, items=[(stag, 2)])
    now = datetime.now(UTC)
    assert _booked(session, door) == 5
    assert capacity.used_places(session, pool_ids=[door.id], now=now) == {door.id: 2}

    assert booking_crud.expire_holds(session, now=now) == 1
    assert _booked(session, door) == 2 == _recount(session, door)
    assert capacity.used_places(session, pool_ids=[door.id], now=now) == {door.id: 2}

    # A backlog is marked batch by batch, all in one run.
    monkeypatch.setattr(booking_crud, "EXPIRE_BATCH", 2)
    for _ in range(5):
        make_booking(session, consumer=guest, items=[(stag, 1)], hold_minutes=-1)
    assert _booked(session, door) == 7
    assert booking_crud.expire_holds(session, now=now) == 5
    assert _booked(session, door) == 2 == _recount(session, door)
    assert capacity.used_places(session, pool_ids=[door.id], now=now) == {door.id: 2}
    assert booking_crud.expire_holds(session, now=now) == 0
