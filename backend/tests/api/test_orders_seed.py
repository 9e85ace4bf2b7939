"""Demo data for ordering (`app/seed/orders.py`): open sessions, orders in every state,
a food-court cart split per QSR and a bill half paid, made once by real calls. (The
demo groups' orders, paid from their wallets, are `tests/api/test_groups_seed.py`'s.)"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.models import Venue, VenueKind
from app.models.order import (
    Bill,
    BillShare,
    BillShareStatus,
    BillStatus,
    Order,
    OrderKind,
    OrderStatus,
    TableSession,
    TableSessionStatus,
)
from app.models.payment import (
    WALLET_PROVIDER,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
)
from app.seed import seed_all

# Orders paid from a group's wallet, and their sub-orders (the groups seed's).
_BY_WALLET = select(Payment.order_id).where(
    Payment.provider == WALLET_PROVIDER, col(Payment.order_id).is_not(None)
)
_NOT_BY_WALLET = col(Order.id).not_in(_BY_WALLET) & (
    col(Order.parent_id).is_(None) | col(Order.parent_id).not_in(_BY_WALLET)
)


def test_the_demo_boards_have_orders_in_every_state_once(session: Session) -> None:
    started = datetime.now(UTC)
    seed_all(session)
    seed_all(session)  # idempotent

    # Today's orders (the bar orders of past nights are `app/seed/visits.py`'s).
    rows = session.exec(
        select(Venue.kind, Order.kind, Order.status)
        .join(Venue, col(Venue.id) == Order.venue_id)
        .where(_NOT_BY_WALLET, col(Order.created_at) >= started)
    ).all()
    seen = Counter((str(v), str(k), str(s)) for v, k, s in rows)
    statuses = {s for _, _, s in seen}
    # every state a board shows, and the two ends a paid order can come to
    assert statuses == {s.value for s in OrderStatus} - {"awaiting_payment", "abandoned"}
    assert ("nightclub", "tab", "ready") in seen
    assert ("restaurant", "dine_in", "served") in seen
    assert sum(n for (_, kind, _), n in seen.items() if kind == "pickup") >= 8
    assert sum(seen.values()) == len(rows) == 15

    # The food-court cart: one payment on the parent, one sub-order per QSR with its bill.
    [parent] = session.exec(
        select(Order)
        .join(Venue, col(Venue.id) == Order.venue_id)
        .where(Venue.kind == VenueKind.FOOD_COURT, _NOT_BY_WALLET)
    ).all()
    children = session.exec(select(Order).where(Order.parent_id == parent.id)).all()
    assert len({c.venue_id for c in children}) == len(children) == 2
    assert sum(c.total_minor for c in children) == parent.total_minor
    payment = session.exec(select(Payment).where(Payment.order_id == parent.id)).one()
    assert (payment.status, payment.amount_minor) == (PaymentStatus.CAPTURED, parent.total_minor)
    for child in children:
        bill = session.exec(select(Bill).where(Bill.order_id == child.id)).one()
        assert bill.venue_id == child.venue_id

    # A rejected and a cancelled paid order are being refunded in full.
    refunds = session.exec(select(Refund)).all()
    assert sorted(r.reason for r in refunds) == [
        RefundReason.ORDER_CANCELLED,
        RefundReason.ORDER_REJECTED,
    ]

    # The restaurant's second table asked for its bill and paid half of it.
    [bill] = session.exec(select(Bill).where(col(Bill.session_id).is_not(None))).all()
    assert bill.status is BillStatus.OPEN
    [share] = session.exec(select(BillShare).where(BillShare.bill_id == bill.id)).all()
    assert share.status is BillShareStatus.PAID
    assert bill.paid_minor == share.amount_minor == bill.total_minor // 2
    sessions = session.exec(select(TableSession)).all()
    assert {s.status for s in sessions} == {TableSessionStatus.OPEN}
    assert len(sessions) == 3
    assert {o.kind for o in session.exec(select(Order))} == set(OrderKind)
