"""What a client needs to pay a payment through its gateway, in every money route's answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from app.core.config import settings
from app.models.payment import Payment
from app.schema.booking import Checkout


class _GatewayOrder(Protocol):  # `app.providers.payments.base.GatewayOrder`
    @property
    def order_id(self) -> str: ...

    @property
    def checkout(self) -> Mapping[str, Any]: ...


def checkout_of(payment: Payment | None, order: _GatewayOrder | None) -> Checkout | None:
    """The checkout of a gateway payment (None: nothing to pay at a gateway)."""
    if payment is None or order is None:
        return None
    return Checkout(
        provider=payment.provider,
        payment_id=payment.id,
        order_id=order.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        key_id=order.checkout.get("key_id"),
        checkout_url=order.checkout.get("checkout_url"),
        verify_url=f"{settings.API_V1_STR}/payments/{payment.id}/verify",
    )
