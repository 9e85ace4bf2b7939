"""Refunds through the gateway: partial then full and never more, transient failures
retried, permanent ones failed (the amount can be refunded again), and an answer lost
on the way back never refunded twice. Against a fake Razorpay on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core import jobs
from app.core.errors import BookingNotPaid, RefundExceedsPaid
from app.models.payment import (
    Payment,
    PaymentEventKind,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from app.providers.payments.base import GatewayError, GatewayRefund
from app.providers.payments.razorpay import RazorpayProvider
from app.services import payments, tasks
from tests.factories.jobs import make_due, queued_jobs, run_jobs
from tests.factories.payments import Night, book, make_night
from tests.fakes.razorpay import FakeRazorpay


@pytest.fixture
def gateway() -> Iterator[FakeRazorpay]:
    with FakeRazorpay() as fake, payments.use_provider(fake.provider()):
        yield fake


@pytest.fixture
def night(session: Session) -> Night:
    return make_night(session, size=50, price_minor=100_000)


def captured(session: Session, gateway: FakeRazorpay, night: Night) -> Payment:
    made = book(session, night=night)
    assert made.payment is not None
    assert made.order is not None
    paid = gateway.pay(made.order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=paid)
    payments.handle_webhook(session, provider_name="razorpay", body=body, headers=headers)
    payment = payments.lock(session, payment_id=made.payment.id)
    assert payment.status is PaymentStatus.CAPTURED
    return payment


def refunds_of(session: Session, payment: Payment) -> list[Refund]:
    session.expire_all()
    return list(
        session.exec(
            select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.created_at)  # type: ignore[arg-type]
        )
    )


def test_partial_then_full_and_never_more(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    payments.request_refund(session, payment=payment, amount=30_000, reason=RefundReason.MANAGER)
    with pytest.raises(RefundExceedsPaid):
        payments.request_refund(
            session, payment=payment, amount=70_001, reason=RefundReason.MANAGER
        )
    payments.request_refund(session, payment=payment, amount=None, reason=RefundReason.MANAGER)
    with pytest.raises(RefundExceedsPaid):
        payments.request_refund(session, payment=payment, amount=1, reason=RefundReason.MANAGER)
    assert len(queued_jobs(session, task_name="send_refund")) == 2
    run_jobs(session)
    refunds = refunds_of(session, payment)
    assert [(r.amount_minor, r.status) for r in refunds] == [
        (30_000, RefundStatus.PROCESSED),
        (70_000, RefundStatus.PROCESSED),
    ]
    assert sorted(r["amount"] for r in gateway.refunds.values()) == [30_000, 70_000]
    assert all(r["receipt"] in {x.id.hex for x in refunds} for r in gateway.refunds.values())
    session.refresh(payment)
    assert payment.refunded_minor == 100_000
    events = [e.kind for e in payments.events_of(session, payment_id=payment.id)]
    assert events.count(PaymentEventKind.REFUND_REQUESTED) == 2
    assert events.count(PaymentEventKind.REFUND_PROCESSED) == 2


def test_an_unpaid_payment_cannot_be_refunded(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.payment is not None
    with pytest.raises(BookingNotPaid):
        payments.request_refund(
            session, payment=made.payment, amount=None, reason=RefundReason.MANAGER
        )


def test_a_transient_failure_is_retried(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    payments.request_refund(session, payment=payment, amount=None, reason=RefundReason.MANAGER)
    gateway.mode = "crash"
    run_jobs(session)
    [job] = queued_jobs(session, task_name="send_refund")
    assert (job.status, job.attempts) == ("todo", 1)  # waiting for its retry
    assert refunds_of(session, payment)[0].status is RefundStatus.PENDING
    gateway.mode = "timeout"
    make_due(session)
    run_jobs(session)
    assert queued_jobs(session, task_name="send_refund")[0].attempts == 2
    gateway.mode = "ok"
    make_due(session)
    run_jobs(session)
    assert queued_jobs(session, task_name="send_refund") == []  # succeeded
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PROCESSED
    assert len(gateway.refunds) == 1


def test_a_permanent_refusal_fails_the_refund_and_frees_its_amount(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    payments.request_refund(session, payment=payment, amount=40_000, reason=RefundReason.MANAGER)
    gateway.mode = "refuse"
    run_jobs(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.FAILED
    assert refund.last_error == "The request was refused"
    session.refresh(payment)
    assert payment.refunded_minor == 0
    assert PaymentEventKind.REFUND_FAILED in [
        e.kind for e in payments.events_of(session, payment_id=payment.id)
    ]
    gateway.mode = "ok"
    payments.request_refund(session, payment=payment, amount=None, reason=RefundReason.MANAGER)
    run_jobs(session)
    assert sum(r["amount"] for r in gateway.refunds.values()) == 100_000


class LosesAnswers(RazorpayProvider):
    """The gateway makes the refund, but its answer never comes back."""

    def refund(self, **kwargs: Any) -> GatewayRefund:
        super().refund(**kwargs)
        raise GatewayError("the payment gateway timed out", transient=True)


def test_a_lost_answer_is_never_refunded_twice(session: Session, night: Night) -> None:
    with FakeRazorpay() as gateway:
        with payments.use_provider(gateway.provider()):
            payment = captured(session, gateway, night)
            payments.request_refund(
                session, payment=payment, amount=None, reason=RefundReason.MANAGER
            )
        losing = LosesAnswers(
            key_id=gateway.KEY_ID,
            key_secret=gateway.KEY_SECRET,
            webhook_secret=gateway.WEBHOOK_SECRET,
            base_url=gateway.url,
            timeout=gateway.TIMEOUT,
        )
        with payments.use_provider(losing):
            run_jobs(session)  # refunded at the gateway; we do not know it
            assert len(gateway.refunds) == 1
            assert refunds_of(session, payment)[0].status is RefundStatus.PENDING
            make_due(session)
            run_jobs(session)  # looked up first: found by its reference, not sent again
        assert len(gateway.refunds) == 1
        [refund] = refunds_of(session, payment)
        assert refund.status is RefundStatus.PROCESSED
        assert refund.provider_refund_id == next(iter(gateway.refunds))


def test_a_refund_webhook_settles_a_pending_refund(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    refund = payments.request_refund(
        session, payment=payment, amount=10_000, reason=RefundReason.MANAGER
    )
    made = gateway.provider().refund(
        payment_id=payment.provider_payment_id or "",
        amount=10_000,
        reference=refund.id.hex,
        notes={},
    )
    body, headers = gateway.webhook("refund.processed", refund=made.raw)
    outcome = payments.handle_webhook(session, provider_name="razorpay", body=body, headers=headers)
    assert outcome.changed
    session.refresh(refund)
    assert refund.status is RefundStatus.PROCESSED
    run_jobs(session)  # the job finds it done: nothing sent
    assert len(gateway.refunds) == 1


def _age(session: Session, refund: Refund, *, hours: int = 1) -> None:
    session.execute(
        sa.update(Refund)
        .where(col(Refund.id) == refund.id)
        .values(updated_at=sa.func.now() - timedelta(hours=hours))
    )
    session.expire_all()


def _reconcile(session: Session) -> None:
    jobs.defer(session, tasks.reconcile_refunds, timestamp=int(datetime.now(UTC).timestamp()))
    run_jobs(session)


def test_a_refund_pending_at_the_gateway_whose_webhook_is_lost_is_settled_by_reconciling(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    payments.request_refund(session, payment=payment, amount=None, reason=RefundReason.MANAGER)
    gateway.refund_status = "pending"
    run_jobs(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PENDING
    assert refund.provider_refund_id == next(iter(gateway.refunds))
    gateway.settle_refunds()  # processed at the gateway; the webhook never arrives
    _reconcile(session)
    assert refunds_of(session, payment)[0].status is RefundStatus.PENDING  # too recent
    _age(session, refund)
    _reconcile(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PROCESSED
    assert len(gateway.refunds) == 1  # looked up, never sent again


def test_a_refund_whose_job_gave_up_is_sent_once_the_gateway_is_back(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    payments.request_refund(session, payment=payment, amount=50_000, reason=RefundReason.MANAGER)
    gateway.mode = "crash"
    run_jobs(session)
    session.execute(sa.text("DELETE FROM procrastinate_jobs WHERE task_name = 'send_refund'"))
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PENDING  # no job left to send it
    gateway.mode = "ok"
    _age(session, refund)
    _reconcile(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PROCESSED
    assert [r["amount"] for r in gateway.refunds.values()] == [50_000]
    _age(session, refund)
    _reconcile(session)  # settled refunds are left alone
    assert len(gateway.refunds) == 1


def _deliver(session: Session, gateway: FakeRazorpay, paid: dict[str, Any]) -> None:
    body, headers = gateway.webhook("payment.captured", payment=paid)
    payments.handle_webhook(session, provider_name="razorpay", body=body, headers=headers)


def test_a_second_attempt_captured_on_a_paid_order_is_given_back_once(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    payment = captured(session, gateway, night)
    assert payment.provider_order_id is not None
    first = payment.provider_payment_id
    again = gateway.pay(payment.provider_order_id)  # the customer paid a second time
    _deliver(session, gateway, again)
    _deliver(session, gateway, again)  # and the gateway says so twice
    [refund] = refunds_of(session, payment)
    assert (refund.reason, refund.amount_minor) == (RefundReason.STRAY_CAPTURE, 100_000)
    assert refund.stray_payment_id == again["id"]
    run_jobs(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.PROCESSED
    assert [(r["payment_id"], r["amount"]) for r in gateway.refunds.values()] == [
        (again["id"], 100_000)
    ]
    session.refresh(payment)
    # The payment itself stays paid in full, by its first attempt.
    assert (payment.status, payment.provider_payment_id) == (PaymentStatus.CAPTURED, first)
    assert payment.refunded_minor == 0
    assert payments.refundable(payment) == 100_000


def test_a_capture_of_the_wrong_amount_is_not_applied_and_is_given_back(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.order is not None
    assert made.payment is not None
    paid = gateway.pay(made.order.order_id)
    gateway.payments[paid["id"]]["amount"] = paid["amount"] = 1_000  # not what was asked
    _deliver(session, gateway, paid)
    payment = payments.lock(session, payment_id=made.payment.id)
    assert payment.status is PaymentStatus.CREATED
    [refund] = refunds_of(session, payment)
    assert (refund.reason, refund.amount_minor) == (RefundReason.STRAY_CAPTURE, 1_000)
    gateway.mode = "refuse"
    run_jobs(session)
    [refund] = refunds_of(session, payment)
    assert refund.status is RefundStatus.FAILED
    session.refresh(payment)
    assert payment.refunded_minor == 0  # a stray refund never counted against the payment


def test_reconciling_finds_every_captured_attempt(
    session: Session, gateway: FakeRazorpay, night: Night
) -> None:
    made = book(session, night=night)
    assert made.order is not None
    assert made.payment is not None
    one, two = gateway.pay(made.order.order_id), gateway.pay(made.order.order_id)
    payments.reconcile(session, payment_id=made.payment.id)  # both webhooks were lost
    payment = payments.lock(session, payment_id=made.payment.id)
    assert payment.status is PaymentStatus.CAPTURED
    [refund] = refunds_of(session, payment)
    assert {payment.provider_payment_id, refund.stray_payment_id} == {one["id"], two["id"]}
