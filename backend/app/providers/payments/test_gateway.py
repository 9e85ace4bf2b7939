"""The `test` gateway: a payment gateway built into the backend, for development and demos.

It behaves like a separate system that happens to live in the same database: its book
(orders, payment attempts, refunds) is kept in its own schema, `test_gateway`, written
with plain SQL on its own short connections that commit at once, never inside the
caller's transaction (a real gateway does not roll back when our request does). The
schema is made on first use; the app's migrations and models know nothing of it.

A customer pays on its checkout page (`app/web/checkout.py`, `/checkout/test/{order}`):
`complete_checkout` records the attempt (captured, or failed) and returns what a real
gateway would then send: the checkout callback's signature for the client, and a
webhook body signed with the webhook secret (`X-Test-Gateway-Signature`, an
HMAC-SHA256 of the raw body, and `X-Test-Gateway-Event-Id`), which the payment service
delivers to its own webhook handler through the job queue.

No money moves. Production refuses this provider (see `app.core.config`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.core import db
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

SIGNATURE_HEADER = "x-test-gateway-signature"
EVENT_ID_HEADER = "x-test-gateway-event-id"

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS test_gateway;
CREATE TABLE IF NOT EXISTS test_gateway.orders (
    id text PRIMARY KEY,
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL,
    receipt text NOT NULL,
    notes jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS test_gateway.payments (
    id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES test_gateway.orders (id),
    status text NOT NULL,
    amount bigint NOT NULL,
    currency text NOT NULL,
    amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded <= amount),
    error text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payments_order_id ON test_gateway.payments (order_id);
CREATE TABLE IF NOT EXISTS test_gateway.refunds (
    id text PRIMARY KEY,
    payment_id text NOT NULL REFERENCES test_gateway.payments (id),
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL,
    receipt text,
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS refunds_payment_id ON test_gateway.refunds (payment_id);
"""
# Any constant key: two processes creating the schema at once take turns.
_SCHEMA_LOCK_KEY = 7_310_024_001
_schema_ready: set[str] = set()
_schema_lock = threading.Lock()


@dataclass(frozen=True)
class CheckoutResult:
    """What the checkout page leaves behind: the attempt, the client callback's fields,
    and the webhook delivery (raw body and headers) the gateway sends us."""

    payment: GatewayPayment
    signature: str
    webhook_body: bytes
    webhook_headers: dict[str, str]


def _sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


_BOOK_POOL_SIZE = 4
_book_engines: dict[str, sa.Engine] = {}
_book_engines_lock = threading.Lock()


def _book_engine(app_engine: sa.Engine) -> sa.Engine:
    """The gateway's own engine on the app's database (its own schema, its own pool)."""
    url = app_engine.url.render_as_string(hide_password=False)
    with _book_engines_lock:
        engine = _book_engines.get(url)
        if engine is None:
            engine = db.make_engine(url, pool_size=_BOOK_POOL_SIZE, max_overflow=_BOOK_POOL_SIZE)
            _book_engines[url] = engine
        return engine


class TestGatewayProvider:
    name = "test"

    def __init__(self, *, key_secret: str, webhook_secret: str, checkout_base_url: str) -> None:
        self._key_secret = key_secret
        self._webhook_secret = webhook_secret
        self.checkout_base_url = checkout_base_url.rstrip("/")

    # --- its book -------------------------------------------------------------------
    def _connect(self) -> sa.Connection:
        """A connection of its own, outside any transaction of the caller's, from a
        small pool of its own: a request already holds one of the app's connections
        (its database slot, see app/core/db.py), so taking a second from that pool
        could leave every request waiting for one another."""
        engine = _book_engine(db.get_engine())
        key = str(engine.url)
        if key not in _schema_ready:
            with _schema_lock, engine.begin() as conn:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
                conn.exec_driver_sql(_SCHEMA)
            _schema_ready.add(key)
        try:
            return engine.connect()
        except sa.exc.OperationalError as exc:
            raise GatewayError("the test gateway's book is unreachable", transient=True) from exc

    # One statement is atomic by itself: sent in autocommit, without BEGIN and COMMIT
    # (two round trips fewer per order, on the path of every checkout).
    def _one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        with self._connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            row = auto.execute(sa.text(sql), params).mappings().first()
        return dict(row) if row is not None else None

    def _all(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self._connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            return [dict(row) for row in auto.execute(sa.text(sql), params).mappings()]

    # --- orders and payments ------------------------------------------------------------
    def create_order(
        self, *, amount: int, currency: str, reference: str, notes: dict[str, str]
    ) -> GatewayOrder:
        if amount <= 0:
            raise GatewayError("the amount must be positive", transient=False, status=400)
        order_id = "order_test_" + secrets.token_hex(8)
        self._one(
            "INSERT INTO test_gateway.orders (id, amount, currency, receipt, notes) "
            "VALUES (:id, :amount, :currency, :receipt, CAST(:notes AS jsonb)) RETURNING id",
            id=order_id,
            amount=amount,
            currency=currency,
            receipt=reference[:40],
            notes=json.dumps(notes),
        )
        return GatewayOrder(
            order_id=order_id,
            amount=amount,
            currency=currency,
            checkout={
                "provider": self.name,
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
                "checkout_url": f"{self.checkout_base_url}/{order_id}",
            },
            raw={"id": order_id, "amount": amount, "currency": currency, "receipt": reference},
        )

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        """The order as its checkout page shows it, with whether it is paid."""
        return self._one(
            "SELECT o.id, o.amount, o.currency, o.receipt, EXISTS ("
            "  SELECT 1 FROM test_gateway.payments p"
            "  WHERE p.order_id = o.id AND p.status IN ('captured', 'refunded')) AS paid "
            "FROM test_gateway.orders o WHERE o.id = :id",
            id=order_id,
        )

    def complete_checkout(self, order_id: str, *, succeed: bool) -> CheckoutResult:
        """The customer pressed Pay (a captured attempt) or Fail (a failed one)."""
        payment_id = "pay_test_" + secrets.token_hex(8)
        with self._connect() as conn, conn.begin():
            order = (
                conn.execute(
                    sa.text("SELECT * FROM test_gateway.orders WHERE id = :id FOR UPDATE"),
                    {"id": order_id},
                )
                .mappings()
                .first()
            )
            if order is None:
                raise GatewayError("no such order", transient=False, status=404)
            paid = conn.execute(
                sa.text(
                    "SELECT 1 FROM test_gateway.payments WHERE order_id = :id "
                    "AND status IN ('captured', 'refunded')"
                ),
                {"id": order_id},
            ).first()
            if paid is not None:
                raise GatewayError("the order is already paid", transient=False, status=400)
            row = (
                conn.execute(
                    sa.text(
                        "INSERT INTO test_gateway.payments "
                        "(id, order_id, status, amount, currency, error) "
                        "VALUES (:id, :order_id, :status, :amount, :currency, :error) RETURNING *"
                    ),
                    {
                        "id": payment_id,
                        "order_id": order_id,
                        "status": "captured" if succeed else "failed",
                        "amount": order["amount"],
                        "currency": order["currency"],
                        "error": None if succeed else "The payer pressed Fail",
                    },
                )
                .mappings()
                .one()
            )
        payment = _payment(dict(row))
        event = "payment.captured" if succeed else "payment.failed"
        body = json.dumps(
            {
                "event": event,
                "payload": {"payment": _payment_json(dict(row))},
                "created_at": int(datetime.now(UTC).timestamp()),
            }
        ).encode()
        headers = {
            SIGNATURE_HEADER: _sign(self._webhook_secret, body),
            EVENT_ID_HEADER: "evt_test_" + secrets.token_hex(8),
            "content-type": "application/json",
        }
        return CheckoutResult(
            payment=payment,
            signature=self.checkout_signature(order_id, payment_id),
            webhook_body=body,
            webhook_headers=headers,
        )

    def checkout_signature(self, order_id: str, payment_id: str) -> str:
        return _sign(self._key_secret, f"{order_id}|{payment_id}".encode())

    def verify_checkout(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        return signature_matches(self.checkout_signature(order_id, payment_id), signature)

    def fetch_order_payments(self, order_id: str) -> list[GatewayPayment]:
        rows = self._all(
            "SELECT * FROM test_gateway.payments WHERE order_id = :id ORDER BY created_at, id",
            id=order_id,
        )
        return [_payment(row) for row in rows]

    def fetch_payment(self, payment_id: str) -> GatewayPayment:
        row = self._one("SELECT * FROM test_gateway.payments WHERE id = :id", id=payment_id)
        if row is None:
            raise GatewayError("no such payment", transient=False, status=404)
        return _payment(row)

    def capture(self, *, payment_id: str, amount: int, currency: str) -> GatewayPayment:
        row = self._one(
            "UPDATE test_gateway.payments SET status = 'captured' "
            "WHERE id = :id AND status = 'authorized' AND amount = :amount "
            "AND currency = :currency RETURNING *",
            id=payment_id,
            amount=amount,
            currency=currency,
        )
        if row is None:
            raise GatewayError("the payment cannot be captured", transient=False, status=400)
        return _payment(row)

    # --- refunds ------------------------------------------------------------------------
    def refund(
        self,
        *,
        payment_id: str,
        amount: int,
        reference: str,
        notes: dict[str, str],
    ) -> GatewayRefund:
        with self._connect() as conn, conn.begin():
            payment = (
                conn.execute(
                    sa.text("SELECT * FROM test_gateway.payments WHERE id = :id FOR UPDATE"),
                    {"id": payment_id},
                )
                .mappings()
                .first()
            )
            if payment is None or payment["status"] not in ("captured", "refunded"):
                raise GatewayError("the payment is not captured", transient=False, status=400)
            if amount <= 0 or amount > payment["amount"] - payment["amount_refunded"]:
                raise GatewayError(
                    "the refund is more than is left of the payment", transient=False, status=400
                )
            refunded = payment["amount_refunded"] + amount
            conn.execute(
                sa.text(
                    "UPDATE test_gateway.payments SET amount_refunded = :refunded, "
                    "status = CASE WHEN :refunded = amount THEN 'refunded' ELSE status END "
                    "WHERE id = :id"
                ),
                {"refunded": refunded, "id": payment_id},
            )
            row = (
                conn.execute(
                    sa.text(
                        "INSERT INTO test_gateway.refunds "
                        "(id, payment_id, amount, currency, receipt, status) "
                        "VALUES (:id, :payment_id, :amount, :currency, :receipt, 'processed') "
                        "RETURNING *"
                    ),
                    {
                        "id": "rfnd_test_" + secrets.token_hex(8),
                        "payment_id": payment_id,
                        "amount": amount,
                        "currency": payment["currency"],
                        "receipt": reference[:40],
                    },
                )
                .mappings()
                .one()
            )
        return _refund(dict(row))

    def fetch_refund(self, *, payment_id: str, refund_id: str) -> GatewayRefund:
        row = self._one(
            "SELECT * FROM test_gateway.refunds WHERE id = :id AND payment_id = :payment_id",
            id=refund_id,
            payment_id=payment_id,
        )
        if row is None:
            raise GatewayError("no such refund", transient=False, status=404)
        return _refund(row)

    def fetch_refunds(self, payment_id: str) -> list[GatewayRefund]:
        rows = self._all(
            "SELECT * FROM test_gateway.refunds WHERE payment_id = :id ORDER BY created_at, id",
            id=payment_id,
        )
        return [_refund(row) for row in rows]

    # --- webhooks -----------------------------------------------------------------------
    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        signature = lowered.get(SIGNATURE_HEADER, "")
        if not signature or not signature_matches(_sign(self._webhook_secret, body), signature):
            raise InvalidSignature("the webhook signature does not match")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise GatewayError("a signed webhook that is not JSON", transient=False) from exc
        if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
            raise GatewayError("a signed webhook without a payload", transient=False)
        name = str(data.get("event", ""))
        entity = data["payload"].get("payment")
        payment = _payment(entity) if isinstance(entity, dict) else None
        kind = WebhookKind(name) if name in WebhookKind._value2member_map_ else WebhookKind.OTHER
        created = data.get("created_at")
        event_id = lowered.get(EVENT_ID_HEADER) or hashlib.sha256(body).hexdigest()
        return WebhookEvent(
            event_id=event_id[:100],
            kind=kind,
            name=name[:64],
            order_id=payment.order_id if payment is not None else None,
            payment=payment,
            refund=None,
            occurred_at=(
                datetime.fromtimestamp(created, UTC)
                if isinstance(created, int) and 0 < created < 2**33
                else None
            ),
            raw=data,
        )


def _payment_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "order_id": row["order_id"],
        "status": row["status"],
        "amount": int(row["amount"]),
        "currency": row["currency"],
        "amount_refunded": int(row.get("amount_refunded") or 0),
        "error": row.get("error"),
    }


def _payment(row: dict[str, Any]) -> GatewayPayment:
    try:
        status = GatewayPaymentStatus(str(row["status"]))
        return GatewayPayment(
            payment_id=str(row["id"]),
            order_id=str(row["order_id"]) if row.get("order_id") else None,
            status=status,
            amount=int(row["amount"]),
            currency=str(row["currency"]),
            amount_refunded=int(row.get("amount_refunded") or 0),
            error=row.get("error"),
            raw=_payment_json(row),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GatewayError("a payment the test gateway cannot read", transient=False) from exc


def _refund(row: dict[str, Any]) -> GatewayRefund:
    return GatewayRefund(
        refund_id=str(row["id"]),
        payment_id=str(row["payment_id"]),
        amount=int(row["amount"]),
        currency=str(row["currency"]),
        status=GatewayRefundStatus(str(row["status"])),
        reference=row.get("receipt"),
        raw={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()},
    )
