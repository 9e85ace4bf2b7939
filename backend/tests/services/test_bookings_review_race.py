"""An outside review: money races on real connections.

- The capture reads the event's status; the cancellation's refund job refunds the
  bookings it finds confirmed. A capture that read "scheduled" before the
  cancellation committed, and commits after the job looked, would leave a paid,
  confirmed booking of a cancelled event that nothing refunds.
- A refund's job run again while the first run still waits for the gateway (a
  stalled job retried) must not send the refund a second time."""

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
from app.models.payment import Refund, RefundReason, RefundStatus
from app.providers.payments import test_gateway as gateway_module
from app.providers.payments.base import GatewayRefund
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


class _SlowRefunds(gateway_module.TestGatewayProvider):
    """The test gateway, whose first refund waits until told to go on."""

    def __init__(self, inner: gateway_module.TestGatewayProvider) -> None:
        self.__dict__.update(inner.__dict__)
        self.entered, self.go = threading.Event(), threading.Event()
        self.calls = 0

    def refund(
        self, *, payment_id: str, amount: int, reference: str, notes: dict[str, str]
    ) -> GatewayRefund:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            self.go.wait()
        return super().refund(
            payment_id=payment_id, amount=amount, reference=reference, notes=notes
        )


def test_a_refund_sent_twice_at_once_is_refunded_once(
    engine: Engine, committed: list[Night]
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        night = make_night(setup, size=5)
        consumer, manager = make_consumer(setup), night.owner
        setup.commit()
    committed.append(night)
    payment = _held_booking(engine, night, consumer, 1)
    assert payment.provider_order_id is not None
    paid = payments.test_gateway().complete_checkout(payment.provider_order_id, succeed=True)
    with Session(engine, expire_on_commit=False) as session:
        payments.handle_webhook(
            session, provider_name="test", body=paid.webhook_body, headers=paid.webhook_headers
        )
        booking = session.exec(select(Booking).where(Booking.event_id == night.event.id)).one()
        refund = bookings_service.refund_booking(
            session, booking=booking, amount=1_000, manager=manager
        )
        session.commit()

    @contextmanager
    def opener() -> Iterator[Session]:
        with Session(engine) as session:
            yield session
            session.commit()

    slow = _SlowRefunds(payments.test_gateway())
    with payments.use_provider(slow, default=False):
        first = threading.Thread(
            target=payments.send_refund, args=(opener,), kwargs={"refund_id": refund.id}
        )
        first.start()
        slow.entered.wait()
        # The same job run again (a retried, stalled job) while the first still waits.
        with pytest.raises(payments.RefundNotSent):
            payments.send_refund(opener, refund_id=refund.id)
        slow.go.set()
        first.join()
    sent = payments.test_gateway().fetch_refunds(paid.payment.payment_id)
    assert [r.amount for r in sent] == [1_000]
    with Session(engine) as check:
        stored = check.get(Refund, refund.id)
        assert stored is not None
        assert stored.status is RefundStatus.PROCESSED
