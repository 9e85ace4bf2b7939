"""An outside review of the money routes: hostile input answers a clear 4xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.providers.payments.razorpay import RazorpayProvider
from tests.factories import auth_headers, make_consumer
from tests.factories.payments import Night, make_night


@pytest.fixture
def night(session: Session) -> Night:
    return make_night(session, size=50)


def test_a_non_ascii_checkout_signature_is_refused_not_a_500(
    session: Session, client: TestClient, night: Night
) -> None:
    headers = auth_headers(make_consumer(session))
    made = client.post(
        f"/api/v1/events/{night.event.id}/bookings",
        json={"items": [{"offering_id": str(night.offering.id), "quantity": 1}]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    payment_id = made.json()["checkout"]["payment_id"]
    resp = client.post(
        f"/api/v1/payments/{payment_id}/verify",
        json={"provider_payment_id": "pay_x", "signature": "\u00e9"},
        headers=headers,
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_checkout_signature"


def test_a_non_ascii_webhook_signature_is_a_400(client: TestClient) -> None:
    resp = client.post(
        "/api/v1/payments/webhooks/test",
        content=b"{}",
        headers={"x-test-gateway-signature": b"\xff\xfe"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_webhook_signature"


def test_razorpay_refuses_non_ascii_signatures_without_raising() -> None:
    provider = RazorpayProvider(key_id="rzp_test_x", key_secret="k", webhook_secret="w")
    assert not provider.verify_checkout(order_id="order_x", payment_id="pay_x", signature="\u00e9")
    from app.providers.payments.base import InvalidSignature

    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body=b"{}", headers={"x-razorpay-signature": "\u00ff"})


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00Z"]
)
@pytest.mark.parametrize("field", ["sale_starts_at", "sale_ends_at"])
def test_a_sale_window_outside_any_plausible_time_is_a_422_and_the_offerings_still_read(
    session: Session, client: TestClient, night: Night, when: str, field: str
) -> None:
    headers = auth_headers(night.owner)
    base = f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/offerings"
    made = client.post(
        base,
        json={
            "name": "Early bird",
            "kind": "stag",
            "price_minor": 100,
            field: when,
            "pools": [{"pool_id": str(night.pool.id)}],
        },
        headers=headers,
    )
    assert made.status_code == 422, made.text
    assert made.json()["detail"][0]["loc"] == ["body", field]
    changed = client.patch(f"{base}/{night.offering.id}", json={field: when}, headers=headers)
    assert changed.status_code == 422, changed.text
    assert client.get(f"/api/v1/events/{night.event.id}/offerings").status_code == 200
    assert client.get(base, headers=headers).status_code == 200
