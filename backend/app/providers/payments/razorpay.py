"""Razorpay: Orders API, payment capture, refunds and signed webhooks.

- Requests use HTTP Basic auth with the key id and secret, JSON bodies, and a short
  timeout; amounts are integer paise.
- The client's checkout callback carries `razorpay_signature`, an HMAC-SHA256 of
  `"{order_id}|{payment_id}"` keyed with the key secret.
- Webhooks carry `X-Razorpay-Signature`, an HMAC-SHA256 of the raw body keyed with
  the webhook secret (a different secret), and `X-Razorpay-Event-Id`, the same for
  every delivery of one event.
- A refund carries our reference as its `receipt`, so a refund whose answer was lost
  can be found again (`fetch_refunds`) instead of being sent twice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from app.providers.payments.base import (
    GatewayError,
    GatewayOrder,
    GatewayPayment,
    GatewayPaymentStatus,
    GatewayRefund,
    GatewayRefundStatus,
    InvalidSignature,
    WebhookEvent,
    WebhookKind,
    signature_matches,
)

logger = logging.getLogger(__name__)

# Razorpay limits: a receipt of at most 40 characters, at most 15 notes of 256.
_RECEIPT_MAX = 40
_NOTES_MAX = 15
_NOTE_VALUE_MAX = 256


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class RazorpayProvider:
    name = "razorpay"

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        webhook_secret: str,
        base_url: str = "https://api.razorpay.com/v1",
        timeout: float = 10.0,
        checkout_name: str = "Socia",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.key_id = key_id
        self._key_secret = key_secret
        self._webhook_secret = webhook_secret
        self.checkout_name = checkout_name
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=(key_id, key_secret),
            timeout=timeout,
            headers={"accept": "application/json"},
            transport=transport,
        )

    # --- HTTP -------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            logger.warning("razorpay %s %s timed out", method, path)
            raise GatewayError("the payment gateway timed out", transient=True) from exc
        except httpx.HTTPError as exc:
            logger.warning("razorpay %s %s unreachable: %s", method, path, type(exc).__name__)
            raise GatewayError("the payment gateway is unreachable", transient=True) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayError(
                f"the payment gateway answered {response.status_code}",
                transient=True,
                status=response.status_code,
            )
        if response.status_code >= 400:
            reason = _error_description(data) or f"refused with {response.status_code}"
            raise GatewayError(reason, transient=False, status=response.status_code)
        if not isinstance(data, dict):
            raise GatewayError(
                "the payment gateway sent a body that is not a JSON object",
                transient=True,
                status=response.status_code,
            )
        return data

    # --- orders and payments --------------------------------------------------------
    def create_order(
        self, *, amount: int, currency: str, reference: str, notes: dict[str, str]
    ) -> GatewayOrder:
        data = self._call(
            "POST",
            "/orders",
            {
                "amount": amount,
                "currency": currency,
                "receipt": reference[:_RECEIPT_MAX],
                "notes": _notes(notes),
            },
        )
        order_id = _str(data, "id")
        if _int(data, "amount") != amount or str(data.get("currency")) != currency:
            raise GatewayError(
                "the payment gateway created an order for another amount", transient=False
            )
        return GatewayOrder(
            order_id=order_id,
            amount=amount,
            currency=currency,
            checkout={
                "provider": self.name,
                "key_id": self.key_id,
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
                "name": self.checkout_name,
            },
            raw=data,
        )

    def verify_checkout(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        expected = hmac_sha256_hex(self._key_secret, f"{order_id}|{payment_id}".encode())
        return signature_matches(expected, signature)

    def fetch_order_payments(self, order_id: str) -> list[GatewayPayment]:
        data = self._call("GET", f"/orders/{_path(order_id)}/payments")
        items = data.get("items")
        if not isinstance(items, list):
            raise GatewayError("the payment gateway sent no payment list", transient=True)
        return [_payment(item) for item in items if isinstance(item, dict)]

    def fetch_payment(self, payment_id: str) -> GatewayPayment:
        return _payment(self._call("GET", f"/payments/{_path(payment_id)}"))

    def capture(self, *, payment_id: str, amount: int, currency: str) -> GatewayPayment:
        return _payment(
            self._call(
                "POST",
                f"/payments/{_path(payment_id)}/capture",
                {"amount": amount, "currency": currency},
            )
        )

    # --- refunds ------------------------------------------------------------------
    def refund(
        self, *, payment_id: str, amount: int, reference: str, notes: dict[str, str]
    ) -> GatewayRefund:
        return _refund(
            self._call(
                "POST",
                f"/payments/{_path(payment_id)}/refund",
                {"amount": amount, "receipt": reference[:_RECEIPT_MAX], "notes": _notes(notes)},
            )
        )

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund:
        return _refund(
            self._call("GET", f"/payments/{_path(payment_id)}/refunds/{_path(refund_id)}")
        )

    def fetch_refunds(self, payment_id: str) -> list[GatewayRefund]:
        data = self._call("GET", f"/payments/{_path(payment_id)}/refunds")
        items = data.get("items")
        if not isinstance(items, list):
            raise GatewayError("the payment gateway sent no refund list", transient=True)
        return [_refund(item) for item in items if isinstance(item, dict)]

    # --- webhooks -----------------------------------------------------------------
    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        signature = lowered.get("x-razorpay-signature", "")
        expected = hmac_sha256_hex(self._webhook_secret, body)
        if not signature or not signature_matches(expected, signature):
            raise InvalidSignature("the webhook signature does not match")
        try:
            import orjson

            data = orjson.loads(body)
        except ValueError as exc:
            raise GatewayError("a signed webhook that is not JSON", transient=False) from exc
        if not isinstance(data, dict):
            raise GatewayError("a signed webhook that is not a JSON object", transient=False)
        name = str(data.get("event", ""))
        payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        assert isinstance(payload, dict)
        payment = _entity(payload, "payment")
        refund = _entity(payload, "refund")
        order = _entity(payload, "order")
        event_id = lowered.get("x-razorpay-event-id") or hashlib.sha256(body).hexdigest()
        created = data.get("created_at")
        kind = WebhookKind(name) if name in WebhookKind._value2member_map_ else WebhookKind.OTHER
        parsed_payment = _payment(payment) if payment is not None else None
        order_id = (
            parsed_payment.order_id
            if parsed_payment is not None and parsed_payment.order_id
            else (str(order["id"]) if order is not None and "id" in order else None)
        )
        return WebhookEvent(
            event_id=event_id[:128],
            kind=kind,
            name=name[:64],
            order_id=order_id,
            payment=parsed_payment,
            refund=_refund(refund) if refund is not None else None,
            occurred_at=(
                datetime.fromtimestamp(created, UTC)
                if isinstance(created, int) and 0 < created < 2**33
                else None
            ),
            raw=data,
        )


# --- parsing helpers ---------------------------------------------------------------
def _error_description(data: object) -> str | None:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("description"), str):
            return str(error["description"])[:300]
    return None


def _path(identifier: str) -> str:
    """Gateway ids are `[A-Za-z0-9_]`; anything else is refused before it reaches a URL."""
    if not identifier or not identifier.replace("_", "").isalnum() or len(identifier) > 64:
        raise GatewayError("not a gateway id", transient=False)
    return identifier


def _notes(notes: dict[str, str]) -> dict[str, str]:
    return {str(k)[:64]: str(v)[:_NOTE_VALUE_MAX] for k, v in list(notes.items())[:_NOTES_MAX]}


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise GatewayError(f"the payment gateway's answer has no {key}", transient=True)
    return value


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GatewayError(f"the payment gateway's answer has no valid {key}", transient=True)
    return value


def _entity(payload: dict[str, Any], key: str) -> dict[str, Any] | None:
    wrapper = payload.get(key)
    if isinstance(wrapper, dict) and isinstance(wrapper.get("entity"), dict):
        entity: dict[str, Any] = wrapper["entity"]
        return entity
    return None


_PAYMENT_STATUSES = {s.value: s for s in GatewayPaymentStatus}
_REFUND_STATUSES = {s.value: s for s in GatewayRefundStatus}


def _payment(data: dict[str, Any]) -> GatewayPayment:
    status = _PAYMENT_STATUSES.get(str(data.get("status")))
    if status is None:
        raise GatewayError(f"unknown payment status {data.get('status')!r}", transient=True)
    order_id = data.get("order_id")
    return GatewayPayment(
        payment_id=_str(data, "id"),
        order_id=order_id if isinstance(order_id, str) and order_id else None,
        status=status,
        amount=_int(data, "amount"),
        currency=_str(data, "currency"),
        amount_refunded=_int(data, "amount_refunded", 0),
        error=(
            str(data["error_description"])[:300]
            if isinstance(data.get("error_description"), str)
            else None
        ),
        raw=data,
    )


def _refund(data: dict[str, Any]) -> GatewayRefund:
    status = _REFUND_STATUSES.get(str(data.get("status")))
    if status is None:
        raise GatewayError(f"unknown refund status {data.get('status')!r}", transient=True)
    return GatewayRefund(
        refund_id=_str(data, "id"),
        payment_id=_str(data, "payment_id"),
        amount=_int(data, "amount"),
        currency=_str(data, "currency"),
        status=status,
        reference=data.get("receipt") if isinstance(data.get("receipt"), str) else None,
        raw=data,
    )
