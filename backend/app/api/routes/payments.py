"""Routes: payments.

- `POST /payments/webhooks/{provider}`: the gateway's webhook. The raw body is
  verified against the provider's signature header: a forged or missing signature
  is a 400 with nothing recorded; anything signed is recorded once and answered
  200 (a duplicate, one for a payment we do not know, or one older than what we
  know already change nothing).
- `POST /payments/{payment_id}/verify`: the payer's client, after checkout, sends
  the gateway's signed callback; the payment is updated at once (the webhook would
  do it too).
- `GET /payments/{payment_id}`: the payer reads a payment.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.api.deps import CurrentUser, SessionDep, commit
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.core.errors import InvalidCheckoutSignature, InvalidWebhookSignature, NotFound, raises
from app.schema.booking import PaymentRead, VerifyPayment
from app.schema.common import Message
from app.services import payments as payments_service

router = APIRouter(tags=["payments"], route_class=IdempotentRoute)


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent (the signature is over these bytes)."""
    return await request.body()


async def request_headers(request: Request) -> dict[str, str]:
    return dict(request.headers)


@router.post("/payments/webhooks/{provider}", response_model=Message)
@raises(NotFound, InvalidWebhookSignature)
def payment_webhook(
    provider: str,
    body: Annotated[bytes, Depends(raw_body)],
    headers: Annotated[dict[str, str], Depends(request_headers)],
    session: SessionDep,
) -> Message:
    """A gateway's signed webhook (Razorpay: `X-Razorpay-Signature`)."""
    outcome = payments_service.handle_webhook(
        session, provider_name=provider, body=body, headers=headers
    )
    commit(session)
    if not outcome.recorded:
        return Message(message="absorbed")  # recorded before, or nothing we can read
    return Message(message="recorded" if outcome.payment_id else "recorded (unknown payment)")


@router.post("/payments/{payment_id}/verify", response_model=PaymentRead)
@raises(NotFound, InvalidCheckoutSignature)
def verify_payment(
    payment_id: uuid.UUID,
    data: VerifyPayment,
    user: CurrentUser,
    session: SessionDep,
    _key: IdempotencyKeyDep,
) -> PaymentRead:
    """The checkout callback (`razorpay_payment_id`, `razorpay_signature`, or the test
    gateway's page's fields): checked, then the payment's state is asked at the gateway."""
    payment = payments_service.get_for_payer(session, payment_id=payment_id, payer=user)
    payment = payments_service.verify_checkout(
        session,
        payment=payment,
        provider_payment_id=data.provider_payment_id,
        signature=data.signature,
    )
    commit(session)
    return PaymentRead.model_validate(payment)


@router.get("/payments/{payment_id}", response_model=PaymentRead)
@raises(NotFound)
def read_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PaymentRead:
    payment = payments_service.get_for_payer(session, payment_id=payment_id, payer=user)
    return PaymentRead.model_validate(payment)
