"""An outside review of the payment rails: money never moves on a mismatching answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.models.booking import Booking, BookingStatus
from app.models.payment import Payment, PaymentStatus
from app.services import payments
from tests.factories.payments import book, make_night
from tests.fakes.razorpay import FakeRazorpay


def test_reconcile_never_captures_an_attempt_in_another_currency(session: Session) -> None:
    night = make_night(session, size=5)
    with FakeRazorpay() as gateway, payments.use_provider(gateway.provider()):
        made = book(session, night=night)
        assert made.payment is not None
        assert made.order is not None
        paid = gateway.pay(made.order.order_id, capture=False)
        gateway.payments[paid["id"]]["currency"] = "USD"  # same amount, other money
        payments.reconcile(session, payment_id=made.payment.id)
        # Capturing it would take money no booking confirms (and none refunds).
        assert gateway.payments[paid["id"]]["status"] == "authorized"
    session.expire_all()
    payment = session.get(Payment, made.payment.id)
    assert payment is not None
    assert payment.status is PaymentStatus.CREATED


def test_a_retry_paid_after_a_failed_attempt_is_reconciled_when_its_webhook_is_lost(
    session: Session,
) -> None:
    night = make_night(session, size=5)
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    gateway = payments.test_gateway()
    failed = gateway.complete_checkout(made.order.order_id, succeed=False)
    payments.handle_webhook(
        session, provider_name="test", body=failed.webhook_body, headers=failed.webhook_headers
    )
    assert payments.lock(session, payment_id=made.payment.id).status is PaymentStatus.FAILED
    # The payer presses Pay on the retry link; the gateway's webhook never arrives.
    gateway.complete_checkout(made.order.order_id, succeed=True)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert payments.due_for_reconcile(session, now=later) == [made.payment.id]
    payments.reconcile(session, payment_id=made.payment.id)
    session.expire_all()
    payment = session.get(Payment, made.payment.id)
    assert payment is not None
    assert payment.status is PaymentStatus.CAPTURED
    booking = session.get(Booking, made.booking.id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED
