"""Demo data: open table sessions and orders in every state, so the boards are not empty.

Made by the same calls a phone and the staff make (scan the table's code, order, pay
on the built-in test gateway, move orders on the board), with the test gateway only.
Opening hours are not checked (the demo is seeded at any hour). Idempotent: a venue
where a demo consumer has ordered already gets nothing more.

- a restaurant (pay at the end): two consumers at table 1, orders placed, preparing
  and served; at table 2, a bill issued and half of it paid (an equal share of two);
- a nightclub: a tab at table 1 with an order ready;
- a QSR: pickup orders placed, preparing, ready, picked up and completed (paid), one
  rejected (refunded) and one cancelled by its consumer;
- the food court: one cart with items of two of its QSRs, one payment, one sub-order
  per QSR (one accepted, one ready).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.core.config import settings
from app.core.table_token import encode_table_token
from app.crud import table_session as session_crud
from app.crud import user as user_crud
from app.models import User, Venue, VenueKind, VenueMembership, VenueRole, VenueStatus
from app.models.menu import AddOn, AddOnGroup, MenuItem, MenuItemVariant
from app.models.order import BillShareMethod, Order, OrderStatus, PickupPoint
from app.models.payment import Payment
from app.models.table import VenueTable
from app.schema.bill import BillShareCreate
from app.schema.order import OrderCreate, OrderLineCreate
from app.seed.people import CONSUMERS
from app.services import bills, orders, payments, table_sessions
from app.services.order_flow import Mover

logger = logging.getLogger(__name__)

S = OrderStatus
# The moves that bring a placed order to each state, dine-in and pickup.
DINE_IN_PATH = [S.ACCEPTED, S.PREPARING, S.READY, S.SERVED, S.COMPLETED]
PICKUP_PATH = [S.ACCEPTED, S.PREPARING, S.READY, S.PICKED_UP, S.COMPLETED]


def pay_at_test_gateway(session: Session, *, payment: Payment | None, order_id: str | None) -> None:
    """Pay on the test gateway's page and send the signed callback, as a phone does."""
    if payment is None or order_id is None:
        return
    attempt_id, signature = payments.complete_test_checkout(
        session, order_id=order_id, succeed=True
    )
    payments.verify_checkout(
        session, payment=payment, provider_payment_id=attempt_id, signature=signature
    )


def menu_lines(
    session: Session, *, venue: Venue, count: int, skip: int = 0
) -> list[OrderLineCreate]:
    """`count` lines of the venue's menu, each with its first variant and the fewest
    add-ons its groups require."""
    items = session.exec(
        select(MenuItem)
        .where(MenuItem.venue_id == venue.id, col(MenuItem.is_available))
        .order_by(col(MenuItem.display_order), col(MenuItem.name), col(MenuItem.id))
        .offset(skip)
        .limit(count)
    ).all()
    lines = []
    for n, item in enumerate(items):
        variant = session.exec(
            select(MenuItemVariant.id)
            .where(MenuItemVariant.item_id == item.id, col(MenuItemVariant.is_available))
            .order_by(col(MenuItemVariant.display_order), col(MenuItemVariant.id))
        ).first()
        add_on_ids: list[uuid.UUID] = []
        for group in session.exec(
            select(AddOnGroup).where(AddOnGroup.item_id == item.id, AddOnGroup.min_choices > 0)
        ):
            add_on_ids += session.exec(
                select(AddOn.id)
                .where(AddOn.group_id == group.id, col(AddOn.is_available))
                .order_by(col(AddOn.display_order), col(AddOn.id))
                .limit(group.min_choices)
            ).all()
        lines.append(
            OrderLineCreate(
                item_id=item.id, variant_id=variant, add_on_ids=add_on_ids, quantity=1 + n % 2
            )
        )
    return lines


def _owner(session: Session, venue: Venue) -> User | None:
    return session.exec(
        select(User)
        .join(VenueMembership, col(VenueMembership.user_id) == col(User.id))
        .where(VenueMembership.venue_id == venue.id, VenueMembership.role == VenueRole.OWNER)
    ).first()


def advance(
    session: Session, *, order: Order, to: int, path: Sequence[OrderStatus], by: User
) -> None:
    for status in path[:to]:
        order = orders.move(session, order=order, to=status, by=by, mover=Mover.STAFF)


def venues_of_kind(session: Session, kind: VenueKind) -> list[Venue]:
    return list(
        session.exec(
            select(Venue)
            .where(Venue.kind == kind, Venue.status == VenueStatus.VERIFIED, col(Venue.is_active))
            .order_by(col(Venue.name), col(Venue.id))
        ).all()
    )


def _ordered_before(session: Session, *, venue: Venue, consumers: list[User]) -> bool:
    return (
        session.exec(
            select(Order.id).where(
                Order.venue_id == venue.id, col(Order.placed_by_id).in_([c.id for c in consumers])
            )
        ).first()
        is not None
    )


def _sit(session: Session, *, venue: Venue, table_no: int, people: list[User]) -> uuid.UUID | None:
    tables = session.exec(
        select(VenueTable)
        .where(VenueTable.venue_id == venue.id, col(VenueTable.is_active))
        .order_by(col(VenueTable.label), col(VenueTable.id))
    ).all()
    if len(tables) <= table_no:
        return None
    table = tables[table_no]
    token = encode_table_token(venue_id=venue.id, table_id=table.id, version=table.token_version)
    table_session = None
    for person in people:
        table_session = table_sessions.open_or_join(session, token=token, user=person, point=None)
    return table_session.id if table_session is not None else None


def _order(
    session: Session,
    *,
    consumer: User,
    lines: list[OrderLineCreate],
    session_id: uuid.UUID | None = None,
    pickup_point_id: uuid.UUID | None = None,
) -> Order:
    checkout = orders.place_order(
        session,
        consumer=consumer,
        data=OrderCreate(lines=lines, session_id=session_id, pickup_point_id=pickup_point_id),
        during_hours=False,
    )
    pay_at_test_gateway(
        session,
        payment=checkout.payment,
        order_id=checkout.gateway_order.order_id if checkout.gateway_order else None,
    )
    return session.exec(
        select(Order).where(Order.id == checkout.order.id).execution_options(populate_existing=True)
    ).one()


def _restaurant(session: Session, venue: Venue, people: list[User], staff: User) -> int:
    made = 0
    at_one = _sit(session, venue=venue, table_no=0, people=people[:2])
    if at_one is not None:
        for n, steps in enumerate((0, 2, 4)):  # placed, preparing, served
            order = _order(
                session,
                consumer=people[n % 2],
                lines=menu_lines(session, venue=venue, count=2, skip=2 * n),
                session_id=at_one,
            )
            advance(session, order=order, to=steps, path=DINE_IN_PATH, by=staff)
            made += 1
    at_two = _sit(session, venue=venue, table_no=1, people=people[2:4])
    if at_two is not None:
        order = _order(
            session,
            consumer=people[2],
            lines=menu_lines(session, venue=venue, count=3),
            session_id=at_two,
        )
        advance(session, order=order, to=4, path=DINE_IN_PATH, by=staff)
        made += 1
        table_session = session_crud.get(session, session_id=at_two)
        bill, _ = bills.issue_bill(session, table_session=table_session)
        share = bills.create_share(
            session,
            bill=bill,
            payer=people[2],
            data=BillShareCreate(method=BillShareMethod.EQUAL, parts=2),
        )
        assert share.payment is not None
        assert share.order is not None
        pay_at_test_gateway(session, payment=share.payment, order_id=share.order.order_id)
    return made


def _nightclub(session: Session, venue: Venue, people: list[User], staff: User) -> int:
    tab = _sit(session, venue=venue, table_no=0, people=people[:3])
    if tab is None:
        return 0
    order = _order(
        session, consumer=people[0], lines=menu_lines(session, venue=venue, count=2), session_id=tab
    )
    advance(session, order=order, to=3, path=DINE_IN_PATH, by=staff)  # ready
    return 1


def pickup_point_of(session: Session, venue: Venue) -> uuid.UUID | None:
    return session.exec(
        select(PickupPoint.id)
        .where(PickupPoint.venue_id == venue.id, col(PickupPoint.is_active))
        .order_by(col(PickupPoint.display_order), col(PickupPoint.id))
    ).first()


def _qsr(session: Session, venue: Venue, people: list[User], staff: User) -> int:
    point = pickup_point_of(session, venue)
    if point is None:
        return 0
    made = 0
    for n, steps in enumerate((0, 2, 3, 4, 5)):  # placed .. completed
        order = _order(
            session,
            consumer=people[n % len(people)],
            lines=menu_lines(session, venue=venue, count=1 + n % 2, skip=n),
            pickup_point_id=point,
        )
        advance(session, order=order, to=steps, path=PICKUP_PATH, by=staff)
        made += 1
    rejected = _order(
        session,
        consumer=people[0],
        lines=menu_lines(session, venue=venue, count=1),
        pickup_point_id=point,
    )
    orders.move(
        session, order=rejected, to=S.REJECTED, by=staff, mover=Mover.STAFF, reason="Out of buns"
    )
    cancelled = _order(
        session,
        consumer=people[1],
        lines=menu_lines(session, venue=venue, count=1),
        pickup_point_id=point,
    )
    orders.cancel(session, order=cancelled, by=people[1], reason="Ordered twice")
    return made + 2


def _food_court(session: Session, court: Venue, people: list[User]) -> int:
    point = pickup_point_of(session, court)
    qsrs = session.exec(
        select(Venue)
        .where(Venue.food_court_id == court.id, col(Venue.is_active))
        .order_by(col(Venue.name), col(Venue.id))
    ).all()
    if point is None or len(qsrs) < 2:
        return 0
    lines = menu_lines(session, venue=qsrs[0], count=2) + menu_lines(
        session, venue=qsrs[1], count=1
    )
    parent = _order(session, consumer=people[3], lines=lines, pickup_point_id=point)
    children = session.exec(
        select(Order).where(Order.parent_id == parent.id).order_by(col(Order.venue_id))
    ).all()
    for n, child in enumerate(children):
        venue = session.get(Venue, child.venue_id)
        staff = _owner(session, venue) if venue is not None else None
        if staff is not None:
            advance(session, order=child, to=1 + 2 * n, path=PICKUP_PATH, by=staff)
    return 1


def seed(session: Session) -> None:
    """Idempotent: orders where the demo consumers have none (with the test gateway only)."""
    if settings.PAYMENT_PROVIDER != "test":
        return
    people = [user for c in CONSUMERS if (user := user_crud.get_by_phone(session, phone=c.phone))]
    if len(people) < 4:
        return
    made = 0
    plan = [
        (venues_of_kind(session, VenueKind.RESTAURANT)[:1], _restaurant),
        (venues_of_kind(session, VenueKind.NIGHTCLUB)[:1], _nightclub),
        ([v for v in venues_of_kind(session, VenueKind.QSR) if v.food_court_id is None][:1], _qsr),
    ]
    for venues, build in plan:
        for venue in venues:
            staff = _owner(session, venue)
            if staff is None or _ordered_before(session, venue=venue, consumers=people):
                continue
            made += build(session, venue, people, staff)
    for court in venues_of_kind(session, VenueKind.FOOD_COURT)[:1]:
        if not _ordered_before(session, venue=court, consumers=people):
            made += _food_court(session, court, people)
    session.flush()
    logger.info("seeded %d demo orders", made)
