"""Notifications to consumers about their orders (push, through the job queue).

The one place orders call, so the call sites do not change with the provider.
"""

from __future__ import annotations

from sqlmodel import Session

from app.core import jobs
from app.crud import push_device as push_device_crud
from app.models import Venue
from app.models.order import Order, PickupPoint
from app.services import push_tasks


def order_ready(session: Session, *, order: Order) -> int:
    """Tell the consumer their order is ready: one `send_push` job per device of
    `order.placed_by_id`, deferred in this transaction (nothing is sent if it rolls
    back). Returns how many were queued (0 without a registered device)."""
    tokens = push_device_crud.tokens_of(session, user_id=order.placed_by_id)
    if not tokens:
        return 0
    venue = session.get(Venue, order.venue_id)
    venue_name = venue.name if venue is not None else "the counter"
    where = venue_name
    if order.pickup_point_id is not None:
        point = session.get(PickupPoint, order.pickup_point_id)
        if point is not None:
            where = f"{point.name}, {venue_name}"
    title = f"Order {order.number} is ready"
    body = f"Collect it at {where}."
    data = {
        "type": "order_ready",
        "order_id": str(order.id),
        "venue_id": str(order.venue_id),
        "number": str(order.number),
    }
    for token in tokens:
        jobs.defer(session, push_tasks.send_push, token=token, title=title, body=body, data=data)
    return len(tokens)
