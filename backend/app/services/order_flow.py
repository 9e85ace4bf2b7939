"""The order status machine: which move is possible, and who may make it.

    awaiting_payment --(payment captured)--> placed
    awaiting_payment --(payment failed or expired)--> abandoned
    placed -> accepted -> preparing -> ready -> served (dine-in, tab) | picked_up (pickup)
    served | picked_up -> completed
    (accepted may go straight to ready: a drink needs no preparing)

    rejected:  staff, from placed, accepted or preparing (before ready)
    cancelled: the consumer, from awaiting_payment or placed (until accepted);
               staff, from placed up to ready (before served or picked up)

`SYSTEM` (the payment rails, the expiry job, a food-court parent following its
sub-orders) makes the payment moves and the parent's summary moves. Pure rules: no
database.
"""

from __future__ import annotations

from enum import StrEnum

from app.core.errors import InvalidOrderTransition
from app.models.order import OrderKind, OrderStatus

S = OrderStatus


class Mover(StrEnum):
    CONSUMER = "consumer"
    STAFF = "staff"
    SYSTEM = "system"


_STAFF: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLACED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.PREPARING, S.READY, S.REJECTED, S.CANCELLED}),
    S.PREPARING: frozenset({S.READY, S.REJECTED, S.CANCELLED}),
    S.READY: frozenset({S.SERVED, S.PICKED_UP, S.CANCELLED}),
    S.SERVED: frozenset({S.COMPLETED}),
    S.PICKED_UP: frozenset({S.COMPLETED}),
}
_CONSUMER: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_PAYMENT: frozenset({S.CANCELLED}),
    S.PLACED: frozenset({S.CANCELLED}),
}
_SYSTEM: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.AWAITING_PAYMENT: frozenset({S.PLACED, S.ABANDONED, S.CANCELLED}),
    S.PLACED: frozenset({S.ACCEPTED, S.COMPLETED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED}),
}
_BY = {Mover.STAFF: _STAFF, Mover.CONSUMER: _CONSUMER, Mover.SYSTEM: _SYSTEM}

#: Where an order ends: nothing moves it any more.
FINAL = frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED, S.ABANDONED})
#: Moves after which a prepaid order's money goes back.
REFUNDING = frozenset({S.REJECTED, S.CANCELLED})


def allowed(frm: OrderStatus, to: OrderStatus, *, kind: OrderKind, by: Mover) -> bool:
    if to is S.SERVED and kind is OrderKind.PICKUP:
        return False
    if to is S.PICKED_UP and kind is not OrderKind.PICKUP:
        return False
    return to in _BY[by].get(frm, frozenset())


def check(frm: OrderStatus, to: OrderStatus, *, kind: OrderKind, by: Mover) -> None:
    """Refuse an impossible move with 409 `invalid_order_transition` (saying from, to)."""
    if not allowed(frm, to, kind=kind, by=by):
        raise InvalidOrderTransition(
            {
                "message": f"An order cannot go from {frm.value} to {to.value} ({by.value})",
                "from": frm.value,
                "to": to.value,
            }
        )


def next_moves(frm: OrderStatus, *, kind: OrderKind, by: Mover) -> list[OrderStatus]:
    """The moves `by` may make from `frm` (for a board's buttons)."""
    return [to for to in OrderStatus if allowed(frm, to, kind=kind, by=by)]
