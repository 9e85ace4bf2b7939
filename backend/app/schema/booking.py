"""Bookings and their payments: what consumers send, what they and the venue's staff get."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models.booking import BookingStatus
from app.models.payment import PaymentStatus, RefundReason, RefundStatus
from app.schema.common import NoNul, RequestModel, StrictInteger

MAX_ITEMS = 20


class BookingItemCreate(RequestModel):
    offering_id: uuid.UUID
    quantity: Annotated[StrictInteger, Field(ge=1, le=100)]


class BookingCreate(RequestModel):
    """Passes of one or more of the event's offerings (each offering once)."""

    items: Annotated[list[BookingItemCreate], Field(min_length=1, max_length=MAX_ITEMS)]
    wallet_group_id: uuid.UUID | None = Field(
        default=None, description="Pay from this group's wallet instead of the gateway"
    )


class BookingItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    offering_id: uuid.UUID
    quantity: int
    guests: int
    unit_price_minor: int
    cover_credit_minor: int


class PaymentRead(BaseModel):
    """A payment as its payer sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    booking_id: uuid.UUID | None
    status: PaymentStatus
    amount_minor: int
    refunded_minor: int = Field(description="Refunded or being refunded (refunds not failed)")
    currency: str
    provider: str
    provider_order_id: str | None
    captured_at: datetime | None
    created_at: datetime


class BookingRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    status: BookingStatus
    guests: int
    total_minor: int
    currency: str
    hold_expires_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    items: Sequence[BookingItemRead]
    payment: PaymentRead | None
    tickets: int = Field(description="Tickets issued (one per pass, once confirmed)")


class StaffBookingRead(BookingRead):
    """A booking as the venue's staff see it: who booked."""

    consumer_id: uuid.UUID
    guest_name: str | None


class Checkout(BaseModel):
    """What the client needs to pay: open the test gateway's `checkout_url`, or
    Razorpay Checkout with `key_id` and `order_id`; then send the callback's signature
    to `verify_url` (the webhook confirms the booking anyway)."""

    provider: str
    payment_id: uuid.UUID
    order_id: str
    amount_minor: int
    currency: str
    key_id: str | None = None
    checkout_url: str | None = None
    verify_url: str


class BookingCreated(BaseModel):
    booking: BookingRead
    checkout: Checkout | None = Field(description="None when there is nothing to pay")


class VerifyPayment(RequestModel):
    """The fields of the gateway's checkout callback."""

    provider_payment_id: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$"), NoNul
    ]
    signature: Annotated[str, StringConstraints(min_length=1, max_length=256), NoNul]


class RefundCreate(RequestModel):
    """A manager's refund: `amount_minor` of what was paid, or all that is left."""

    amount_minor: Annotated[StrictInteger, Field(ge=1)] | None = None


class RefundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: uuid.UUID
    amount_minor: int
    reason: RefundReason
    status: RefundStatus
    created_at: datetime
