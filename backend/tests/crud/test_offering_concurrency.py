"""Managers changing what an event sells while bookings take places (real connections).

A booking takes places under the pool locks (`capacity.lock_pools`); a manager who
shrinks that pool, or deletes the offering being booked, at the same moment must
see the booking once it commits and refuse, never leave a pool smaller than what is
taken or a booking without its offering.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete

from app.core.errors import OfferingHasSales, PoolBelowTaken
from app.crud import capacity
from app.crud import offering as offering_crud
from app.models import Event, User, Venue
from app.models.booking import Booking, BookingStatus, CapacityPool, Offering
from app.schema.offering import PoolUpdate
from tests.factories import make_consumer, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event


@dataclass
class Committed:
    venue_id: uuid.UUID
    event_id: uuid.UUID
    pool_id: uuid.UUID
    offering_id: uuid.UUID  # 4 passes sold
    unsold_id: uuid.UUID  # none sold yet
    consumer_id: uuid.UUID


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """An event with a 10-place pool, 4 places of it sold, committed for real, and
    a second offering of the pool nobody has booked yet."""
    with Session(engine, expire_on_commit=False) as setup:
        venue = make_venue(setup)
        event = make_event(setup, venue=venue)
        pool = make_pool(setup, event=event, size=10)
        offering = make_offering(setup, event=event, pools=[pool])
        unsold = make_offering(setup, event=event, pools=[pool])
        consumer = make_consumer(setup)
        make_booking(
            setup, consumer=consumer, items=[(offering, 4)], status=BookingStatus.CONFIRMED
        )
        setup.commit()
        ids = Committed(venue.id, event.id, pool.id, offering.id, unsold.id, consumer.id)
    yield ids
    with Session(engine) as cleanup:
        cleanup.execute(delete(Booking).where(col(Booking.event_id) == ids.event_id))
        for model, ident in ((Venue, ids.venue_id), (User, ids.consumer_id)):
            doomed = cleanup.get(model, ident)
            if doomed is not None:
                cleanup.delete(doomed)
        cleanup.commit()


def _race(
    engine: Engine,
    ids: Committed,
    manager: Callable[[Session, Event], None],
    *,
    offering_id: uuid.UUID,
) -> list[BaseException]:
    """Book 3 passes of an offering under the pool locks and, before that commits,
    run `manager` on another connection; return what the manager raised."""
    errors: list[BaseException] = []
    with Session(engine) as booking:
        capacity.lock_pools(booking, pool_ids=[ids.pool_id])
        offering = booking.get_one(Offering, offering_id)
        make_booking(
            booking, consumer=booking.get_one(User, ids.consumer_id), items=[(offering, 3)]
        )

        def run() -> None:
            with Session(engine) as session:
                try:
                    manager(session, session.get_one(Event, ids.event_id))
                    session.commit()
                except BaseException as exc:
                    errors.append(exc)

        worker = threading.Thread(target=run)
        worker.start()  # waits on a lock the booking holds, or sees the booking committed
        booking.commit()
        worker.join(timeout=60)
        assert not worker.is_alive()
    return errors


def test_shrinking_a_pool_while_a_booking_takes_places(
    engine: Engine, committed: Committed
) -> None:
    def shrink(session: Session, event: Event) -> None:
        pool = offering_crud.get_pool(session, event=event, pool_id=committed.pool_id)
        offering_crud.update_pool(session, event=event, pool=pool, data=PoolUpdate(size=5))

    errors = _race(engine, committed, shrink, offering_id=committed.offering_id)
    assert len(errors) == 1
    assert isinstance(errors[0], PoolBelowTaken)
    assert isinstance(errors[0].detail, dict)
    assert errors[0].detail["taken"] == 7
    with Session(engine) as check:
        assert check.get_one(CapacityPool, committed.pool_id).size == 10


def test_deleting_an_offering_while_it_is_booked(engine: Engine, committed: Committed) -> None:
    def remove(session: Session, event: Event) -> None:
        offering = offering_crud.get_offering(session, event=event, offering_id=committed.unsold_id)
        offering_crud.delete_offering(session, event=event, offering=offering)

    errors = _race(engine, committed, remove, offering_id=committed.unsold_id)
    assert len(errors) == 1
    assert isinstance(errors[0], OfferingHasSales)
    with Session(engine) as check:
        assert check.get(Offering, committed.unsold_id) is not None
