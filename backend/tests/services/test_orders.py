"""Orders through the service, on a real database: placing (validation, pricing,
numbers), prepaid orders and the payment rails, the status machine, refunds, food
courts and the expiry job."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core import jobs
from app.core.errors import (
    AddOnChoices,
    AddOnSoldOut,
    BillIssued,
    InvalidOrderTransition,
    ItemSoldOut,
    NotFound,
    OrderKindMismatch,
    SessionJoinExpired,
    TableSessionClosed,
    TooFarFromVenue,
    UnknownAddOn,
    UnknownItem,
    UnknownVariant,
    VariantRequired,
    VariantSoldOut,
    VenueClosedNow,
    VenueNotAcceptingOrders,
)
from app.crud import order as order_crud
from app.models import VenueKind
from app.models.order import (
    Bill,
    BillStatus,
    LiveEvent,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    TableSessionMember,
)
from app.models.payment import Payment, PaymentStatus, Refund, RefundReason
from app.models.venue import PaymentMode, VenueOpeningHours
from app.schema.order import OrderCreate
from app.schema.table_session import GeoPosition
from app.services import invoices, order_flow, tasks
from app.services import orders as orders_service
from app.services import table_sessions as sessions_service
from app.services.order_flow import Mover
from tests.factories import make_consumer
from tests.factories.jobs import run_jobs
from tests.factories.menus import make_add_on, make_add_on_group, make_tax_class, make_variant
from tests.factories.orders import (
    join,
    line,
    make_dining,
    make_food_court,
    make_menu_item,
    order_on_session,
    order_pickup,
    pay,
)

S = OrderStatus


def _changes(session: Session, order: Order) -> list[tuple[S | None, S]]:
    rows = session.exec(
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id == order.id)
        .order_by(col(OrderStatusChange.id))
    ).all()
    return [(r.from_status, r.to_status) for r in rows]


def _detail(exc: Exception) -> dict[str, Any]:
    detail = getattr(exc, "detail", None)
    assert isinstance(detail, dict)
    return detail


def _loc(exc: Exception) -> tuple[object, ...]:
    return tuple(getattr(exc, "loc", ()))


def _status(session: Session, order: Order) -> S:
    session.refresh(order)
    return order.status


def _refunds(session: Session, payment_id: object) -> list[Refund]:
    return list(session.exec(select(Refund).where(Refund.payment_id == payment_id)).all())


# --- dine-in, paid at the end --------------------------------------------------------


def test_a_dine_in_order_on_a_tab_is_placed_at_once_priced_on_the_server(
    session: Session,
) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END, service_charge_bps=1000)
    tax = make_tax_class(session, venue=d.venue, rate_bps=500, name="Food GST 5%")
    d.item.tax_class_id = tax.id
    session.add(d.item)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    made = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item, 2, note="no onion")]
    )
    order = made.order
    assert made.payment is None
    assert order.kind is OrderKind.DINE_IN
    assert order.status is S.PLACED
    assert order.placed_at is not None
    # 2 x 250.00 = 500.00; 5% = 25.00 added; no service charge on a tab's orders
    assert order.subtotal_minor == 50_000
    assert order.tax_minor == 2_500
    assert order.service_charge_minor == 0
    assert order.total_minor == 52_500
    assert order.taxes == [
        {"name": "Food GST 5%", "rate_bps": 500, "taxable_minor": 50_000, "tax_minor": 2_500}
    ]
    [ol] = order_crud.lines_of(session, order_ids=[order.id])[order.id]
    assert (ol.name, ol.unit_price_minor, ol.quantity, ol.amount_minor, ol.note) == (
        d.item.name,
        25_000,
        2,
        50_000,
        "no onion",
    )
    assert ol.tax_name == "Food GST 5%"
    assert ol.tax_minor == 2_500
    assert _changes(session, order) == [(None, S.PLACED)]
    assert session.exec(select(LiveEvent).where(LiveEvent.order_id == order.id)).first()
    # a later price change leaves the copy alone
    d.item.price_minor = 99_900
    session.add(d.item)
    session.flush()
    session.refresh(ol)
    assert ol.unit_price_minor == 25_000


def test_numbers_count_per_venue_and_day(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    other = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    ots = join(session, table=other.table, user=consumer)
    numbers = [
        order_on_session(
            session, table_session=ts, consumer=consumer, lines=[line(d.item)]
        ).order.number
        for _ in range(3)
    ]
    first_other = order_on_session(
        session, table_session=ots, consumer=consumer, lines=[line(other.item)]
    ).order.number
    assert numbers == [1, 2, 3]
    assert first_other == 1


def test_a_nightclub_tab_order_is_a_tab(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.NIGHTCLUB)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    made = order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])
    assert made.order.kind is OrderKind.TAB
    assert made.order.status is S.PLACED
    with pytest.raises(OrderKindMismatch):
        order_on_session(
            session,
            table_session=ts,
            consumer=consumer,
            lines=[line(d.item)],
            kind=OrderKind.DINE_IN,
        )


def test_an_issued_bill_refuses_new_orders_on_the_session(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    number = invoices.next_number(session, venue_id=d.venue.id, at=datetime.now(UTC))
    session.add(
        Bill(
            venue_id=d.venue.id,
            session_id=ts.id,
            financial_year=number.financial_year,
            invoice_seq=number.seq,
            invoice_number=number.number,
            currency="INR",
        )
    )
    session.flush()
    with pytest.raises(BillIssued):
        order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])


# --- who may order on a session ------------------------------------------------------


def test_only_a_member_orders_and_only_on_their_own_session(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    first, stranger = make_consumer(session), make_consumer(session)
    old = join(session, table=d.table, user=first)
    with pytest.raises(NotFound):
        order_on_session(session, table_session=old, consumer=stranger, lines=[line(d.item)])
    # the table's session closes; the next one at the same table is not the first's
    sessions_service.close(session, table_session=old, by=None)
    new = join(session, table=d.table, user=stranger)
    assert new.id != old.id
    with pytest.raises(NotFound):
        order_on_session(session, table_session=new, consumer=first, lines=[line(d.item)])
    with pytest.raises(TableSessionClosed):
        order_on_session(session, table_session=old, consumer=first, lines=[line(d.item)])


def test_an_old_join_or_a_far_position_cannot_order(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    with pytest.raises(TooFarFromVenue) as far:
        order_on_session(
            session,
            table_session=ts,
            consumer=consumer,
            lines=[line(d.item)],
            position=GeoPosition(
                latitude=d.venue.latitude + 0.05,  # about 5.5 km north
                longitude=d.venue.longitude,
            ),
        )
    assert _detail(far.value)["max_distance_m"] == 300
    near = order_on_session(
        session,
        table_session=ts,
        consumer=consumer,
        lines=[line(d.item)],
        position=GeoPosition(
            latitude=d.venue.latitude + 0.001,  # about 110 m
            longitude=d.venue.longitude,
        ),
    )
    assert near.order.status is S.PLACED
    session.execute(
        sa.update(TableSessionMember)
        .where(col(TableSessionMember.session_id) == ts.id)
        .values(joined_at=datetime.now(UTC) - timedelta(hours=5))
    )
    with pytest.raises(SessionJoinExpired):
        order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])
    join(session, table=d.table, user=consumer)  # scanning again renews the membership
    again = order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])
    assert again.order.status is S.PLACED


# --- what can be ordered -------------------------------------------------------------


def test_variants_and_add_ons_are_checked_and_priced(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    whisky = make_menu_item(session, venue=d.venue, price_minor=40_000, is_alcoholic=True)
    small = make_variant(session, item=whisky, name="30 ml", price_minor=30_000)
    large = make_variant(session, item=whisky, name="60 ml", price_minor=55_000)
    mixers = make_add_on_group(session, item=whisky, name="Mixer", min_choices=1, max_choices=2)
    soda = make_add_on(session, group=mixers, name="Soda", price_minor=0)
    tonic = make_add_on(session, group=mixers, name="Tonic", price_minor=8_000)
    cola = make_add_on(session, group=mixers, name="Cola", price_minor=6_000)
    other_item = make_menu_item(session, venue=d.venue)
    other_variant = make_variant(session, item=other_item, price_minor=1)
    other_group = make_add_on_group(session, item=other_item)
    other_add_on = make_add_on(session, group=other_group)

    def place(**fields: Any) -> Order:
        return order_on_session(
            session, table_session=ts, consumer=consumer, lines=[line(whisky, **fields)]
        ).order

    with pytest.raises(VariantRequired) as e1:
        place(add_on_ids=[soda.id])
    assert _loc(e1.value) == ("body", "lines", 0, "variant_id")
    with pytest.raises(UnknownVariant):
        place(variant_id=other_variant.id, add_on_ids=[soda.id])
    with pytest.raises(UnknownAddOn):
        place(variant_id=small.id, add_on_ids=[other_add_on.id])
    with pytest.raises(AddOnChoices):
        place(variant_id=small.id)  # a mixer is required
    with pytest.raises(AddOnChoices):
        place(variant_id=small.id, add_on_ids=[soda.id, tonic.id, cola.id])
    order = place(variant_id=large.id, add_on_ids=[tonic.id, cola.id], quantity=3)
    [ol] = order_crud.lines_of(session, order_ids=[order.id])[order.id]
    assert ol.variant_name == "60 ml"
    assert ol.unit_price_minor == 55_000 + 8_000 + 6_000
    assert ol.amount_minor == 3 * 69_000
    assert {a["name"] for a in ol.add_ons} == {"Tonic", "Cola"}
    assert all(a["group"] == "Mixer" for a in ol.add_ons)

    large.is_available = False
    session.add(large)
    session.flush()
    with pytest.raises(VariantSoldOut) as e2:
        place(variant_id=large.id, add_on_ids=[soda.id])
    assert _detail(e2.value)["variant_id"] == str(large.id)
    tonic.is_available = False
    session.add(tonic)
    session.flush()
    with pytest.raises(AddOnSoldOut) as e3:
        place(variant_id=small.id, add_on_ids=[tonic.id])
    assert _detail(e3.value)["add_on"] == "Tonic"
    whisky.is_available = False
    session.add(whisky)
    session.flush()
    with pytest.raises(ItemSoldOut) as e4:
        place(variant_id=small.id, add_on_ids=[soda.id])
    assert _detail(e4.value)["item_id"] == str(whisky.id)


def test_an_item_of_another_venue_is_unknown(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    other = make_dining(session)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    with pytest.raises(UnknownItem) as e:
        order_on_session(
            session, table_session=ts, consumer=consumer, lines=[line(d.item), line(other.item)]
        )
    assert _loc(e.value) == ("body", "lines", 1, "item_id")


def test_a_venue_not_taking_orders_or_closed_refuses(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    d.venue.is_accepting_orders = False
    session.add(d.venue)
    session.flush()
    with pytest.raises(VenueNotAcceptingOrders):
        order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])
    d.venue.is_accepting_orders = True
    session.add(d.venue)
    # Open one minute a day, an hour from now (in the venue's zone): closed now.
    later = (datetime.now(ZoneInfo(d.venue.timezone)) + timedelta(hours=1)).replace(tzinfo=None)
    opens = later.time().replace(second=0, microsecond=0)
    closes = (
        time(opens.hour, min(opens.minute + 1, 59))
        if opens.minute < 59
        else time(opens.hour, 59, 30)
    )
    for weekday in range(7):
        session.add(
            VenueOpeningHours(venue_id=d.venue.id, weekday=weekday, opens=opens, closes=closes)
        )
    session.flush()
    with pytest.raises(VenueClosedNow):
        order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])


# --- prepaid orders ------------------------------------------------------------------


def test_a_pickup_order_waits_for_its_payment_then_is_placed_and_billed(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR, packaging_charge_minor=1_000)
    made = order_pickup(session, point=d.pickup, lines=[line(d.item)])
    assert made.order.kind is OrderKind.PICKUP
    assert made.order.status is S.AWAITING_PAYMENT
    assert made.order.packaging_minor == 1_000
    assert made.order.total_minor == 26_000
    assert made.payment is not None
    assert made.payment.amount_minor == 26_000
    assert made.payment.order_id == made.order.id
    assert order_crud.bill_of(session, order_id=made.order.id) is None
    pay(session, made)
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is S.PLACED
    bill = order_crud.bill_of(session, order_id=order.id)
    assert bill is not None
    assert bill.status is BillStatus.PAID
    assert bill.total_minor == 26_000 == bill.paid_minor
    assert bill.invoice_seq == 1
    assert bill.venue_id == d.venue.id
    assert _changes(session, order) == [(None, S.AWAITING_PAYMENT), (S.AWAITING_PAYMENT, S.PLACED)]


def test_a_failed_payment_abandons_the_order(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    made = order_pickup(session, point=d.pickup, lines=[line(d.item)])
    pay(session, made, succeed=False)
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is S.ABANDONED


def test_a_per_order_session_prepays_with_its_service_charge(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR, service_charge_bps=1000)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    made = order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)])
    assert made.order.status is S.AWAITING_PAYMENT
    assert made.order.service_charge_minor == 2_500
    assert made.order.total_minor == 27_500
    without = order_on_session(
        session,
        table_session=ts,
        consumer=consumer,
        lines=[line(d.item)],
        without_service_charge=True,
    )
    assert without.order.service_charge_minor == 0
    assert without.order.total_minor == 25_000


def test_unpaid_orders_expire_and_a_late_capture_is_refunded(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    made = order_pickup(session, point=d.pickup, lines=[line(d.item)])
    assert orders_service.expire_unpaid(session) == 0
    assert orders_service.expire_unpaid(session, now=datetime.now(UTC) + timedelta(minutes=16)) >= 1
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is S.ABANDONED
    pay(session, made)
    session.refresh(order)
    assert order.status is S.ABANDONED
    assert made.payment is not None
    [refund] = _refunds(session, made.payment.id)
    assert refund.reason is RefundReason.CAPTURED_TOO_LATE
    assert refund.amount_minor == 25_000


def test_an_unknown_or_closed_pickup_point_is_refused(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    d.pickup.is_active = False
    session.add(d.pickup)
    session.flush()
    with pytest.raises(NotFound):
        order_pickup(session, point=d.pickup, lines=[line(d.item)])
    with pytest.raises(NotFound):
        orders_service.place_order(
            session,
            consumer=make_consumer(session),
            data=OrderCreate(pickup_point_id=d.venue.id, lines=[line(d.item)]),
        )


# --- the status machine ---------------------------------------------------------------


def test_staff_move_an_order_through_every_status_with_history(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    order = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    with pytest.raises(InvalidOrderTransition) as bad:
        orders_service.move_by_staff(session, order=order, to=S.PICKED_UP, by=d.staff, reason=None)
    assert _detail(bad.value)["from"] == "placed"
    assert _detail(bad.value)["to"] == "picked_up"
    for to in (S.ACCEPTED, S.PREPARING, S.READY, S.SERVED, S.COMPLETED):
        orders_service.move_by_staff(session, order=order, to=to, by=d.staff, reason=None)
    session.refresh(order)
    assert order.status is S.COMPLETED
    history = session.exec(
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id == order.id)
        .order_by(col(OrderStatusChange.id))
    ).all()
    assert [h.to_status for h in history] == [
        S.PLACED,
        S.ACCEPTED,
        S.PREPARING,
        S.READY,
        S.SERVED,
        S.COMPLETED,
    ]
    assert all(h.by_id == d.staff.id for h in history[1:])
    with pytest.raises(InvalidOrderTransition):
        orders_service.move_by_staff(session, order=order, to=S.CANCELLED, by=d.staff, reason=None)


def test_the_consumer_cancels_only_until_accepted(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    first = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    orders_service.cancel(session, order=first, by=consumer, reason="changed my mind")
    assert first.status is S.CANCELLED
    second = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    orders_service.move_by_staff(session, order=second, to=S.ACCEPTED, by=d.staff, reason=None)
    with pytest.raises(InvalidOrderTransition):
        orders_service.cancel(session, order=second, by=consumer, reason=None)
    orders_service.move_by_staff(session, order=second, to=S.READY, by=d.staff, reason=None)
    with pytest.raises(InvalidOrderTransition):  # rejected only before ready
        orders_service.move_by_staff(session, order=second, to=S.REJECTED, by=d.staff, reason=None)
    orders_service.move_by_staff(session, order=second, to=S.CANCELLED, by=d.staff, reason="spilt")
    assert second.status is S.CANCELLED


def test_a_rejected_paid_order_is_refunded_once_and_its_bill_voided(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    made = order_pickup(session, point=d.pickup, lines=[line(d.item, 2)])
    pay(session, made)
    order = session.get(Order, made.order.id)
    assert order is not None
    orders_service.move_by_staff(session, order=order, to=S.REJECTED, by=d.staff, reason="no gas")
    with pytest.raises(InvalidOrderTransition):
        orders_service.move_by_staff(session, order=order, to=S.REJECTED, by=d.staff, reason=None)
    with pytest.raises(InvalidOrderTransition):
        orders_service.move_by_staff(session, order=order, to=S.CANCELLED, by=d.staff, reason=None)
    assert made.payment is not None
    [refund] = _refunds(session, made.payment.id)
    assert refund.reason is RefundReason.ORDER_REJECTED
    assert refund.amount_minor == 50_000
    bill = order_crud.bill_of(session, order_id=order.id)
    assert bill is not None
    assert bill.status is BillStatus.VOID


def test_a_pickup_order_ready_tells_the_consumer_and_is_picked_up(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    made = order_pickup(session, point=d.pickup, lines=[line(d.item)])
    pay(session, made)
    order = session.get(Order, made.order.id)
    assert order is not None
    for to in (S.ACCEPTED, S.READY):
        orders_service.move_by_staff(session, order=order, to=to, by=d.staff, reason=None)
    with pytest.raises(InvalidOrderTransition):
        orders_service.move_by_staff(session, order=order, to=S.SERVED, by=d.staff, reason=None)
    orders_service.move_by_staff(session, order=order, to=S.PICKED_UP, by=d.staff, reason=None)
    orders_service.move_by_staff(session, order=order, to=S.COMPLETED, by=d.staff, reason=None)
    events = session.exec(
        select(LiveEvent).where(LiveEvent.order_id == order.id).order_by(col(LiveEvent.id))
    ).all()
    assert [e.data["status"] for e in events][-3:] == ["ready", "picked_up", "completed"]


def test_staff_cannot_move_an_unpaid_order() -> None:
    assert not order_flow.allowed(
        S.AWAITING_PAYMENT, S.PLACED, kind=OrderKind.PICKUP, by=Mover.STAFF
    )
    assert not order_flow.allowed(
        S.AWAITING_PAYMENT, S.ACCEPTED, kind=OrderKind.PICKUP, by=Mover.STAFF
    )
    assert order_flow.allowed(
        S.AWAITING_PAYMENT, S.CANCELLED, kind=OrderKind.PICKUP, by=Mover.CONSUMER
    )
    assert order_flow.next_moves(S.READY, kind=OrderKind.PICKUP, by=Mover.STAFF) == [
        S.PICKED_UP,
        S.CANCELLED,
    ]
    assert order_flow.next_moves(S.READY, kind=OrderKind.DINE_IN, by=Mover.STAFF) == [
        S.SERVED,
        S.CANCELLED,
    ]
    for final in order_flow.FINAL:
        for by in Mover:
            assert order_flow.next_moves(final, kind=OrderKind.DINE_IN, by=by) == []


# --- food courts ---------------------------------------------------------------------


def test_a_food_court_cart_is_one_payment_and_one_sub_order_per_qsr(session: Session) -> None:
    fc = make_food_court(session)
    for qsr in fc.qsrs:
        qsr.packaging_charge_minor = 500
        session.add(qsr)
    a, b = fc.items
    made = order_pickup(session, point=fc.pickup, lines=[line(a, 2), line(b, 1)])
    parent = made.order
    subs = order_crud.children_of(session, parent_ids=[parent.id])[parent.id]
    assert {s.venue_id for s in subs} == {q.id for q in fc.qsrs}
    by_venue = {s.venue_id: s for s in subs}
    sub_a, sub_b = by_venue[fc.qsrs[0].id], by_venue[fc.qsrs[1].id]
    assert sub_a.total_minor == 20_500
    assert sub_b.total_minor == 10_500
    assert parent.total_minor == 31_000
    assert parent.venue_id == fc.court.id
    assert made.payment is not None
    assert made.payment.amount_minor == 31_000
    assert all(s.status is S.AWAITING_PAYMENT for s in subs)
    lines = order_crud.lines_of(session, order_ids=[parent.id, sub_a.id, sub_b.id])
    assert parent.id not in lines
    assert [ol.item_id for ol in lines[sub_a.id]] == [a.id]

    pay(session, made)
    for s in (parent, sub_a, sub_b):
        session.refresh(s)
        assert s.status is S.PLACED
    bills = {
        bill.venue_id: bill
        for bill in session.exec(select(Bill).where(col(Bill.order_id).in_([sub_a.id, sub_b.id])))
    }
    assert set(bills) == {fc.qsrs[0].id, fc.qsrs[1].id}
    assert all(bill.invoice_seq == 1 for bill in bills.values())  # each QSR's own sequence
    assert order_crud.bill_of(session, order_id=parent.id) is None

    # QSR A rejects its part: exactly that part goes back; B goes on to the end.
    orders_service.move_by_staff(
        session, order=sub_a, to=S.REJECTED, by=fc.qsr_staff[0], reason=None
    )
    [refund] = _refunds(session, made.payment.id)
    assert refund.amount_minor == 20_500
    assert refund.reason is RefundReason.ORDER_REJECTED
    assert _status(session, parent) is S.PLACED
    for to in (S.ACCEPTED, S.READY, S.PICKED_UP, S.COMPLETED):
        orders_service.move_by_staff(session, order=sub_b, to=to, by=fc.qsr_staff[1], reason=None)
    assert _status(session, parent) is S.COMPLETED
    assert len(_refunds(session, made.payment.id)) == 1


def test_the_consumer_cancels_a_whole_food_court_cart_until_a_part_is_accepted(
    session: Session,
) -> None:
    fc = make_food_court(session)
    consumer = make_consumer(session)
    made = order_pickup(
        session, point=fc.pickup, consumer=consumer, lines=[line(i) for i in fc.items]
    )
    pay(session, made)
    parent = session.get(Order, made.order.id)
    assert parent is not None
    sub = order_crud.children_of(session, parent_ids=[parent.id])[parent.id][0]
    orders_service.move_by_staff(session, order=sub, to=S.ACCEPTED, by=fc.qsr_staff[0], reason=None)
    with pytest.raises(InvalidOrderTransition):
        orders_service.cancel(session, order=parent, by=consumer, reason=None)

    other = order_pickup(
        session, point=fc.pickup, consumer=consumer, lines=[line(i) for i in fc.items]
    )
    pay(session, other)
    parent2 = session.get(Order, other.order.id)
    assert parent2 is not None
    orders_service.cancel(session, order=parent2, by=consumer, reason=None)
    assert parent2.status is S.CANCELLED
    subs = order_crud.children_of(session, parent_ids=[parent2.id])[parent2.id]
    assert all(s.status is S.CANCELLED for s in subs)
    assert other.payment is not None
    [refund] = _refunds(session, other.payment.id)
    assert refund.amount_minor == parent2.total_minor
    payment = session.get(Payment, other.payment.id)
    assert payment is not None
    assert payment.status is PaymentStatus.CAPTURED


def test_session_orders_for_the_bill_leave_out_void_ones(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    kept = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    gone = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    orders_service.cancel(session, order=gone, by=consumer, reason=None)
    assert [o.id for o in order_crud.session_orders(session, session_id=ts.id)] == [kept.id]
    lines = order_crud.lines_of(session, order_ids=[kept.id])
    assert [type(ol) for ol in lines[kept.id]] == [OrderLine]


def test_a_kind_that_does_not_fit_the_place_is_refused(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    with pytest.raises(OrderKindMismatch):
        order_pickup(session, point=d.pickup, lines=[line(d.item)], kind=OrderKind.DINE_IN)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    with pytest.raises(OrderKindMismatch):
        order_on_session(
            session,
            table_session=ts,
            consumer=consumer,
            lines=[line(d.item)],
            kind=OrderKind.PICKUP,
        )


def test_the_expiry_job_abandons_orders_not_paid_in_time(session: Session) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    late = order_pickup(session, point=d.pickup, lines=[line(d.item)]).order
    fresh = order_pickup(session, point=d.pickup, lines=[line(d.item)]).order
    session.execute(
        sa.update(Order)
        .where(col(Order.id) == late.id)
        .values(created_at=datetime.now(UTC) - timedelta(minutes=16))
    )
    jobs.defer(session, tasks.expire_unpaid_orders, timestamp=int(datetime.now(UTC).timestamp()))
    run_jobs(session)
    assert _status(session, late) is S.ABANDONED
    assert _status(session, fresh) is S.AWAITING_PAYMENT
    assert _changes(session, late)[-1] == (S.AWAITING_PAYMENT, S.ABANDONED)


def test_sessions_and_orders_write_the_live_log(session: Session) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    join(session, table=d.table, user=make_consumer(session))
    order = order_on_session(
        session, table_session=ts, consumer=consumer, lines=[line(d.item)]
    ).order
    orders_service.move_by_staff(session, order=order, to=S.ACCEPTED, by=d.staff, reason=None)
    events = session.exec(
        select(LiveEvent).where(LiveEvent.session_id == ts.id).order_by(col(LiveEvent.id))
    ).all()
    assert [(e.kind.value, e.data["event"]) for e in events] == [
        ("session", "opened"),
        ("session", "joined"),
        ("order", "placed"),
        ("order", "status"),
    ]
    assert events[-1].user_id == consumer.id
    assert events[-1].venue_id == d.venue.id
    assert events[-1].data["from"] == "placed"


def test_unpaid_prepaid_orders_are_capped_per_consumer_until_one_is_paid(
    session: Session,
) -> None:
    from app.core.config import settings
    from app.core.errors import TooManyUnpaidOrders

    d = make_dining(session, kind=VenueKind.QSR)
    consumer = make_consumer(session)
    made = [
        order_pickup(session, point=d.pickup, consumer=consumer, lines=[line(d.item)])
        for _ in range(settings.ORDER_MAX_UNPAID)
    ]
    with pytest.raises(TooManyUnpaidOrders) as refused, session.begin_nested():
        order_pickup(session, point=d.pickup, consumer=consumer, lines=[line(d.item)])
    detail = refused.value.detail
    assert isinstance(detail, dict)
    assert (detail["unpaid"], detail["max_unpaid"]) == (3, settings.ORDER_MAX_UNPAID)
    pay(session, made[0])
    again = order_pickup(session, point=d.pickup, consumer=consumer, lines=[line(d.item)])
    assert again.order.status is OrderStatus.AWAITING_PAYMENT
    other = order_pickup(session, point=d.pickup, lines=[line(d.item)])  # others are not held up
    assert other.order.status is OrderStatus.AWAITING_PAYMENT


def test_an_item_priced_in_another_currency_than_its_venue_is_refused(session: Session) -> None:
    from app.core.errors import MixedCurrencies

    d = make_dining(session, kind=VenueKind.QSR)
    d.item.currency = "USD"
    session.add(d.item)
    session.flush()
    with pytest.raises(MixedCurrencies), session.begin_nested():
        order_pickup(session, point=d.pickup, lines=[line(d.item)])


def test_the_gateway_order_names_the_order_placed(session: Session) -> None:
    from app.services import payments
    from tests.fakes.razorpay import FakeRazorpay

    d = make_dining(session, kind=VenueKind.QSR)
    with FakeRazorpay() as gateway, payments.use_provider(gateway.provider()):
        made = order_pickup(session, point=d.pickup, lines=[line(d.item)])
    assert made.gateway_order is not None
    notes = gateway.orders[made.gateway_order.order_id]["notes"]
    assert notes["order"] == str(made.order.id)
