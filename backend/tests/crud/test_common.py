"""`insert_together`: new rows of several tables in one statement, objects left persistent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.crud.common import insert_together
from app.models.booking import Booking, BookingItem, BookingStatus
from tests.factories import make_consumer, make_venue
from tests.factories.bookings import make_offering, make_pool
from tests.factories.places import make_event


@pytest.fixture
def seen(session: Session) -> Iterator[list[str]]:
    """The statements the session sends from now on."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    bind = session.get_bind()
    sa.event.listen(bind, "before_cursor_execute", note)
    yield statements
    sa.event.remove(bind, "before_cursor_execute", note)


def test_a_parent_and_its_children_are_written_in_one_statement_and_stay_tracked(
    session: Session, seen: list[str]
) -> None:
    event = make_event(session, venue=make_venue(session))
    offering = make_offering(session, event=event, pools=[make_pool(session, event=event)])
    guest = make_consumer(session)
    booking = Booking(
        event_id=event.id,
        consumer_id=guest.id,
        status=BookingStatus.HELD,
        guests=2,
        total_minor=2 * offering.price_minor,
        hold_expires_at=datetime.now(UTC) + timedelta(minutes=10),
    )
    line = BookingItem(
        booking_id=booking.id,
        offering_id=offering.id,
        quantity=2,
        guests=2,
        unit_price_minor=offering.price_minor,
    )
    session.flush()
    seen.clear()

    # The child first: foreign keys are checked at the end of the statement.
    insert_together(session, [booking], rows=[(BookingItem, line.model_dump())])

    assert len(seen) == 1
    assert seen[0].startswith("WITH")
    # The object is the session's own, persistent: a change to it is an UPDATE.
    assert session.get(Booking, booking.id) is booking
    booking.status = BookingStatus.CONFIRMED
    session.flush()
    assert seen[-1].startswith("UPDATE booking")
    session.expire_all()
    stored = session.exec(select(Booking).where(col(Booking.id) == booking.id)).one()
    assert stored.status is BookingStatus.CONFIRMED
    lines = session.exec(select(BookingItem).where(col(BookingItem.booking_id) == booking.id))
    assert [(i.offering_id, i.quantity) for i in lines] == [(offering.id, 2)]


def test_a_row_that_breaks_a_constraint_writes_nothing(session: Session) -> None:
    event = make_event(session, venue=make_venue(session))
    guest = make_consumer(session)
    booking = Booking(
        event_id=event.id,
        consumer_id=guest.id,
        guests=1,
        total_minor=100,
        hold_expires_at=datetime.now(UTC),
    )
    orphan = BookingItem(
        booking_id=booking.id, offering_id=uuid.uuid4(), quantity=1, guests=1, unit_price_minor=1
    )
    session.flush()
    savepoint = session.begin_nested()
    with pytest.raises(sa.exc.IntegrityError):
        insert_together(session, [booking], rows=[(BookingItem, orphan.model_dump())])
    savepoint.rollback()
    assert session.get(Booking, booking.id) is None
