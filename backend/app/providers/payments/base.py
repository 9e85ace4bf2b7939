"""The payment provider interface: what every gateway adapter offers the payment service.

A provider knows nothing of bookings, orders or wallets. It creates a gateway order
for an amount with our reference, says what the client needs to check out, verifies
the client's callback signature, fetches a payment's state, captures and refunds, and
parses and verifies webhooks. Amounts are integer minor units (paise) with an ISO
currency code.

Failures raise `GatewayError`: `transient=True` when trying again later may work (a
timeout, a 5xx, a body we could not read: the gateway's state is unknown and a job
reconciles it), `transient=False` when the gateway refused the request for good (a
4xx with its reason). A webhook whose signature does not verify raises
`InvalidSignature`, and nothing of it may be recorded.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class GatewayError(Exception):
    """The gateway did not do what was asked (see `transient`)."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status


class InvalidSignature(Exception):
    """A webhook or client callback whose signature is missing or wrong."""


def signature_matches(expected: str, given: str) -> bool:
    """A constant-time comparison of a hex signature with what a caller sent, which may
    be any text (`hmac.compare_digest` raises on non-ASCII `str`: compare bytes)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


class GatewayPaymentStatus(StrEnum):
    """A payment attempt as the gateway sees it."""

    CREATED = "created"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"  # fully refunded (a captured payment refunded in part stays CAPTURED)


class GatewayRefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


@dataclass(frozen=True)
class GatewayOrder:
    """A gateway order that the client pays, and what its checkout needs."""

    order_id: str
    amount: int
    currency: str
    checkout: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayPayment:
    payment_id: str
    order_id: str | None
    status: GatewayPaymentStatus
    amount: int
    currency: str
    amount_refunded: int = 0
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    refund_id: str
    payment_id: str
    amount: int
    currency: str
    status: GatewayRefundStatus
    reference: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class WebhookKind(StrEnum):
    """The webhook events the payment service acts on; anything else is recorded only."""

    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_FAILED = "payment.failed"
    ORDER_PAID = "order.paid"
    REFUND_PROCESSED = "refund.processed"
    REFUND_FAILED = "refund.failed"
    OTHER = "other"


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook, reduced to what the payment service needs.

    `event_id` identifies the delivery's event (the same event delivered twice has
    the same id), so the ledger records it once.
    """

    event_id: str
    kind: WebhookKind
    name: str
    order_id: str | None
    payment: GatewayPayment | None
    refund: GatewayRefund | None
    occurred_at: datetime | None
    raw: dict[str, Any]


class PaymentProvider(Protocol):
    name: str

    def create_order(
        self, *, amount: int, currency: str, reference: str, notes: dict[str, str]
    ) -> GatewayOrder: ...

    def verify_checkout(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        """The client's callback after checkout: does its signature prove the payment?"""
        ...

    def fetch_order_payments(self, order_id: str) -> list[GatewayPayment]: ...

    def fetch_payment(self, payment_id: str) -> GatewayPayment: ...

    def capture(self, *, payment_id: str, amount: int, currency: str) -> GatewayPayment: ...

    def refund(
        self, *, payment_id: str, amount: int, reference: str, notes: dict[str, str]
    ) -> GatewayRefund: ...

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund: ...

    def fetch_refunds(self, payment_id: str) -> list[GatewayRefund]:
        """Every refund of a payment, with the reference it was sent with."""
        ...

    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        """Verify the signature over the raw body, then parse (InvalidSignature first)."""
        ...
