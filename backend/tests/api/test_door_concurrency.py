"""Two door devices scanning the same pass at the same moment, on real separate
connections: the ticket's row lock lets exactly one in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Event, User, Venue, VenueRole
from app.models.booking import Booking, ScanDirection, Ticket, TicketScan
from app.schema.ticket import ScanIn, ScanResult
from app.services import door as door_service
from app.services.tickets import void_tickets
from tests.factories import add_member, make_consumer, make_user, make_venue
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets, token_of


@dataclass
class Night:
    venue: Venue
    event: Event
    staff: list[User]
    ticket: Ticket
    token: str
    consumer: User


@pytest.fixture
def night(engine: Engine) -> Iterator[Night]:
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_user(setup)
        venue = make_venue(setup, owner=owner)
        staff = [make_user(setup), make_user(setup)]
        for member in staff:
            add_member(setup, venue=venue, user=member, role=VenueRole.STAFF)
        event = make_event(setup, venue=venue, starts_in=-timedelta(hours=1))
        consumer = make_consumer(setup)
        _, [ticket] = make_tickets(setup, event=event, consumer=consumer, guests_per_pass=2)
        setup.commit()
    try:
        yield Night(venue, event, staff, ticket, token_of(ticket), consumer)
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Booking).where(Booking.event_id == event.id))  # type: ignore[arg-type]
            cleanup.execute(sa.delete(Venue).where(Venue.id == venue.id))  # type: ignore[arg-type]
            users = [owner.id, consumer.id, *(s.id for s in staff)]
            cleanup.execute(sa.delete(User).where(User.id.in_(users)))  # type: ignore[attr-defined]
            cleanup.commit()


def _race(engine: Engine, night: Night, nonces: list[str]) -> list[ScanResult]:
    barrier = threading.Barrier(2)

    def device(index: int) -> ScanResult:
        with Session(engine, expire_on_commit=False) as session:
            event = session.get(Event, night.event.id)
            staff = session.get(User, night.staff[index].id)
            assert event is not None
            assert staff is not None
            scan = ScanIn(
                token=night.token,
                direction=ScanDirection.ENTRY,
                client_nonce=nonces[index],
                scanned_at=datetime.now(UTC),
            )
            barrier.wait()
            [result] = door_service.record_scans(session, event=event, staff=staff, scans=[scan])
            session.commit()
            return result

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(device, [0, 1]))


def _check(engine: Engine, night: Night, expect: Callable[[list[TicketScan]], None]) -> None:
    with Session(engine) as check:
        ticket = check.get(Ticket, night.ticket.id)
        assert ticket is not None
        assert ticket.inside is True
        rows = list(check.exec(select(TicketScan).where(TicketScan.event_id == night.event.id)))
        expect(rows)


def test_two_devices_scanning_one_pass_at_once_let_it_in_once(engine: Engine, night: Night) -> None:
    results = _race(engine, night, ["device-a-1", "device-b-1"])
    assert sorted(r.outcome for r in results) == ["already_inside", "ok"]
    assert all(r.guests == 2 and r.inside is True for r in results)

    def recorded(rows: list[TicketScan]) -> None:
        assert sorted(r.outcome for r in rows) == ["already_inside", "ok"]
        assert {r.scanned_by_id for r in rows} == {s.id for s in night.staff}

    _check(engine, night, recorded)


def test_one_scan_uploaded_twice_at_once_is_recorded_once(engine: Engine, night: Night) -> None:
    results = _race(engine, night, ["same-nonce", "same-nonce"])
    assert [r.outcome for r in results] == ["ok", "ok"]
    assert sorted(r.replayed for r in results) == [False, True]

    def recorded(rows: list[TicketScan]) -> None:
        assert [r.outcome for r in rows] == ["ok"]

    _check(engine, night, recorded)


def test_two_batches_with_the_same_passes_in_opposite_orders_do_not_deadlock(
    engine: Engine, night: Night
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        event = setup.get(Event, night.event.id)
        assert event is not None
        # Deleted with the night's bookings and consumer.
        _, [second] = make_tickets(setup, event=event, consumer=night.consumer)
        setup.commit()
    tokens = [night.token, token_of(second)]
    barrier = threading.Barrier(2)

    def device(index: int) -> list[ScanResult]:
        with Session(engine, expire_on_commit=False) as session:
            event = session.get(Event, night.event.id)
            staff = session.get(User, night.staff[index].id)
            assert event is not None
            assert staff is not None
            order = tokens if index == 0 else tokens[::-1]
            scans = [
                ScanIn(
                    token=token,
                    direction=ScanDirection.ENTRY,
                    client_nonce=f"dev{index}-{n}",
                    scanned_at=datetime.now(UTC),
                )
                for n, token in enumerate(order)
            ]
            barrier.wait()
            results = door_service.record_scans(session, event=event, staff=staff, scans=scans)
            session.commit()
            return results

    with ThreadPoolExecutor(max_workers=2) as pool:
        batches = list(pool.map(device, [0, 1]))
    outcomes = sorted(r.outcome for batch in batches for r in batch)
    assert outcomes == ["already_inside", "already_inside", "ok", "ok"]
    # The batch that went first let both in.
    assert sorted(tuple(r.outcome for r in batch) for batch in batches) == [
        ("already_inside", "already_inside"),
        ("ok", "ok"),
    ]


def test_a_refund_and_a_scan_at_once_never_let_a_void_pass_in(engine: Engine, night: Night) -> None:
    barrier = threading.Barrier(2)

    def refund() -> str:
        with Session(engine, expire_on_commit=False) as session:
            booking = session.get(Booking, night.ticket.booking_id)
            assert booking is not None
            barrier.wait()
            void_tickets(session, booking=booking)
            session.commit()
            return "voided"

    def scan() -> str:
        with Session(engine, expire_on_commit=False) as session:
            event = session.get(Event, night.event.id)
            staff = session.get(User, night.staff[0].id)
            assert event is not None
            assert staff is not None
            item = ScanIn(
                token=night.token,
                direction=ScanDirection.ENTRY,
                client_nonce="refund-race",
                scanned_at=datetime.now(UTC),
            )
            barrier.wait()
            [result] = door_service.record_scans(session, event=event, staff=staff, scans=[item])
            session.commit()
            return result.outcome

    with ThreadPoolExecutor(max_workers=2) as pool:
        voided, outcome = pool.submit(refund), pool.submit(scan)
        assert voided.result() == "voided"
        scanned = outcome.result()
    assert scanned in {"ok", "void"}
    with Session(engine) as check:
        ticket = check.get(Ticket, night.ticket.id)
        assert ticket is not None
        assert ticket.status == "void"
        # Let in before the refund, it is still inside; refused after, it never came in.
        assert ticket.inside is (scanned == "ok")
