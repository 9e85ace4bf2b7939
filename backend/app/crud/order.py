"""Orders: queries and single-row rules (never commits).

Reads that return orders load their lines, history and sub-orders in a bounded
number of queries (`read_many`: four, whatever the number of orders).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.timezones import NIGHT_STARTS_HOUR
from app.crud.common import paginate, table_of
from app.models import User, Venue
from app.models.order import (
    OPEN_ORDER_STATUSES,
    SOLD_ORDER_STATUSES,
    VOID_ORDER_STATUSES,
    Bill,
    Order,
    OrderDayCounter,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from app.models.payment import Payment
from app.schema.common import Page, PageParams
from app.schema.order import NightSales, OrderRead, SubOrderRead


def lock(session: Session, *, order_id: uuid.UUID) -> Order:
    """The order, re-read under its row lock (held until the transaction ends)."""
    order = session.exec(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if order is None:
        raise NotFound("order")
    return order


def lock_children(session: Session, *, parent_id: uuid.UUID) -> list[Order]:
    """A food-court order's sub-orders under their row locks, in id order."""
    return list(
        session.exec(
            select(Order)
            .where(Order.parent_id == parent_id)
            .order_by(col(Order.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )


def children_of(
    session: Session, *, parent_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Order]]:
    found: dict[uuid.UUID, list[Order]] = defaultdict(list)
    if not parent_ids:
        return found
    for child in session.exec(
        select(Order)
        .where(col(Order.parent_id).in_(parent_ids))
        .order_by(col(Order.venue_id), col(Order.id))
    ):
        assert child.parent_id is not None
        found[child.parent_id].append(child)
    return found


def get_for_consumer(session: Session, *, order_id: uuid.UUID, user: User) -> Order:
    """An order the caller placed (a food-court order by its parent); else 404."""
    order = session.get(Order, order_id)
    if order is None or order.placed_by_id != user.id or order.parent_id is not None:
        raise NotFound("order")
    return order


def get_for_venue(session: Session, *, order_id: uuid.UUID, venue: Venue) -> Order:
    """An order the venue's staff may see: the venue's own, or (at a food court) a
    sub-order of a food-court order placed there. A food-court order's parent is not
    on any board (its sub-orders are). Anything else: 404."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order")
    if order.venue_id == venue.id and not is_parent(session, order_id=order.id):
        return order
    if order.parent_id is not None:
        parent = session.get(Order, order.parent_id)
        if parent is not None and parent.venue_id == venue.id:
            return order
    raise NotFound("order")


def is_parent(session: Session, *, order_id: uuid.UUID) -> bool:
    return (
        session.exec(select(Order.id).where(Order.parent_id == order_id).limit(1)).first()
        is not None
    )


def _not_a_parent() -> sa.ColumnElement[bool]:
    child = aliased(Order)
    return ~sa.exists().where(col(child.parent_id) == col(Order.id))


def _on_board(venue: Venue) -> sa.ColumnElement[bool]:
    """The orders a venue serves: its own (a food-court order as its sub-orders) and,
    for a food court, every sub-order of the food-court orders placed there."""
    parents = select(Order.id).where(Order.venue_id == venue.id)
    return sa.or_(
        sa.and_(col(Order.venue_id) == venue.id, _not_a_parent()),
        col(Order.parent_id).in_(parents),
    )


def _placed() -> sa.ColumnElement[datetime]:
    return sa.func.coalesce(col(Order.placed_at), col(Order.created_at))


def board(
    session: Session, *, venue: Venue, statuses: Iterable[OrderStatus] | None, page: PageParams
) -> Page[OrderRead]:
    """Open orders of the venue (or the given statuses), oldest first; a food court's
    board holds every sub-order of the food-court orders placed there."""
    wanted = list(statuses) if statuses else sorted(OPEN_ORDER_STATUSES)
    statement = (
        select(Order)
        .where(col(Order.status).in_(wanted), _on_board(venue))
        .order_by(_placed(), col(Order.id))
    )
    found: Page[Order] = paginate(session, statement, page=page)
    return Page(
        items=read_many(session, orders=list(found.items)),
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


def sales_per_night(session: Session, *, venue: Venue, page: PageParams) -> Page[NightSales]:
    """The venue's sold orders (served, picked up, completed) summed per night (06:00 to
    06:00 in the venue's time zone, by when they were placed) and currency, the newest
    night first, counted in the database however many orders there are."""
    night = sa.cast(
        sa.func.timezone(venue.timezone, _placed())
        - sa.text(f"interval '{NIGHT_STARTS_HOUR} hours'"),
        sa.Date,
    ).label("night")
    statement = (
        sa.select(
            night,
            col(Order.currency),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(col(Order.total_minor)), 0),
        )
        .where(col(Order.status).in_(sorted(SOLD_ORDER_STATUSES)), _on_board(venue))
        .group_by(night, col(Order.currency))
        .order_by(night.desc(), col(Order.currency))
    )
    return paginate(
        session,
        statement,
        page=page,
        item=lambda row: NightSales(
            night=row[0], currency=row[1], orders=int(row[2]), total_minor=int(row[3])
        ),
    )


def list_for_consumer(session: Session, *, user: User, page: PageParams) -> Page[OrderRead]:
    """The caller's orders (food-court orders as one, with their parts), newest first."""
    statement = (
        select(Order)
        .where(Order.placed_by_id == user.id, col(Order.parent_id).is_(None))
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
    )
    found: Page[Order] = paginate(session, statement, page=page)
    return Page(
        items=read_many(session, orders=list(found.items)),
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


def lines_of(
    session: Session, *, order_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[OrderLine]]:
    """The lines of these orders, each order's in their position order (one query)."""
    found: dict[uuid.UUID, list[OrderLine]] = defaultdict(list)
    if not order_ids:
        return found
    for line in session.exec(
        select(OrderLine)
        .where(col(OrderLine.order_id).in_(order_ids))
        .order_by(col(OrderLine.order_id), col(OrderLine.position))
    ):
        found[line.order_id].append(line)
    return found


def history_of(
    session: Session, *, order_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[OrderStatusChange]]:
    found: dict[uuid.UUID, list[OrderStatusChange]] = defaultdict(list)
    if not order_ids:
        return found
    for change in session.exec(
        select(OrderStatusChange)
        .where(col(OrderStatusChange.order_id).in_(order_ids))
        .order_by(col(OrderStatusChange.order_id), col(OrderStatusChange.id))
    ):
        found[change.order_id].append(change)
    return found


def _sub_read(
    order: Order, lines: list[OrderLine], history: list[OrderStatusChange]
) -> dict[str, object]:
    return {
        **order.model_dump(),
        "lines": [line.model_dump() for line in lines],
        "history": [change.model_dump() for change in history],
    }


def read_many(session: Session, *, orders: list[Order]) -> list[OrderRead]:
    """Orders with their lines, history and sub-orders (three queries more)."""
    children = children_of(session, parent_ids=[o.id for o in orders])
    ids = [o.id for o in orders] + [c.id for kids in children.values() for c in kids]
    lines = lines_of(session, order_ids=ids)
    history = history_of(session, order_ids=ids)
    return [
        OrderRead.model_validate(
            {
                **_sub_read(order, lines[order.id], history[order.id]),
                "sub_orders": [
                    SubOrderRead.model_validate(_sub_read(c, lines[c.id], history[c.id]))
                    for c in children.get(order.id, [])
                ],
            }
        )
        for order in orders
    ]


def read(session: Session, *, order: Order) -> OrderRead:
    return read_many(session, orders=[order])[0]


# --- for the bills of pay-at-the-end sessions ----------------------------------------


def session_orders(session: Session, *, session_id: uuid.UUID) -> list[Order]:
    """The orders that count towards a session's bill (not rejected, cancelled or
    abandoned), oldest first."""
    return list(
        session.exec(
            select(Order)
            .where(
                Order.session_id == session_id,
                col(Order.status).not_in(sorted(VOID_ORDER_STATUSES)),
            )
            .order_by(col(Order.created_at), col(Order.id))
        ).all()
    )


# --- numbers, payments, bills --------------------------------------------------------


def next_number(session: Session, *, venue_id: uuid.UUID, day: date) -> int:
    """The venue's next order number of its local `day` (1, 2, ...): one atomic upsert
    (the counter row stays locked until the commit)."""
    table = table_of(OrderDayCounter)
    statement = (
        pg_insert(table)
        .values(venue_id=venue_id, day=day, last_number=1)
        .on_conflict_do_update(
            index_elements=["venue_id", "day"], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    return int(session.execute(statement).scalar_one())


def payment_of(session: Session, *, order_id: uuid.UUID) -> Payment | None:
    return session.exec(select(Payment).where(Payment.order_id == order_id)).first()


def bill_of(session: Session, *, order_id: uuid.UUID) -> Bill | None:
    return session.exec(select(Bill).where(Bill.order_id == order_id)).first()


def add_change(
    session: Session,
    *,
    order: Order,
    frm: OrderStatus | None,
    to: OrderStatus,
    by_id: uuid.UUID | None,
    reason: str | None = None,
) -> OrderStatusChange:
    change = OrderStatusChange(
        order_id=order.id, from_status=frm, to_status=to, by_id=by_id, reason=reason
    )
    session.add(change)
    return change


def session_tax_mode(session: Session, *, session_id: uuid.UUID) -> bool | None:
    """Whether the prices of the session's orders include tax (as its first order was
    priced), or None before its first order. A session keeps one way of pricing, so its
    bill adds up even if the venue changes its setting meanwhile."""
    return session.exec(
        select(Order.prices_include_tax)
        .where(Order.session_id == session_id)
        .order_by(col(Order.created_at), col(Order.id))
        .limit(1)
    ).first()


def count_unpaid(session: Session, *, consumer_id: uuid.UUID, since: datetime) -> int:
    """The consumer's top-level orders waiting for payment, made after `since`."""
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(Order)
            .where(
                Order.placed_by_id == consumer_id,
                Order.status == OrderStatus.AWAITING_PAYMENT,
                col(Order.parent_id).is_(None),
                col(Order.created_at) >= since,
            )
        ).one()
    )


def lock_consumer(session: Session, *, consumer_id: uuid.UUID) -> None:
    """Serialise one consumer's order placing until the transaction ends (an advisory
    lock on their id), so parallel requests cannot all pass the unpaid count."""
    key = sa.func.hashtextextended(f"place_order:{consumer_id}", 0)
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def unpaid_before(session: Session, *, before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Top-level orders still awaiting payment, made before `before`."""
    return list(
        session.exec(
            select(Order.id)
            .where(
                Order.status == OrderStatus.AWAITING_PAYMENT,
                col(Order.parent_id).is_(None),
                col(Order.created_at) < before,
            )
            .order_by(col(Order.created_at))
            .limit(limit)
        ).all()
    )
