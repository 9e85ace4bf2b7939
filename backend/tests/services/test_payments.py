"""The payment rails: one state machine, the append-only ledger, webhooks (duplicate,
out of order, unknown, forged), the client callback and the reconcile job; against a
fake Razorpay on loopback and the built-in test gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.core import jobs
from app.models.booking import Booking, BookingStatus, Ticket
from app.models.payment import Payment, PaymentEvent, PaymentEventKind, PaymentStatus
from app.providers.payments.base import GatewayPayment, GatewayPaymentStatus
from app.services import payments, tasks
from tests.factories import auth_headers, make_consumer
from tests.factories.jobs import queued_jobs, run_jobs
from tests.factories.payments import Night, book, make_night
from tests.fakes.razorpay import FakeRazorpay

WEBHOOK = "/api/v1/payments/webhooks/razorpay"


@pytest.fixture
def gateway() -> Iterator[FakeRazorpay]:
    with FakeRazorpay() as fake, payments.use_provider(fake.provider()):
        yield fake


@pytest.fixture
def night(session: Session) -> Night:
    return make_night(session, size=50)


def kinds(session: Session, payment: Payment) -> list[str]:
    return [e.kind.value for e in payments.events_of(session, payment_id=payment.id)]


def reload(session: Session, payment: Payment) -> Payment:
    session.expire_all()
    found = session.get(Payment, payment.id)
    assert found is not None
    return found


def gateway_payment(payment: Payment, status: GatewayPaymentStatus, pid: str) -> GatewayPayment:
    return GatewayPayment(
        payment_id=pid,
        order_id=payment.provider_order_id,
        status=status,
        amount=payment.amount_minor,
        currency=payment.currency,
    )


def test_a_booking_makes_a_gateway_order_and_records_it(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night, quantity=2)
    assert made.payment is not None
    assert made.order is not None
    assert made.payment.status is PaymentStatus.CREATED
    assert made.payment.amount_minor == 300_000
    assert gateway.orders[made.order.order_id]["receipt"] == made.payment.id.hex
    assert made.order.checkout["key_id"] == FakeRazorpay.KEY_ID
    assert kinds(session, made.payment) == ["order_created"]


def test_the_ledger_writes_the_payment_it_names_first(session: Session, night: Night) -> None:
    """A payment added but not flushed yet is written before its event (the session
    flushes what is pending before the event's INSERT into the Core table)."""
    made = book(session, night=night)
    assert made.payment is not None
    later = Payment(
        purpose=made.payment.purpose,
        booking_id=made.booking.id,
        payer_id=made.payment.payer_id,
        amount_minor=100,
        currency="INR",
        provider="test",
    )
    session.add(later)
    assert later in session.new
    payments.record(session, payment=later, kind=PaymentEventKind.ORDER_CREATED, amount_minor=100)
    assert kinds(session, later) == ["order_created"]


def test_the_state_machine_never_goes_backwards(session: Session, night: Night) -> None:
    with FakeRazorpay() as fake, payments.use_provider(fake.provider()):
        made = book(session, night=night)
    payment = payments.lock(session, payment_id=made.payment.id)  # type: ignore[union-attr]
    failed = gateway_payment(payment, GatewayPaymentStatus.FAILED, "pay_a")
    captured = gateway_payment(payment, GatewayPaymentStatus.CAPTURED, "pay_b")
    authorized = gateway_payment(payment, GatewayPaymentStatus.AUTHORIZED, "pay_b")
    assert payments.apply_gateway_payment(session, payment=payment, seen=failed)
    assert payments.lock(session, payment_id=payment.id).status is PaymentStatus.FAILED
    # A later successful attempt still captures after a failed one.
    assert payments.apply_gateway_payment(session, payment=payment, seen=captured)
    assert payments.lock(session, payment_id=payment.id).status is PaymentStatus.CAPTURED
    assert payment.provider_payment_id == "pay_b"
    # Nothing leaves captured.
    assert not payments.apply_gateway_payment(session, payment=payment, seen=authorized)
    assert not payments.apply_gateway_payment(session, payment=payment, seen=failed)
    assert payment.status is PaymentStatus.CAPTURED
    assert kinds(session, payment) == ["order_created", "failed", "captured"]
    # The failure released the booking; the later capture confirmed it, places remaining.
    booking = session.get(Booking, payment.booking_id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED


def test_a_wrong_amount_is_never_applied(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    payment = payments.lock(session, payment_id=made.payment.id)
    seen = GatewayPayment(
        payment_id="pay_x",
        order_id=payment.provider_order_id,
        status=GatewayPaymentStatus.CAPTURED,
        amount=1,
        currency="INR",
    )
    assert not payments.apply_gateway_payment(session, payment=payment, seen=seen)
    assert payment.status is PaymentStatus.CREATED


def test_a_captured_webhook_confirms_the_booking_and_issues_its_tickets(
    session: Session, client: TestClient, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night, quantity=3)
    assert made.payment is not None
    assert made.order is not None
    paid = gateway.pay(made.order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=paid)
    resp = client.post(WEBHOOK, content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CAPTURED
    assert payment.provider_payment_id == paid["id"]
    assert kinds(session, payment) == ["order_created", "webhook", "captured"]
    booking = session.get(Booking, made.booking.id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED
    assert len(session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()) == 3


def test_a_duplicate_webhook_is_recorded_once(
    session: Session, client: TestClient, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    paid = gateway.pay(made.order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=paid, event_id="evt_same")
    first = client.post(WEBHOOK, content=body, headers=headers)
    again = client.post(WEBHOOK, content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"message": "absorbed"}
    assert kinds(session, made.payment) == ["order_created", "webhook", "captured"]


def test_webhooks_out_of_order_change_nothing_backwards(
    session: Session, client: TestClient, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    paid = gateway.pay(made.order.order_id)
    captured = gateway.webhook("payment.captured", payment=paid)
    authorized = gateway.webhook("payment.authorized", payment={**paid, "status": "authorized"})
    failed = gateway.webhook("payment.failed", payment={**paid, "status": "failed"})
    for body, headers in (captured, authorized, failed):
        assert client.post(WEBHOOK, content=body, headers=headers).status_code == 200
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CAPTURED
    assert kinds(session, payment) == ["order_created", "webhook", "captured", "webhook", "webhook"]


def test_a_webhook_for_an_unknown_payment_is_recorded_once(
    session: Session, client: TestClient, gateway: FakeRazorpay
) -> None:
    order = gateway.provider().create_order(amount=500, currency="INR", reference="x", notes={})
    paid = gateway.pay(order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=paid, event_id="evt_unknown_1")
    for _ in range(2):
        assert client.post(WEBHOOK, content=body, headers=headers).status_code == 200
    rows = session.exec(
        select(PaymentEvent).where(PaymentEvent.provider_event_id == "razorpay:evt_unknown_1")
    ).all()
    assert len(rows) == 1
    assert rows[0].payment_id is None
    assert rows[0].data["order_id"] == order.order_id


@pytest.mark.parametrize("how", ["forged", "missing", "other-secret"])
def test_a_forged_webhook_is_a_400_with_nothing_recorded(
    session: Session, client: TestClient, gateway: FakeRazorpay, night: Night, how: str
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    paid = gateway.pay(made.order.order_id)
    body, headers = gateway.webhook(
        "payment.captured", payment=paid, secret="wrong" if how == "other-secret" else None
    )
    if how == "forged":
        body = body.replace(b'"captured"', b'"failed"', 1)
    if how == "missing":
        headers.pop("X-Razorpay-Signature")
    before = session.exec(select(sa.func.count()).select_from(PaymentEvent)).one()
    resp = client.post(WEBHOOK, content=body, headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_webhook_signature"
    assert session.exec(select(sa.func.count()).select_from(PaymentEvent)).one() == before
    assert reload(session, made.payment).status is PaymentStatus.CREATED


def test_a_webhook_for_an_unknown_provider_is_a_404(client: TestClient) -> None:
    resp = client.post("/api/v1/payments/webhooks/paypal", content=b"{}")
    assert resp.status_code == 404


def test_the_client_callback_confirms_with_a_valid_signature_only(
    session: Session, client: TestClient, gateway: FakeRazorpay, night: Night
) -> None:
    consumer = make_consumer(session)
    made = book(session, night=night, consumer=consumer)
    assert made.payment is not None
    assert made.order is not None
    consumer_headers = auth_headers(consumer)
    paid = gateway.pay(made.order.order_id)
    url = f"/api/v1/payments/{made.payment.id}/verify"
    bad = client.post(
        url,
        json={"provider_payment_id": paid["id"], "signature": "0" * 64},
        headers=consumer_headers,
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_checkout_signature"
    signature = gateway.checkout_signature(made.order.order_id, paid["id"])
    body = {"provider_payment_id": paid["id"], "signature": signature}
    other = client.post(url, json=body, headers=auth_headers(night.owner))
    assert other.status_code == 404
    assert client.post(url, json=body).status_code == 401
    ok = client.post(url, json=body, headers=consumer_headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "captured"
    assert kinds(session, made.payment) == ["order_created", "checkout_verified", "captured"]
    again = client.post(url, json=body, headers=consumer_headers)
    assert again.status_code == 200
    assert kinds(session, made.payment)[-1] == "checkout_verified"
    assert (
        client.get(f"/api/v1/payments/{made.payment.id}", headers=consumer_headers).json()["status"]
        == "captured"
    )


def test_reconcile_asks_the_gateway_about_pending_payments(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    gateway.pay(made.order.order_id, capture=False)  # authorized; the webhook was lost
    later = datetime.now(UTC) + timedelta(seconds=3600)
    assert payments.due_for_reconcile(session, now=later) == [made.payment.id]
    assert payments.due_for_reconcile(session) == []  # not yet: the webhook may still come
    payments.reconcile(session, payment_id=made.payment.id)
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CAPTURED  # captured at the gateway, then applied
    assert kinds(session, payment) == ["order_created", "reconciled", "captured"]
    assert payments.due_for_reconcile(session, now=later) == []


def test_reconcile_survives_a_gateway_outage(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    gateway.mode = "crash"
    payments.reconcile(session, payment_id=made.payment.id)
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CREATED
    [event] = [
        e
        for e in payments.events_of(session, payment_id=payment.id)
        if e.kind is PaymentEventKind.RECONCILED
    ]
    assert "500" in event.data["error"]


def test_the_test_gateway_pays_through_its_own_webhook(session: Session, night: Night) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    assert made.payment.provider == "test"
    payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=True)
    assert [j.task_name for j in queued_jobs(session, task_name="deliver_test_webhook")] == [
        "deliver_test_webhook"
    ]
    run_jobs(session)
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CAPTURED
    assert kinds(session, payment) == ["order_created", "webhook", "captured"]
    events = session.exec(
        select(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, col(PaymentEvent.provider_event_id).is_not(None)
        )
    ).all()
    assert events[0].provider_event_id is not None
    assert events[0].provider_event_id.startswith("test:evt_test_")


def test_the_reconcile_job_confirms_a_payment_whose_webhook_was_lost(
    session: Session, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    payments.test_gateway().complete_checkout(made.order.order_id, succeed=True)  # no webhook
    made.payment.created_at = datetime.now(UTC) - timedelta(hours=1)
    session.add(made.payment)
    session.flush()
    jobs.defer(session, tasks.reconcile_payments, timestamp=int(datetime.now(UTC).timestamp()))
    run_jobs(session)
    payment = reload(session, made.payment)
    assert payment.status is PaymentStatus.CAPTURED
    assert kinds(session, payment) == ["order_created", "reconciled", "captured"]
    booking = session.get(Booking, made.booking.id)
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED


def test_the_expiry_job_marks_lapsed_holds(session: Session, night: Night) -> None:
    made = book(session, night=night)
    kept = book(session, night=night)
    made.booking.hold_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(made.booking)
    session.flush()
    jobs.defer(session, tasks.expire_holds, timestamp=int(datetime.now(UTC).timestamp()))
    run_jobs(session)
    session.expire_all()
    statuses = {
        b.id: b.status
        for b in session.exec(
            select(Booking).where(col(Booking.id).in_([made.booking.id, kept.booking.id]))
        )
    }
    assert statuses == {made.booking.id: BookingStatus.EXPIRED, kept.booking.id: BookingStatus.HELD}


def test_the_ledger_refuses_updates_and_deletes(session: Session) -> None:
    """Append-only in the database itself, not only by convention in the code."""
    booking = book(session, night=make_night(session, size=5))
    assert booking.payment is not None
    event = session.exec(
        select(PaymentEvent).where(PaymentEvent.payment_id == booking.payment.id)
    ).first()
    assert event is not None
    for statement in (
        sa.update(PaymentEvent).where(col(PaymentEvent.id) == event.id).values(amount_minor=1),
        sa.delete(PaymentEvent).where(col(PaymentEvent.id) == event.id),
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(statement)
    session.expire_all()
    assert session.get(PaymentEvent, event.id) is not None
