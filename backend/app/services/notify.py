"""Notifications to consumers about their orders (push through the job queue).

The push provider and its job land with the live-updates work; until then this is
the one place orders call, so the call sites do not change.
"""

from __future__ import annotations

from sqlmodel import Session

from app.models.order import Order


def order_ready(session: Session, *, order: Order) -> None:
    """Tell the consumer their pickup order is ready (deferred in this transaction)."""
    del session, order  # filled in by the push notifications work
