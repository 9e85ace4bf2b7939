"""An outside review: a capture racing the event's cancellation, on real connections.

The capture reads the event's status; the cancellation's refund job refunds the
bookings it finds confirmed. A capture that read "scheduled" before the cancellation
committed, and commits after the job looked, would leave a paid, confirmed booking
of a cancelled event that nothing refunds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.crud import event as event_crud
from app.models import Event, EventStatus
from app.models.booking import Booking, BookingStatus
from app.models.payment import Refund, RefundReason
from app.services import bookings as bookings_service
from app.services import payments
from tests.factories import make_consumer
from tests.factories.payments import Night, make_night
from tests.services.test_bookings_concurrency import _delete_night, _held_booking


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[Night]]:
    nights: list[Night] = []
    yield nights
    with Session(engine) as s:
        for night in nights:
            _delete_night(s, night)
        s.commit()


def _waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"),
                {"p": pid},
            ).scalar()
        )


def test_a_capture_racing_the_events_cancellation_is_refunded(
    engine: Engine, committed: list[Night]
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        night = make_night(setup, size=5)
        consumer = make_consumer(setup)
        setup.commit()
    committed.append(night)
    payment = _held_booking(engine, night, consumer, 1)
    assert payment.provider_order_id is not None
    paid = payments.test_gateway().complete_checkout(payment.provider_order_id, succeed=True)

    canceller = Session(engine)
    event = canceller.get(Event, night.event.id)
    assert event is not None
    event_crud.cancel(canceller, event=event)  # not committed yet: holds the event's lock

    pid: list[int] = []
    applied, go = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def capture() -> None:  # the webhook's request, committing after its answer renders
        try:
            with Session(engine) as session:
                pid.append(int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()))
                payments.handle_webhook(
                    session,
                    provider_name="test",
                    body=paid.webhook_body,
                    headers=paid.webhook_headers,
                )
                applied.set()
                go.wait()
                session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)
            applied.set()

    thread = threading.Thread(target=capture)
    thread.start()
    while not applied.is_set() and not (pid and _waiting_on_a_lock(engine, pid[0])):
        time.sleep(0.01)
    canceller.commit()
    canceller.close()
    applied.wait()

    @contextmanager
    def opener() -> Iterator[Session]:
        with Session(engine) as session:
            yield session
            session.commit()

    # The cancellation's job runs now, while the capture has not committed.
    bookings_service.refund_cancelled_event(opener, event_id=night.event.id)
    go.set()
    thread.join()
    assert not failure, failure

    with Session(engine) as check:
        booking = check.exec(select(Booking).where(Booking.event_id == night.event.id)).one()
        refunds = check.exec(select(Refund).where(Refund.payment_id == payment.id)).all()
        assert check.get(Event, night.event.id).status is EventStatus.CANCELLED  # type: ignore[union-attr]
    assert booking.status is not BookingStatus.CONFIRMED
    assert [(r.amount_minor, r.reason) for r in refunds] == [
        (payment.amount_minor, RefundReason.EVENT_CANCELLED)
    ]
