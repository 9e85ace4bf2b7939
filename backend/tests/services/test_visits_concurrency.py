"""Two gates letting in two passes of one holder at the same moment, on real
separate connections: one visit, both entries counted, and the guests of both
passes counted as inside at once (the visit's row lock orders the two batches)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import Event, User, Venue
from app.models.booking import Booking, OfferingKind, ScanDirection, Ticket
from app.models.group import ClubVisit
from app.schema.ticket import ScanIn
from app.services import door as door_service
from tests.factories import make_consumer
from tests.factories.bookings import make_offering
from tests.factories.tickets import token_of
from tests.factories.visits import make_club_night, passes


@dataclass
class TwoPasses:
    venue_id: uuid.UUID
    event_id: uuid.UUID
    staff_id: uuid.UUID
    holder_id: uuid.UUID
    tickets: list[Ticket]


@pytest.fixture
def two_passes(engine: Engine) -> Iterator[TwoPasses]:
    with Session(engine, expire_on_commit=False) as setup:
        night = make_club_night(setup, credit_minor=0, price_minor=150_000)
        holder = make_consumer(setup)
        stag = make_offering(setup, event=night.event, kind=OfferingKind.STAG, price_minor=90_000)
        tickets = [
            *passes(setup, night=night, consumer=holder),
            *passes(setup, night=night, consumer=holder, offering=stag),
        ]
        setup.commit()
        users = [holder.id, night.owner.id, night.manager.id, night.staff.id]
    try:
        yield TwoPasses(night.venue.id, night.event.id, night.staff.id, holder.id, tickets)
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Booking).where(col(Booking.event_id) == night.event.id))
            cleanup.execute(sa.delete(Venue).where(col(Venue.id) == night.venue.id))
            cleanup.execute(sa.delete(User).where(col(User.id).in_(users)))
            cleanup.commit()


def test_two_gates_letting_in_one_holders_passes_at_once_make_one_visit(
    engine: Engine, two_passes: TwoPasses
) -> None:
    barrier = threading.Barrier(2)

    def gate(index: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            event = session.get(Event, two_passes.event_id)
            staff = session.get(User, two_passes.staff_id)
            assert event is not None
            assert staff is not None
            scan = ScanIn(
                token=token_of(two_passes.tickets[index]),
                direction=ScanDirection.ENTRY,
                client_nonce=f"gate-{index}",
                scanned_at=datetime.now(UTC),
            )
            barrier.wait()
            [result] = door_service.record_scans(session, event=event, staff=staff, scans=[scan])
            session.commit()
            return result.outcome.value

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(gate, [0, 1]))

    assert outcomes == ["ok", "ok"]
    with Session(engine) as check:
        [visit] = check.exec(
            select(ClubVisit).where(col(ClubVisit.consumer_id) == two_passes.holder_id)
        ).all()
        assert visit.entries == 2
        assert visit.guests == 3  # the couple and the stag, inside together
        assert visit.inside is True
        assert visit.cover_charge_minor == 150_000 + 90_000
