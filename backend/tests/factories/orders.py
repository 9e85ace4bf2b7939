"""Factories for ordering: venues ready to take orders, table sessions and orders,
placed through the service as a consumer would. Menu options, tax classes and pickup
points come from `tests.factories.menus`."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.core.table_token import encode_table_token
from app.models import User, Venue, VenueKind, VenueRole
from app.models.menu import MenuItem
from app.models.order import PickupPoint, TableSession
from app.models.table import VenueTable
from app.models.venue import DEFAULT_PAYMENT_MODE, PaymentMode
from app.schema.order import OrderCreate, OrderLineCreate
from app.services import orders as orders_service
from app.services import payments
from app.services import table_sessions as sessions_service
from app.services.orders import OrderCheckout
from tests.factories import add_member, make_consumer, make_user, make_venue
from tests.factories.jobs import run_jobs
from tests.factories.menus import (
    make_category,
    make_item,
    make_menu,
    make_pickup_point,
)
from tests.factories.places import make_table

_seq = itertools.count(1)


def make_menu_item(
    session: Session, *, venue: Venue, price_minor: int = 25_000, **fields: Any
) -> MenuItem:
    """An item on a fresh menu of the venue."""
    category = make_category(session, menu=make_menu(session, venue=venue))
    return make_item(session, category=category, price_minor=price_minor, **fields)


def token_of(table: VenueTable) -> str:
    return encode_table_token(
        venue_id=table.venue_id, table_id=table.id, version=table.token_version
    )


@dataclass
class Dining:
    """A verified venue with a table, an item, a pickup point and its people."""

    venue: Venue
    owner: User
    manager: User
    staff: User
    table: VenueTable
    item: MenuItem
    pickup: PickupPoint
    extra: dict[str, Any] = field(default_factory=dict)


def make_dining(
    session: Session,
    *,
    kind: VenueKind = VenueKind.RESTAURANT,
    payment_mode: PaymentMode | None = None,
    price_minor: int = 25_000,
    **venue_fields: Any,
) -> Dining:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = make_venue(
        session,
        owner=owner,
        kind=kind,
        payment_mode=payment_mode or DEFAULT_PAYMENT_MODE[kind],
        **venue_fields,
    )
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    return Dining(
        venue=venue,
        owner=owner,
        manager=manager,
        staff=staff,
        table=make_table(session, venue=venue),
        item=make_menu_item(session, venue=venue, price_minor=price_minor),
        pickup=make_pickup_point(session, venue=venue),
    )


@dataclass
class FoodCourt:
    court: Venue
    court_staff: User
    qsrs: list[Venue]
    qsr_staff: list[User]
    items: list[MenuItem]
    pickup: PickupPoint


def make_food_court(session: Session, *, qsrs: int = 2, price_minor: int = 10_000) -> FoodCourt:
    owner, court_staff = make_user(session), make_user(session)
    court = make_venue(session, owner=owner, kind=VenueKind.FOOD_COURT)
    add_member(session, venue=court, user=court_staff, role=VenueRole.STAFF)
    made, staff, items = [], [], []
    for _ in range(qsrs):
        qsr = make_venue(
            session, owner=make_user(session), kind=VenueKind.QSR, food_court_id=court.id
        )
        person = make_user(session)
        add_member(session, venue=qsr, user=person, role=VenueRole.STAFF)
        made.append(qsr)
        staff.append(person)
        items.append(make_menu_item(session, venue=qsr, price_minor=price_minor))
    return FoodCourt(
        court=court,
        court_staff=court_staff,
        qsrs=made,
        qsr_staff=staff,
        items=items,
        pickup=make_pickup_point(session, venue=court),
    )


def join(session: Session, *, table: VenueTable, user: User | None = None) -> TableSession:
    return sessions_service.open_or_join(
        session, token=token_of(table), user=user or make_consumer(session), point=None
    )


def line(item: MenuItem, quantity: int = 1, **fields: Any) -> OrderLineCreate:
    return OrderLineCreate(item_id=item.id, quantity=quantity, **fields)


def order_on_session(
    session: Session,
    *,
    table_session: TableSession,
    consumer: User,
    lines: list[OrderLineCreate],
    **fields: Any,
) -> OrderCheckout:
    return orders_service.place_order(
        session,
        consumer=consumer,
        data=OrderCreate(session_id=table_session.id, lines=lines, **fields),
    )


def order_pickup(
    session: Session,
    *,
    point: PickupPoint,
    consumer: User | None = None,
    lines: list[OrderLineCreate],
    **fields: Any,
) -> OrderCheckout:
    return orders_service.place_order(
        session,
        consumer=consumer or make_consumer(session),
        data=OrderCreate(pickup_point_id=point.id, lines=lines, **fields),
    )


def pay(session: Session, made: OrderCheckout, *, succeed: bool = True) -> None:
    """Pay (or fail) a prepaid order on the test gateway; its webhook job runs."""
    assert made.gateway_order is not None
    payments.complete_test_checkout(session, order_id=made.gateway_order.order_id, succeed=succeed)
    run_jobs(session)
    session.expire_all()


def order_id(made: OrderCheckout) -> uuid.UUID:
    return made.order.id
