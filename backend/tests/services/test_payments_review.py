"""An outside review of the payment rails: money never moves on a mismatching answer."""

from __future__ import annotations

from sqlmodel import Session

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
