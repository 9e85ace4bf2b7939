"""A fake Razorpay API: a real HTTP server on 127.0.0.1 in a thread, with state in memory.

with FakeRazorpay() as gateway:
    provider = gateway.provider()            # a RazorpayProvider pointed at it
    order = provider.create_order(...)
    payment = gateway.pay(order.order_id)    # a customer pays: authorized, then captured
    body, headers = gateway.webhook("payment.captured", payment=payment)
    gateway.mode = "timeout"                 # "ok", "timeout", "crash" (500), "garbage", "refuse"
    gateway.requests                         # every request: method, path, headers, body

It speaks the parts of the API the adapter uses: orders, an order's payments,
payments, capture, refunds (with `receipt`), and signs webhooks like Razorpay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from app.providers.payments.razorpay import RazorpayProvider

Mode = Literal["ok", "timeout", "crash", "garbage", "refuse"]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class FakeRazorpay:
    KEY_ID = "rzp_test_fake"
    KEY_SECRET = "fake-key-secret"
    WEBHOOK_SECRET = "fake-webhook-secret"
    TIMEOUT = 0.5  # the adapter's timeout in tests; "timeout" mode sleeps longer

    def __init__(self) -> None:
        self.mode: Mode = "ok"
        self.requests: list[Received] = []
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        # What a new refund's status is: "pending" as Razorpay's often are at first
        # (settle them with `settle_refunds`).
        self.refund_status = "processed"
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("content-length", "0") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                gateway.requests.append(Received(method, self.path, headers, body))
                expected = (
                    "Basic "
                    + base64.b64encode(
                        f"{FakeRazorpay.KEY_ID}:{FakeRazorpay.KEY_SECRET}".encode()
                    ).decode()
                )
                if headers.get("authorization") != expected:
                    return self._json(401, _error("BAD_REQUEST_ERROR", "Authentication failed"))
                if gateway.mode == "timeout":
                    time.sleep(FakeRazorpay.TIMEOUT * 3)
                    return self._json(200, {})
                if gateway.mode == "crash":
                    return self._json(500, _error("SERVER_ERROR", "We are facing some trouble"))
                if gateway.mode == "garbage":
                    return self._send(200, b"<html>gateway maintenance</html>", "text/html")
                if gateway.mode == "refuse":
                    return self._json(400, _error("BAD_REQUEST_ERROR", "The request was refused"))
                status, answer = gateway.route(method, self.path, body or {})
                self._json(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _json(self, status: int, body: object) -> None:
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, raw: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout mode)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def provider(self) -> RazorpayProvider:
        return RazorpayProvider(
            key_id=self.KEY_ID,
            key_secret=self.KEY_SECRET,
            webhook_secret=self.WEBHOOK_SECRET,
            base_url=self.url,
            timeout=self.TIMEOUT,
        )

    def __enter__(self) -> FakeRazorpay:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the API ------------------------------------------------------------------
    def route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, object]:
        parts = [p for p in path.split("?")[0].split("/") if p][1:]  # drop "v1"
        with self._lock:
            match method, parts:
                case "POST", ["orders"]:
                    return 200, self._create_order(body)
                case "GET", ["orders", order_id, "payments"]:
                    if order_id not in self.orders:
                        return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
                    items = [p for p in self.payments.values() if p["order_id"] == order_id]
                    return 200, {"entity": "collection", "count": len(items), "items": items}
                case "GET", ["payments", payment_id]:
                    if payment_id not in self.payments:
                        return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
                    return 200, self.payments[payment_id]
                case "POST", ["payments", payment_id, "capture"]:
                    return self._capture(payment_id, body)
                case "POST", ["payments", payment_id, "refund"]:
                    return self._refund(payment_id, body)
                case "GET", ["payments", payment_id, "refunds"]:
                    items = [r for r in self.refunds.values() if r["payment_id"] == payment_id]
                    return 200, {"entity": "collection", "count": len(items), "items": items}
                case "GET", ["payments", payment_id, "refunds", refund_id]:
                    refund = self.refunds.get(refund_id)
                    if refund is None or refund["payment_id"] != payment_id:
                        return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
                    return 200, refund
        return 404, _error("BAD_REQUEST_ERROR", "The requested URL was not found on the server.")

    def _create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        order_id = "order_" + secrets.token_hex(7)
        order = {
            "id": order_id,
            "entity": "order",
            "amount": body["amount"],
            "amount_paid": 0,
            "amount_due": body["amount"],
            "currency": body["currency"],
            "receipt": body.get("receipt"),
            "status": "created",
            "attempts": 0,
            "notes": body.get("notes", {}),
            "created_at": int(time.time()),
        }
        self.orders[order_id] = order
        return order

    def _capture(self, payment_id: str, body: dict[str, Any]) -> tuple[int, object]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        if payment["status"] != "authorized":
            return 400, _error("BAD_REQUEST_ERROR", "This payment has already been captured")
        if body.get("amount") != payment["amount"]:
            return 400, _error("BAD_REQUEST_ERROR", "Capture amount must match")
        payment["status"] = "captured"
        payment["captured"] = True
        self.orders[payment["order_id"]]["status"] = "paid"
        return 200, payment

    def _refund(self, payment_id: str, body: dict[str, Any]) -> tuple[int, object]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        amount = body.get("amount", payment["amount"] - payment["amount_refunded"])
        if payment["status"] not in ("captured", "refunded"):
            return 400, _error("BAD_REQUEST_ERROR", "The payment has not been captured")
        if amount <= 0 or amount > payment["amount"] - payment["amount_refunded"]:
            return 400, _error(
                "BAD_REQUEST_ERROR", "The refund amount provided is greater than amount captured"
            )
        refund_id = "rfnd_" + secrets.token_hex(7)
        refund = {
            "id": refund_id,
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment_id,
            "receipt": body.get("receipt"),
            "notes": body.get("notes", {}),
            "status": self.refund_status,
            "created_at": int(time.time()),
        }
        self.refunds[refund_id] = refund
        payment["amount_refunded"] += amount
        payment["refund_status"] = (
            "full" if payment["amount_refunded"] == payment["amount"] else "partial"
        )
        if payment["amount_refunded"] == payment["amount"]:
            payment["status"] = "refunded"
        return 200, refund

    # --- what customers and Razorpay do -------------------------------------------

    def settle_refunds(self) -> None:
        """Razorpay processes every pending refund (no webhook is sent)."""
        for refund in self.refunds.values():
            if refund["status"] == "pending":
                refund["status"] = "processed"

    def pay(self, order_id: str, *, capture: bool = True, fail: bool = False) -> dict[str, Any]:
        """A customer pays the order at checkout (auto-capture by default)."""
        with self._lock:
            order = self.orders[order_id]
            payment_id = "pay_" + secrets.token_hex(7)
            status = "failed" if fail else ("captured" if capture else "authorized")
            payment = {
                "id": payment_id,
                "entity": "payment",
                "amount": order["amount"],
                "currency": order["currency"],
                "status": status,
                "order_id": order_id,
                "method": "upi",
                "amount_refunded": 0,
                "refund_status": None,
                "captured": status == "captured",
                "error_code": "BAD_REQUEST_ERROR" if fail else None,
                "error_description": "Payment failed" if fail else None,
                "created_at": int(time.time()),
            }
            self.payments[payment_id] = payment
            order["attempts"] += 1
            if status == "captured":
                order["status"] = "paid"
                order["amount_paid"] = order["amount"]
            return dict(payment)

    def checkout_signature(self, order_id: str, payment_id: str) -> str:
        message = f"{order_id}|{payment_id}".encode()
        return hmac.new(self.KEY_SECRET.encode(), message, hashlib.sha256).hexdigest()

    def webhook(
        self,
        event: str,
        *,
        payment: dict[str, Any] | None = None,
        refund: dict[str, Any] | None = None,
        event_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as Razorpay sends it: the raw body and its headers."""
        payload: dict[str, Any] = {}
        contains = []
        if payment is not None:
            payload["payment"] = {"entity": payment}
            contains.append("payment")
        if refund is not None:
            payload["refund"] = {"entity": refund}
            contains.append("refund")
        if payment is not None and event == "order.paid":
            payload["order"] = {"entity": self.orders[payment["order_id"]]}
            contains.append("order")
        body = json.dumps(
            {
                "entity": "event",
                "account_id": "acc_fake",
                "event": event,
                "contains": contains,
                "payload": payload,
                "created_at": int(time.time()),
            }
        ).encode()
        signature = hmac.new(
            (secret or self.WEBHOOK_SECRET).encode(), body, hashlib.sha256
        ).hexdigest()
        return body, {
            "X-Razorpay-Signature": signature,
            "X-Razorpay-Event-Id": event_id or ("evt_" + secrets.token_hex(7)),
            "Content-Type": "application/json",
        }


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": {"code": code, "description": description, "source": "NA", "step": "NA"}}
