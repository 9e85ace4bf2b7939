"""Payments, their append-only event ledger, refunds, and idempotency keys.

A payment's `status` and `refunded_minor` are a projection of its `payment_event`
rows: they change only in the same transaction as the event that causes them, by
one state machine (`app.services.payments`) that never goes backwards. Events
are never updated or deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from app.models.base import (
    CURRENCY_CHECK,
    CreatedAtField,
    CurrencyField,
    EnumColumn,
    IdField,
    MoneyField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
)


class PaymentPurpose(StrEnum):
    BOOKING = "booking"
    ORDER = "order"  # a prepaid order (pickup, pay-per-order dine-in, a food-court cart)
    BILL_SHARE = "bill_share"  # a share of a pay-at-the-end bill
    WALLET_TOP_UP = "wallet_top_up"  # money into a group's wallet


# A payment made from a group's wallet rather than through a gateway (`app.services.wallets`).
WALLET_PROVIDER = "wallet"


class PaymentStatus(StrEnum):
    """created -> authorized -> captured, or -> failed. Refunds do not change it:
    `refunded_minor` says how much of a captured payment is going or went back (every
    refund not failed)."""

    CREATED = "created"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        enum_check("purpose", PaymentPurpose),
        enum_check("status", PaymentStatus),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunds_within_amount"
        ),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint(
            "(purpose = 'booking') = (booking_id IS NOT NULL)"
            " AND (purpose = 'order') = (order_id IS NOT NULL)"
            " AND (purpose = 'bill_share') = (bill_share_id IS NOT NULL)"
            " AND (purpose = 'wallet_top_up') = (group_id IS NOT NULL)",
            name="one_subject",
        ),
        sa.UniqueConstraint("provider", "provider_order_id"),
        sa.Index("ix_payment_status_created_at", "status", "created_at"),
    )

    id: uuid.UUID = IdField()
    purpose: PaymentPurpose = Field(sa_column=EnumColumn(PaymentPurpose))
    booking_id: uuid.UUID | None = Field(
        default=None, foreign_key="booking.id", ondelete="RESTRICT", index=True
    )
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue_order.id", ondelete="RESTRICT", index=True
    )
    bill_share_id: uuid.UUID | None = Field(
        default=None, foreign_key="bill_share.id", ondelete="RESTRICT", index=True
    )
    group_id: uuid.UUID | None = Field(
        default=None, foreign_key="consumer_group.id", ondelete="RESTRICT", index=True
    )
    payer_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT", index=True)
    amount_minor: int = MoneyField()
    currency: str = CurrencyField()
    refunded_minor: int = MoneyField(default=0)
    provider: str = Field(max_length=32)
    provider_order_id: str | None = Field(default=None, max_length=64)
    provider_payment_id: str | None = Field(default=None, max_length=64)
    status: PaymentStatus = Field(
        default=PaymentStatus.CREATED,
        sa_column=EnumColumn(PaymentStatus, server_default=PaymentStatus.CREATED.value),
    )
    captured_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class PaymentEventKind(StrEnum):
    ORDER_CREATED = "order_created"  # the provider's order for our payment
    ORDER_FAILED = "order_failed"  # the provider refused to create it
    CHECKOUT_VERIFIED = "checkout_verified"  # the client's signed callback
    WEBHOOK = "webhook"  # a verified webhook, as received
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    RECONCILED = "reconciled"  # we asked the provider for the state
    REFUND_REQUESTED = "refund_requested"
    REFUND_PROCESSED = "refund_processed"
    REFUND_FAILED = "refund_failed"


class PaymentEvent(SQLModel, table=True):
    """One thing that happened to a payment: a request to or answer from the
    provider, a webhook, a refund. `provider_event_id` (`{provider}:{event id}`)
    deduplicates webhooks."""

    __tablename__ = "payment_event"
    __table_args__ = (
        enum_check("kind", PaymentEventKind),
        sa.UniqueConstraint("provider_event_id"),
        sa.Index("ix_payment_event_payment_id_id", "payment_id", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), sa.Identity(), primary_key=True)
    )
    # None for a verified webhook about a payment we do not know (recorded, never acted on).
    payment_id: uuid.UUID | None = Field(
        default=None, foreign_key="payment.id", ondelete="RESTRICT"
    )
    kind: PaymentEventKind = Field(sa_column=EnumColumn(PaymentEventKind))
    amount_minor: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True)
    )
    provider_event_id: str | None = Field(default=None, max_length=128)
    refund_id: uuid.UUID | None = Field(default=None, foreign_key="refund.id", ondelete="RESTRICT")
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    created_at: datetime = CreatedAtField()


class RefundStatus(StrEnum):
    PENDING = "pending"  # to be sent, or sent and not known yet
    PROCESSED = "processed"
    FAILED = "failed"  # the gateway refused for good


class RefundReason(StrEnum):
    CONSUMER_CANCELLED = "consumer_cancelled"
    MANAGER = "manager"
    EVENT_CANCELLED = "event_cancelled"
    CAPTURED_TOO_LATE = "captured_too_late"  # paid after the hold expired and sold out
    ORDER_REJECTED = "order_rejected"  # the venue (or one QSR of a food court) said no
    ORDER_CANCELLED = "order_cancelled"
    OVERPAID = "overpaid"  # a bill share captured after the bill was already paid
    # Money the gateway captured on our order that no payment of ours took: a second
    # attempt captured after the first, or an attempt of the wrong amount.
    STRAY_CAPTURE = "stray_capture"
    WALLET_CLOSED = "wallet_closed"  # a group closed: its balance back to who put it in
    # A top-up captured when the group was closed or the wallet full.
    WALLET_REFUSED = "wallet_refused"


class Refund(SQLModel, table=True):
    """Money going back on a captured payment. The sum of a payment's refunds that
    are not failed never exceeds what was paid: it is the payment's `refunded_minor`,
    raised under the payment's row lock when a refund is asked for (and lowered again
    if the gateway refuses it for good), so the CHECK on `payment` backs the rule.
    A stray capture's refund (`stray_payment_id`) gives back a gateway payment that
    never counted as paid, and is not part of that sum."""

    __tablename__ = "refund"
    __table_args__ = (
        enum_check("status", RefundStatus),
        enum_check("reason", RefundReason),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.CheckConstraint(
            "(reason = 'stray_capture') = (stray_payment_id IS NOT NULL)",
            name="stray_payment_when_stray",
        ),
        sa.Index("ix_refund_status_created_at", "status", "created_at"),
        # One refund per stray gateway payment, however often it is reported.
        sa.Index("uq_refund_stray_payment_id", "stray_payment_id", unique=True),
    )

    id: uuid.UUID = IdField()
    payment_id: uuid.UUID = Field(foreign_key="payment.id", ondelete="RESTRICT", index=True)
    amount_minor: int = MoneyField()
    reason: RefundReason = Field(sa_column=EnumColumn(RefundReason))
    status: RefundStatus = Field(
        default=RefundStatus.PENDING,
        sa_column=EnumColumn(RefundStatus, server_default=RefundStatus.PENDING.value),
    )
    requested_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    provider_refund_id: str | None = Field(default=None, max_length=64)
    # A stray capture's own gateway payment (not the payment's `provider_payment_id`);
    # its amount is not counted in the payment's `refunded_minor`.
    stray_payment_id: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class IdempotencyKey(SQLModel, table=True):
    """The first answer to a money-moving request, replayed for the same key.

    Keys are scoped to the caller (`scope`: the user id) and the operation (method and
    route template): one key may be used once per operation. The row is written in the
    same transaction as the change the request made, so a request that rolled back
    leaves no key behind and can be retried. See `app.api.idempotency`."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        sa.PrimaryKeyConstraint("scope", "operation", "key", name="pk_idempotency_key"),
        sa.Index("ix_idempotency_key_created_at", "created_at"),
    )

    scope: str = Field(max_length=100)
    key: str = Field(max_length=255)
    operation: str = Field(max_length=200)  # method and route template
    request_hash: str = Field(max_length=64)  # sha256 of the path, query and JSON body
    response_status: int
    response_body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    response_headers: dict[str, str] = Field(
        default_factory=dict,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="{}"),
    )  # the few that matter to a replay (Location, Content-Type, ETag)
    created_at: datetime = CreatedAtField()
