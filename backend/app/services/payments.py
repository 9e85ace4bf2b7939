"""Payments: one set of rails for everything that costs money (bookings first).

- A payment is made with the provider *before* any row lock is taken (`open_order`),
  then recorded (`record_payment`) with its `order_created` event.
- Its state follows one state machine that never goes backwards, ranked
  created < failed < authorized < captured: a later successful attempt may still
  authorize or capture a payment after a failed one; nothing leaves captured.
  `apply_gateway_payment` moves it, under the payment's row lock (SELECT ... FOR
  UPDATE), always together with the event that records the change.
- Every request to and answer from the provider, every webhook and every refund is
  appended to `payment_event` (never updated or deleted). A webhook is recorded once
  (`provider_event_id` is unique): a duplicate, one for a payment we do not know, or
  one that arrives after a later state are absorbed (recorded, answered 200). A
  forged signature is refused before anything is written.
- When a payment's state changes, the thing it pays for is told (a booking is
  confirmed on capture, released on failure: `app.services.bookings`; an order is
  placed on capture, abandoned on failure: `app.services.orders`; a share of a
  split bill is paid, or refunded when it no longer fits, or failed:
  `app.services.bills`).
- Refunds: `request_refund` raises the payment's `refunded_minor` under its row lock
  (the CHECK `refunded_minor <= amount_minor` backs the rule) and queues `send_refund`;
  `send_refund` looks the refund up at the gateway first (a lost answer is never
  refunded twice), sends it, retries transient failures and fails permanent ones
  (which gives the amount back to what can be refunded).
- `reconcile_due` asks the gateway about payments still created, authorized or failed
  after `PAYMENT_RECONCILE_AFTER_SECONDS` (a lost webhook, a closed browser; a failed
  attempt may be followed by a paid one).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, SQLModel, col, select

from app.core import jobs
from app.core.config import settings
from app.core.errors import (
    BookingNotPaid,
    CheckoutNotAvailable,
    InvalidCheckoutSignature,
    InvalidWebhookSignature,
    NotFound,
    PaymentUnavailable,
    RefundExceedsPaid,
)
from app.crud.common import insert_together, table_of
from app.models import User
from app.models.payment import (
    WALLET_PROVIDER,
    Payment,
    PaymentEvent,
    PaymentEventKind,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from app.providers.payments.base import (
    GatewayError,
    GatewayOrder,
    GatewayPayment,
    GatewayPaymentStatus,
    GatewayRefund,
    GatewayRefundStatus,
    InvalidSignature,
    PaymentProvider,
    WebhookEvent,
    WebhookKind,
)
from app.providers.payments.razorpay import RazorpayProvider
from app.providers.payments.test_gateway import TestGatewayProvider

logger = logging.getLogger(__name__)

SessionOpener = Callable[[], AbstractContextManager[Session]]

# --- providers ------------------------------------------------------------------------

_providers: dict[str, PaymentProvider] = {}
_overrides: dict[str, PaymentProvider] = {}

CHECKOUT_PATH = "checkout/test"


def derive_key(purpose: str) -> str:
    """A secret of the test gateway's, derived from SECRET_KEY (stable across restarts)."""
    key = settings.SECRET_KEY.get_secret_value().encode()
    return hmac.new(key, f"socia:{purpose}".encode(), hashlib.sha256).hexdigest()


def _build(name: str) -> PaymentProvider | None:
    if name == "test" and not settings.is_production:
        return TestGatewayProvider(
            key_secret=derive_key("test-gateway-checkout"),
            webhook_secret=derive_key("test-gateway-webhook"),
            checkout_base_url=f"{settings.PUBLIC_BASE_URL}{CHECKOUT_PATH}",
        )
    if (
        name == "razorpay"
        and settings.RAZORPAY_KEY_ID
        and settings.RAZORPAY_KEY_SECRET
        and settings.RAZORPAY_WEBHOOK_SECRET
    ):
        return RazorpayProvider(
            key_id=settings.RAZORPAY_KEY_ID,
            key_secret=settings.RAZORPAY_KEY_SECRET.get_secret_value(),
            webhook_secret=settings.RAZORPAY_WEBHOOK_SECRET.get_secret_value(),
            base_url=str(settings.RAZORPAY_API_BASE_URL),
            timeout=settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS,
        )
    return None


def provider_for(name: str) -> PaymentProvider:
    """The configured provider of this name (404 for one that is unknown or not set up)."""
    if name in _overrides:
        return _overrides[name]
    provider = _providers.get(name)
    if provider is None:
        provider = _build(name)
        if provider is None:
            raise NotFound("payment provider")
        _providers[name] = provider
    return provider


def current_provider() -> PaymentProvider:
    """The provider new payments are made with (`PAYMENT_PROVIDER`)."""
    return provider_for(settings.PAYMENT_PROVIDER)


@contextmanager
def use_provider(provider: PaymentProvider, *, default: bool = True) -> Iterator[None]:
    """Route payments of `provider.name` to this instance (tests: a fake Razorpay);
    with `default`, new payments use it too."""
    saved = settings.PAYMENT_PROVIDER
    _overrides[provider.name] = provider
    if default:
        settings.PAYMENT_PROVIDER = provider.name  # type: ignore[assignment]
    try:
        yield
    finally:
        _overrides.pop(provider.name, None)
        settings.PAYMENT_PROVIDER = saved


def test_gateway() -> TestGatewayProvider:
    provider = provider_for("test")
    if not isinstance(provider, TestGatewayProvider):
        raise NotFound("payment provider")
    return provider


# --- the ledger -----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _append_event() -> Any:
    return sa.insert(table_of(PaymentEvent))


def _ledger_row(
    *,
    payment: Payment | None,
    kind: PaymentEventKind,
    amount_minor: int | None = None,
    refund_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "payment_id": payment.id if payment is not None else None,
        "kind": kind,
        "amount_minor": amount_minor,
        "refund_id": refund_id,
        "data": data or {},
        "created_at": _now(),
    }


def record(
    session: Session,
    *,
    payment: Payment | None,
    kind: PaymentEventKind,
    amount_minor: int | None = None,
    refund_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event to the ledger: one INSERT, after flushing what is pending (the
    payment it names), and no object to track (the ledger is only ever appended to)."""
    row = _ledger_row(
        payment=payment, kind=kind, amount_minor=amount_minor, refund_id=refund_id, data=data
    )
    session.execute(_append_event(), row)


def _record_once(
    session: Session,
    *,
    payment: Payment | None,
    provider_event_id: str,
    data: dict[str, Any],
    amount_minor: int | None,
) -> bool:
    """Record a webhook unless its event is in the ledger already (True: it was new)."""
    inserted = session.execute(
        pg_insert(PaymentEvent)
        .values(
            payment_id=payment.id if payment is not None else None,
            kind=PaymentEventKind.WEBHOOK.value,
            amount_minor=amount_minor,
            provider_event_id=provider_event_id,
            data=data,
        )
        .on_conflict_do_nothing(index_elements=["provider_event_id"])
        .returning(col(PaymentEvent.id))
    ).first()
    return inserted is not None


def events_of(session: Session, *, payment_id: uuid.UUID) -> list[PaymentEvent]:
    return list(
        session.exec(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment_id)
            .order_by(col(PaymentEvent.id))
        )
    )


def lock(session: Session, *, payment_id: uuid.UUID) -> Payment:
    """The payment, re-read under its row lock (held until the transaction ends)."""
    payment = session.exec(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if payment is None:
        raise NotFound("payment")
    return payment


# --- making a payment -----------------------------------------------------------------


def open_order(
    provider: PaymentProvider,
    *,
    payment_id: uuid.UUID,
    amount: int,
    currency: str,
    notes: dict[str, str],
) -> GatewayOrder:
    """Ask the gateway for an order for our payment. Call it before taking any row lock."""
    try:
        return provider.create_order(
            amount=amount, currency=currency, reference=payment_id.hex, notes=notes
        )
    except GatewayError as exc:
        logger.warning("the %s gateway made no order: %s", provider.name, exc)
        raise PaymentUnavailable() from exc


def record_payment(
    session: Session,
    *,
    payment_id: uuid.UUID,
    purpose: PaymentPurpose,
    payer: User,
    provider: PaymentProvider,
    order: GatewayOrder,
    booking_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    bill_share_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
    paying_for: SQLModel | None = None,
) -> Payment:
    """The payment row for a gateway order just made, with its `order_created` event,
    in one statement, after what is pending is flushed; `paying_for`, a new object the
    payment names (the booking it pays), is written in that statement too."""
    payment = Payment(
        id=payment_id,
        purpose=purpose,
        booking_id=booking_id,
        order_id=order_id,
        bill_share_id=bill_share_id,
        group_id=group_id,
        payer_id=payer.id,
        amount_minor=order.amount,
        currency=order.currency,
        provider=provider.name,
        provider_order_id=order.order_id,
    )
    event = _ledger_row(
        payment=payment,
        kind=PaymentEventKind.ORDER_CREATED,
        amount_minor=order.amount,
        data={"request": {"reference": payment_id.hex}, "answer": order.raw},
    )
    session.flush()
    written = [payment] if paying_for is None else [paying_for, payment]
    insert_together(session, written, rows=[(PaymentEvent, event)])
    return payment


# --- the state machine ----------------------------------------------------------------

RANK = {
    PaymentStatus.CREATED: 0,
    PaymentStatus.FAILED: 1,
    PaymentStatus.AUTHORIZED: 2,
    PaymentStatus.CAPTURED: 3,
}
_FROM_GATEWAY = {
    GatewayPaymentStatus.CREATED: PaymentStatus.CREATED,
    GatewayPaymentStatus.AUTHORIZED: PaymentStatus.AUTHORIZED,
    GatewayPaymentStatus.CAPTURED: PaymentStatus.CAPTURED,
    GatewayPaymentStatus.FAILED: PaymentStatus.FAILED,
    GatewayPaymentStatus.REFUNDED: PaymentStatus.CAPTURED,  # it was captured first
}
_EVENT_OF = {
    PaymentStatus.AUTHORIZED: PaymentEventKind.AUTHORIZED,
    PaymentStatus.CAPTURED: PaymentEventKind.CAPTURED,
    PaymentStatus.FAILED: PaymentEventKind.FAILED,
}


def transition(
    session: Session, *, payment: Payment, to: PaymentStatus, seen: GatewayPayment | None = None
) -> bool:
    """Move a *locked* payment to `to` if that is forward; the event and the change go
    together. Returns whether it moved. Tells the payment's purpose after a move."""
    if RANK[to] <= RANK[payment.status]:
        return False
    before = payment.status
    payment.status = to
    if seen is not None and to is not PaymentStatus.FAILED:
        payment.provider_payment_id = seen.payment_id
    if to is PaymentStatus.CAPTURED:
        payment.captured_at = _now()
    session.add(payment)
    record(
        session,
        payment=payment,
        kind=_EVENT_OF[to],
        amount_minor=seen.amount if seen is not None else payment.amount_minor,
        data={
            "from": before.value,
            "provider_payment_id": seen.payment_id if seen is not None else None,
            "error": seen.error if seen is not None else None,
        },
    )
    session.flush()
    _settle(session, payment=payment, before=before)
    return True


def apply_gateway_payment(session: Session, *, payment: Payment, seen: GatewayPayment) -> bool:
    """What the gateway says of one attempt, applied to a *locked* payment.

    Money captured on our order that this payment does not take (an attempt of the
    wrong amount, or a second attempt captured after another) is given back: a stray
    capture's refund, once per gateway payment."""
    to = _FROM_GATEWAY[seen.status]
    if to in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED) and (
        seen.amount != payment.amount_minor or seen.currency != payment.currency
    ):
        logger.error(
            "payment %s: the gateway reports %s %s, not %s %s; not applied",
            payment.id,
            seen.amount,
            seen.currency,
            payment.amount_minor,
            payment.currency,
        )
        if to is PaymentStatus.CAPTURED:
            _refund_stray(session, payment=payment, seen=seen)
        return False
    if (
        to is PaymentStatus.CAPTURED
        and payment.status is PaymentStatus.CAPTURED
        and payment.provider_payment_id not in (None, seen.payment_id)
    ):
        _refund_stray(session, payment=payment, seen=seen)
        return False
    return transition(session, payment=payment, to=to, seen=seen)


def _refund_stray(session: Session, *, payment: Payment, seen: GatewayPayment) -> None:
    """Give back a captured gateway payment that no payment of ours took."""
    from app.services import tasks  # tasks run this module's work: imported when needed

    if seen.amount <= 0:
        return
    table = sa.table(
        Refund.__tablename__,
        sa.column("id", sa.Uuid()),
        sa.column("payment_id", sa.Uuid()),
        sa.column("amount_minor"),
        sa.column("reason"),
        sa.column("status"),
        sa.column("stray_payment_id"),
    )
    refund_id = uuid.uuid4()
    made = session.execute(
        pg_insert(table)
        .values(
            id=refund_id,
            payment_id=payment.id,
            amount_minor=seen.amount,
            reason=RefundReason.STRAY_CAPTURE.value,
            status=RefundStatus.PENDING.value,
            stray_payment_id=seen.payment_id,
        )
        .on_conflict_do_nothing(index_elements=["stray_payment_id"])
        .returning(table.c.id)
    ).first()
    if made is None:
        return  # refunded already
    logger.warning(
        "payment %s: stray capture %s of %s %s on its order is refunded",
        payment.id,
        seen.payment_id,
        seen.amount,
        seen.currency,
    )
    record(
        session,
        payment=payment,
        kind=PaymentEventKind.REFUND_REQUESTED,
        amount_minor=seen.amount,
        refund_id=refund_id,
        data={"reason": RefundReason.STRAY_CAPTURE.value, "stray_payment_id": seen.payment_id},
    )
    jobs.defer(session, tasks.send_refund, refund_id=str(refund_id))


def _settle(session: Session, *, payment: Payment, before: PaymentStatus) -> None:
    """Tell what the payment is for that its state changed."""
    if payment.purpose is PaymentPurpose.BOOKING and payment.booking_id is not None:
        from app.services import bookings  # bookings makes payments: imported when needed

        if payment.status is PaymentStatus.CAPTURED:
            bookings.on_payment_captured(session, payment=payment)
        elif payment.status is PaymentStatus.FAILED and before is PaymentStatus.CREATED:
            bookings.on_payment_failed(session, payment=payment)
    elif payment.purpose is PaymentPurpose.ORDER and payment.order_id is not None:
        from app.services import orders  # orders make payments: imported when needed

        if payment.status is PaymentStatus.CAPTURED:
            orders.on_payment_captured(session, payment=payment)
        elif payment.status is PaymentStatus.FAILED and before is PaymentStatus.CREATED:
            orders.on_payment_failed(session, payment=payment)
    elif payment.purpose is PaymentPurpose.BILL_SHARE and payment.bill_share_id is not None:
        from app.services import bills  # bills make payments: imported when needed

        if payment.status is PaymentStatus.CAPTURED:
            bills.on_payment_captured(session, payment=payment)
        elif payment.status is PaymentStatus.FAILED and before is PaymentStatus.CREATED:
            bills.on_payment_failed(session, payment=payment)
    elif payment.purpose is PaymentPurpose.WALLET_TOP_UP and payment.group_id is not None:
        from app.services import wallets  # wallets make payments: imported when needed

        if payment.status is PaymentStatus.CAPTURED:
            wallets.on_top_up_captured(session, payment=payment)


def _best(attempts: list[GatewayPayment]) -> GatewayPayment | None:
    """The attempt that says most of an order: captured over authorized over failed."""
    if not attempts:
        return None
    return max(attempts, key=lambda a: RANK[_FROM_GATEWAY[a.status]])


# --- webhooks -------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookOutcome:
    recorded: bool  # False: the same event was recorded already
    payment_id: uuid.UUID | None  # None: a payment we do not know
    changed: bool


def handle_webhook(
    session: Session, *, provider_name: str, body: bytes, headers: dict[str, str]
) -> WebhookOutcome:
    """A webhook delivery, as received. A forged or missing signature raises
    `InvalidWebhookSignature` before anything is written; anything signed is absorbed."""
    provider = provider_for(provider_name)
    try:
        event = provider.parse_webhook(body=body, headers=headers)
    except InvalidSignature as exc:
        raise InvalidWebhookSignature() from exc
    except GatewayError as exc:  # signed, but nothing we can read: nothing to record once
        logger.warning("a signed %s webhook we cannot read: %s", provider_name, exc)
        return WebhookOutcome(recorded=False, payment_id=None, changed=False)
    return _apply_webhook(session, provider=provider, event=event)


def _find_payment(session: Session, *, provider: str, event: WebhookEvent) -> Payment | None:
    if event.order_id:
        found = session.exec(
            select(Payment).where(
                Payment.provider == provider, Payment.provider_order_id == event.order_id
            )
        ).first()
        if found is not None:
            return found
    payment_id = event.refund.payment_id if event.refund is not None else None
    if payment_id is None and event.payment is not None:
        payment_id = event.payment.payment_id
    if payment_id:
        found = session.exec(
            select(Payment).where(
                Payment.provider == provider, Payment.provider_payment_id == payment_id
            )
        ).first()
        if found is None:  # a stray capture we are giving back
            found = session.exec(
                select(Payment)
                .join(Refund, col(Refund.payment_id) == col(Payment.id))
                .where(Payment.provider == provider, Refund.stray_payment_id == payment_id)
            ).first()
        return found
    return None


def _apply_webhook(
    session: Session, *, provider: PaymentProvider, event: WebhookEvent
) -> WebhookOutcome:
    found = _find_payment(session, provider=provider.name, event=event)
    payment = lock(session, payment_id=found.id) if found is not None else None
    data = {
        "provider": provider.name,
        "event": event.name,
        "order_id": event.order_id,
        "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
        "body": event.raw,
    }
    amount = event.payment.amount if event.payment is not None else None
    new = _record_once(
        session,
        payment=payment,
        provider_event_id=f"{provider.name}:{event.event_id}",
        data=data,
        amount_minor=amount,
    )
    if not new or payment is None:
        return WebhookOutcome(
            recorded=new, payment_id=payment.id if payment else None, changed=False
        )
    changed = False
    if event.payment is not None and event.kind in (
        WebhookKind.PAYMENT_AUTHORIZED,
        WebhookKind.PAYMENT_CAPTURED,
        WebhookKind.PAYMENT_FAILED,
        WebhookKind.ORDER_PAID,
    ):
        changed = apply_gateway_payment(session, payment=payment, seen=event.payment)
    elif event.refund is not None and event.kind in (
        WebhookKind.REFUND_PROCESSED,
        WebhookKind.REFUND_FAILED,
    ):
        changed = _apply_gateway_refund(session, payment=payment, seen=event.refund)
    return WebhookOutcome(recorded=True, payment_id=payment.id, changed=changed)


# --- the client's callback ------------------------------------------------------------


def get_for_payer(session: Session, *, payment_id: uuid.UUID, payer: User) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.payer_id != payer.id:
        raise NotFound("payment")
    return payment


def verify_checkout(
    session: Session, *, payment: Payment, provider_payment_id: str, signature: str
) -> Payment:
    """The client's signed callback after checkout: check it, ask the gateway for the
    attempt (before locking), then apply it. A gateway that does not answer leaves the
    state to the webhook or the reconcile job."""
    provider = provider_for(payment.provider)
    if not payment.provider_order_id or not provider.verify_checkout(
        order_id=payment.provider_order_id, payment_id=provider_payment_id, signature=signature
    ):
        raise InvalidCheckoutSignature()
    seen: GatewayPayment | None = None
    error: str | None = None
    try:
        seen = provider.fetch_payment(provider_payment_id)
    except GatewayError as exc:
        error = str(exc)
    payment = lock(session, payment_id=payment.id)
    record(
        session,
        payment=payment,
        kind=PaymentEventKind.CHECKOUT_VERIFIED,
        data={
            "provider_payment_id": provider_payment_id,
            "answer": seen.raw if seen is not None else None,
            "error": error,
        },
    )
    if seen is not None and seen.order_id == payment.provider_order_id:
        apply_gateway_payment(session, payment=payment, seen=seen)
    return payment


# --- reconciling ----------------------------------------------------------------------


def reconcile(session: Session, *, payment_id: uuid.UUID) -> Payment:
    """Ask the gateway what became of a payment (capturing an authorized attempt), and
    apply the answer. The gateway is asked before the payment is locked."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment")
    provider = provider_for(payment.provider)
    best: GatewayPayment | None = None
    attempts: list[GatewayPayment] = []
    error: str | None = None
    try:
        attempts = provider.fetch_order_payments(payment.provider_order_id or "")
        best = _best(attempts)
        if (
            best is not None
            and best.status is GatewayPaymentStatus.AUTHORIZED
            and best.amount == payment.amount_minor
            and best.currency == payment.currency
        ):
            best = provider.capture(
                payment_id=best.payment_id, amount=best.amount, currency=best.currency
            )
    except GatewayError as exc:
        error = str(exc)
    payment = lock(session, payment_id=payment.id)
    record(
        session,
        payment=payment,
        kind=PaymentEventKind.RECONCILED,
        data={"answer": best.raw if best is not None else None, "error": error},
    )
    if best is not None:
        apply_gateway_payment(session, payment=payment, seen=best)
        for other in attempts:  # other attempts captured too: given back
            if (
                other.status is GatewayPaymentStatus.CAPTURED
                and other.payment_id != best.payment_id
            ):
                apply_gateway_payment(session, payment=payment, seen=other)
    return payment


def due_for_reconcile(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """Payments still created, authorized or failed after the delay (and less than a day
    old): a failed one may have been paid by a later attempt (the checkout's retry)
    whose webhook was lost."""
    now = now or _now()
    before = now - timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    return list(
        session.exec(
            select(Payment.id)
            .where(
                col(Payment.status).in_(
                    [PaymentStatus.CREATED, PaymentStatus.AUTHORIZED, PaymentStatus.FAILED]
                ),
                col(Payment.created_at) <= before,
                col(Payment.created_at) > now - timedelta(days=1),
                Payment.provider != WALLET_PROVIDER,  # never at a gateway
            )
            .order_by(col(Payment.created_at))
            .limit(200)
        )
    )


# --- refunds --------------------------------------------------------------------------


def refundable(payment: Payment) -> int:
    """What is left to refund of a payment (nothing unless captured)."""
    if payment.status is not PaymentStatus.CAPTURED:
        return 0
    return payment.amount_minor - payment.refunded_minor


def request_refund(
    session: Session,
    *,
    payment: Payment,
    amount: int | None,
    reason: RefundReason,
    requested_by: User | None = None,
) -> Refund:
    """A refund of `amount` (None: all that is left) of a captured payment, sent by a job.
    Checked and counted under the payment's row lock, so two never exceed what was paid."""
    from app.services import tasks  # tasks run this module's work: imported when needed

    payment = lock(session, payment_id=payment.id)
    if payment.status is not PaymentStatus.CAPTURED:
        raise BookingNotPaid()
    left = refundable(payment)
    wanted = left if amount is None else amount
    if wanted <= 0 or wanted > left:
        raise RefundExceedsPaid({"message": RefundExceedsPaid.message, "refundable_minor": left})
    refund = Refund(
        payment_id=payment.id,
        amount_minor=wanted,
        reason=reason,
        requested_by_id=requested_by.id if requested_by is not None else None,
    )
    session.add(refund)
    payment.refunded_minor += wanted
    session.add(payment)
    session.flush()
    record(
        session,
        payment=payment,
        kind=PaymentEventKind.REFUND_REQUESTED,
        amount_minor=wanted,
        refund_id=refund.id,
        data={"reason": reason.value},
    )
    jobs.defer(session, tasks.send_refund, refund_id=str(refund.id))
    return refund


def due_refunds(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """Refunds still pending after the reconcile delay since anything last happened to
    them (and less than 30 days old): sent but their webhook lost, or their job gave up
    during a long outage. Sending again is safe: the gateway is asked first."""
    now = now or _now()
    before = now - timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    return list(
        session.exec(
            select(Refund.id)
            .where(
                Refund.status == RefundStatus.PENDING,
                col(Refund.updated_at) <= before,
                col(Refund.created_at) > now - timedelta(days=30),
            )
            .order_by(col(Refund.updated_at))
            .limit(200)
        )
    )


class RefundNotSent(Exception):
    """The gateway did not say what became of a refund (a transient failure): try again."""


@dataclass(frozen=True)
class _RefundToSend:
    refund_id: uuid.UUID
    provider: str
    provider_payment_id: str
    amount: int
    reference: str


def _refund_to_send(session: Session, *, refund_id: uuid.UUID) -> _RefundToSend | None:
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status is not RefundStatus.PENDING:
        return None
    payment = session.get(Payment, refund.payment_id)
    assert payment is not None
    provider_payment_id = refund.stray_payment_id or payment.provider_payment_id
    assert provider_payment_id is not None
    refund.attempts += 1
    session.add(refund)
    session.flush()
    return _RefundToSend(
        refund_id=refund.id,
        provider=payment.provider,
        provider_payment_id=provider_payment_id,
        amount=refund.amount_minor,
        reference=refund.id.hex,
    )


def send_refund(open_session: SessionOpener, *, refund_id: uuid.UUID) -> RefundStatus | None:
    """Send one pending refund to the gateway (the `send_refund` job's work).

    `open_session()` gives a session that commits when its block ends; the gateway is
    called between two of them, holding no lock. The gateway is asked first whether it
    has this refund already (by our reference), so an answer lost last time is never
    refunded twice. A transient failure raises `RefundNotSent` (the job retries); a
    permanent refusal marks the refund failed and gives its amount back.

    One sender at a time per refund: a guard session holds an advisory lock on it until
    the refund is settled, so the same job run again while the first run still waits
    for the gateway (a stalled job retried) is told to try later, and never sends it a
    second time before the first answer is known."""
    with open_session() as guard:
        if not _claim_sending(guard, refund_id=refund_id):
            raise RefundNotSent("the refund is being sent by another run")
        if _provider_of_refund(guard, refund_id=refund_id) == WALLET_PROVIDER:
            from app.services import wallets  # wallets make payments: imported when needed

            return wallets.refund_into(guard, refund_id=refund_id)
        return _send_refund(open_session, refund_id=refund_id)


def _provider_of_refund(session: Session, *, refund_id: uuid.UUID) -> str | None:
    return session.exec(
        select(Payment.provider)
        .join(Refund, col(Refund.payment_id) == col(Payment.id))
        .where(Refund.id == refund_id)
    ).first()


def _claim_sending(session: Session, *, refund_id: uuid.UUID) -> bool:
    """Take the refund's sending lock for the rest of `session`'s transaction, or False
    if another transaction holds it."""
    key = sa.func.hashtextextended(f"send_refund:{refund_id}", 0)
    return bool(session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key))).scalar())


def _send_refund(open_session: SessionOpener, *, refund_id: uuid.UUID) -> RefundStatus | None:
    with open_session() as session:
        todo = _refund_to_send(session, refund_id=refund_id)
    if todo is None:
        return None
    provider = provider_for(todo.provider)
    result: GatewayRefund | None = None
    refused: str | None = None
    try:
        known = [r for r in provider.fetch_refunds(todo.provider_payment_id) if r.reference]
        result = next((r for r in known if r.reference == todo.reference[:40]), None)
        if result is None:
            result = provider.refund(
                payment_id=todo.provider_payment_id,
                amount=todo.amount,
                reference=todo.reference,
                notes={"refund": str(todo.refund_id)},
            )
    except GatewayError as exc:
        if exc.transient:
            with open_session() as session:
                refund = session.get(Refund, refund_id)
                assert refund is not None
                refund.last_error = str(exc)[:500]
                session.add(refund)
            raise RefundNotSent(str(exc)) from exc
        refused = str(exc)
    with open_session() as session:
        refund = session.get(Refund, refund_id)
        assert refund is not None
        payment = lock(session, payment_id=refund.payment_id)
        session.refresh(refund, with_for_update=True)
        if refund.status is not RefundStatus.PENDING:
            return refund.status
        if result is not None:
            _apply_gateway_refund(session, payment=payment, seen=result, refund=refund)
        else:
            _fail_refund(session, payment=payment, refund=refund, error=refused or "refused")
        return refund.status


def _apply_gateway_refund(
    session: Session, *, payment: Payment, seen: GatewayRefund, refund: Refund | None = None
) -> bool:
    """A refund's state at the gateway, applied to our pending refund (payment locked)."""
    if refund is None:
        pending = session.exec(
            select(Refund).where(
                Refund.payment_id == payment.id, Refund.status == RefundStatus.PENDING
            )
        )
        refund = next(
            (
                r
                for r in pending
                if r.provider_refund_id == seen.refund_id or r.id.hex[:40] == seen.reference
            ),
            None,
        )
        if refund is None:
            return False
    if refund.status is not RefundStatus.PENDING:
        return False
    refund.provider_refund_id = seen.refund_id
    session.add(refund)
    if seen.status is GatewayRefundStatus.PROCESSED:
        refund.status = RefundStatus.PROCESSED
        record(
            session,
            payment=payment,
            kind=PaymentEventKind.REFUND_PROCESSED,
            amount_minor=seen.amount,
            refund_id=refund.id,
            data={"answer": seen.raw},
        )
        session.flush()
        return True
    if seen.status is GatewayRefundStatus.FAILED:
        _fail_refund(session, payment=payment, refund=refund, error="the gateway failed it")
        return True
    session.flush()  # still pending at the gateway: its webhook or a retry says more
    return False


def _fail_refund(session: Session, *, payment: Payment, refund: Refund, error: str) -> None:
    refund.status = RefundStatus.FAILED
    refund.last_error = error[:500]
    if refund.stray_payment_id is None:  # a stray capture's never counted
        payment.refunded_minor -= refund.amount_minor
    session.add(refund)
    session.add(payment)
    record(
        session,
        payment=payment,
        kind=PaymentEventKind.REFUND_FAILED,
        amount_minor=refund.amount_minor,
        refund_id=refund.id,
        data={"error": error[:500]},
    )
    session.flush()


# --- the test gateway's checkout page -------------------------------------------------


@dataclass(frozen=True)
class TestCheckout:
    order_id: str
    amount: int
    currency: str
    paid: bool


def test_checkout(order_id: str) -> TestCheckout:
    order = test_gateway().get_order(order_id) if _is_gateway_id(order_id) else None
    if order is None:
        raise NotFound("order")
    return TestCheckout(
        order_id=order_id,
        amount=int(order["amount"]),
        currency=str(order["currency"]),
        paid=bool(order["paid"]),
    )


def complete_test_checkout(session: Session, *, order_id: str, succeed: bool) -> tuple[str, str]:
    """Pay (or fail) an order on the test gateway's page. The gateway's webhook is
    delivered by a job queued in this transaction (a gateway retries its deliveries
    until they are taken). Returns the attempt's id and the checkout callback's
    signature, which a client may send to `POST /payments/{id}/verify`."""
    from app.services import tasks  # tasks run this module's work: imported when needed

    if not _is_gateway_id(order_id):
        raise NotFound("order")
    try:
        result = test_gateway().complete_checkout(order_id, succeed=succeed)
    except GatewayError as exc:
        if exc.status == 404:
            raise NotFound("order") from exc
        raise CheckoutNotAvailable(str(exc)) from exc
    jobs.defer(
        session,
        tasks.deliver_test_webhook,
        body=result.webhook_body.decode(),
        headers=result.webhook_headers,
    )
    return result.payment.payment_id, result.signature


def _is_gateway_id(value: str) -> bool:
    return 0 < len(value) <= 64 and value.replace("_", "").isalnum() and value.isascii()
