"""The Razorpay adapter against a fake Razorpay server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.providers.payments.base import (
    GatewayError,
    GatewayPaymentStatus,
    GatewayRefundStatus,
    InvalidSignature,
    WebhookKind,
)
from tests.fakes.razorpay import FakeRazorpay


@pytest.fixture
def gateway() -> Iterator[FakeRazorpay]:
    with FakeRazorpay() as fake:
        yield fake


def test_an_order_is_created_for_the_amount_with_our_reference(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(
        amount=149_900, currency="INR", reference="booking-1234", notes={"booking": "1234"}
    )
    assert order.order_id.startswith("order_")
    assert (order.amount, order.currency) == (149_900, "INR")
    assert order.checkout == {
        "provider": "razorpay",
        "key_id": FakeRazorpay.KEY_ID,
        "order_id": order.order_id,
        "amount": 149_900,
        "currency": "INR",
        "name": "Socia",
    }
    sent = gateway.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/orders")
    assert sent.body == {
        "amount": 149_900,
        "currency": "INR",
        "receipt": "booking-1234",
        "notes": {"booking": "1234"},
    }


def test_receipts_and_notes_are_cut_to_razorpays_limits(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    notes = {f"k{i}": "v" * 300 for i in range(20)}
    provider.create_order(amount=100, currency="INR", reference="r" * 60, notes=notes)
    body = gateway.requests[-1].body
    assert body is not None
    assert len(body["receipt"]) == 40
    assert len(body["notes"]) == 15
    assert all(len(v) == 256 for v in body["notes"].values())


def test_the_checkout_signature_is_checked_with_the_key_secret(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=500, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id)
    good = gateway.checkout_signature(order.order_id, payment["id"])
    assert provider.verify_checkout(
        order_id=order.order_id, payment_id=payment["id"], signature=good
    )
    altered = good[:-1] + ("1" if good[-1] == "0" else "0")  # one hex digit changed
    assert not provider.verify_checkout(
        order_id=order.order_id, payment_id=payment["id"], signature=altered
    )
    # The same HMAC over another payment id does not pass.
    assert not provider.verify_checkout(order_id=order.order_id, payment_id="pay_x", signature=good)


def test_payments_of_an_order_are_fetched_with_their_state(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=500, currency="INR", reference="r", notes={})
    assert provider.fetch_order_payments(order.order_id) == []
    failed = gateway.pay(order.order_id, fail=True)
    paid = gateway.pay(order.order_id)
    payments = {p.payment_id: p for p in provider.fetch_order_payments(order.order_id)}
    assert payments[failed["id"]].status == GatewayPaymentStatus.FAILED
    assert payments[failed["id"]].error == "Payment failed"
    assert payments[paid["id"]].status == GatewayPaymentStatus.CAPTURED
    assert provider.fetch_payment(paid["id"]).amount == 500


def test_an_authorized_payment_is_captured(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=700, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id, capture=False)
    assert provider.fetch_payment(payment["id"]).status == GatewayPaymentStatus.AUTHORIZED
    captured = provider.capture(payment_id=payment["id"], amount=700, currency="INR")
    assert captured.status == GatewayPaymentStatus.CAPTURED
    with pytest.raises(GatewayError) as refused:
        provider.capture(payment_id=payment["id"], amount=700, currency="INR")
    assert refused.value.transient is False
    assert "already been captured" in str(refused.value)


def test_refunds_in_part_then_in_full_and_never_more(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=1_000, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id)
    first = provider.refund(payment_id=payment["id"], amount=300, reference="refund-1", notes={})
    assert (first.amount, first.status, first.reference) == (
        300,
        GatewayRefundStatus.PROCESSED,
        "refund-1",
    )
    assert provider.fetch_payment(payment["id"]).amount_refunded == 300
    with pytest.raises(GatewayError) as too_much:
        provider.refund(payment_id=payment["id"], amount=701, reference="refund-2", notes={})
    assert too_much.value.transient is False
    provider.refund(payment_id=payment["id"], amount=700, reference="refund-2", notes={})
    assert provider.fetch_payment(payment["id"]).status == GatewayPaymentStatus.REFUNDED
    found = provider.fetch_refunds(payment["id"])
    assert sorted(r.reference or "" for r in found) == ["refund-1", "refund-2"]
    again = provider.fetch_refund(payment_id=payment["id"], refund_id=first.refund_id)
    assert again.amount == 300


@pytest.mark.parametrize(
    ("mode", "transient"),
    [("timeout", True), ("crash", True), ("garbage", True), ("refuse", False)],
)
def test_gateway_failures_say_whether_to_try_again(
    gateway: FakeRazorpay, mode: str, transient: bool
) -> None:
    provider = gateway.provider()
    gateway.mode = mode  # type: ignore[assignment]
    with pytest.raises(GatewayError) as failed:
        provider.create_order(amount=100, currency="INR", reference="r", notes={})
    assert failed.value.transient is transient
    gateway.mode = "ok"
    assert provider.create_order(amount=100, currency="INR", reference="r", notes={}).order_id


def test_an_unreachable_gateway_is_transient() -> None:
    with FakeRazorpay() as fake:
        provider = fake.provider()
    with pytest.raises(GatewayError) as failed:  # the server is shut down now
        provider.fetch_payment("pay_123")
    assert failed.value.transient is True


def test_ids_that_could_change_the_url_are_refused_before_sending(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    for bad in ("../orders", "pay_1/capture", "", "x" * 65, "pay 1"):
        with pytest.raises(GatewayError):
            provider.fetch_payment(bad)
    assert gateway.requests == []


def test_wrong_credentials_are_a_permanent_failure(gateway: FakeRazorpay) -> None:
    from app.providers.payments.razorpay import RazorpayProvider

    provider = RazorpayProvider(
        key_id="rzp_test_other",
        key_secret="nope",
        webhook_secret="x",
        base_url=gateway.url,
        timeout=FakeRazorpay.TIMEOUT,
    )
    with pytest.raises(GatewayError) as refused:
        provider.create_order(amount=100, currency="INR", reference="r", notes={})
    assert refused.value.transient is False
    assert refused.value.status == 401


def test_a_signed_webhook_is_parsed(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=900, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=payment, event_id="evt_1")
    event = provider.parse_webhook(body=body, headers=headers)
    assert event.event_id == "evt_1"
    assert event.kind == WebhookKind.PAYMENT_CAPTURED
    assert event.order_id == order.order_id
    assert event.payment is not None
    assert (event.payment.payment_id, event.payment.status, event.payment.amount) == (
        payment["id"],
        GatewayPaymentStatus.CAPTURED,
        900,
    )
    assert event.occurred_at is not None


def test_a_refund_webhook_carries_the_refund(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=900, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id)
    refund = provider.refund(payment_id=payment["id"], amount=900, reference="rf", notes={})
    body, headers = gateway.webhook("refund.processed", refund=refund.raw, payment=payment)
    event = provider.parse_webhook(body=body, headers=headers)
    assert event.kind == WebhookKind.REFUND_PROCESSED
    assert event.refund is not None
    assert (event.refund.refund_id, event.refund.amount) == (refund.refund_id, 900)


def test_unknown_events_are_kept_as_other(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    body, headers = gateway.webhook("settlement.processed")
    event = provider.parse_webhook(body=body, headers=headers)
    assert (event.kind, event.name, event.payment) == (
        WebhookKind.OTHER,
        "settlement.processed",
        None,
    )


def test_forged_or_unsigned_webhooks_are_refused(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    order = provider.create_order(amount=900, currency="INR", reference="r", notes={})
    payment = gateway.pay(order.order_id)
    body, headers = gateway.webhook("payment.captured", payment=payment, secret="guessed")
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body=body, headers=headers)
    good_body, good_headers = gateway.webhook("payment.captured", payment=payment)
    with pytest.raises(InvalidSignature):  # the body changed after signing
        provider.parse_webhook(body=good_body.replace(b"900", b"100"), headers=good_headers)
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body=good_body, headers={})


def test_a_webhook_without_an_event_id_gets_one_from_its_body(gateway: FakeRazorpay) -> None:
    provider = gateway.provider()
    body, headers = gateway.webhook("settlement.processed")
    del headers["X-Razorpay-Event-Id"]
    first = provider.parse_webhook(body=body, headers=headers)
    second = provider.parse_webhook(body=body, headers=headers)
    assert first.event_id == second.event_id
    assert len(first.event_id) == 64
