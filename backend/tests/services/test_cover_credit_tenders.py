"""Cover credit as a tender: a checked-in pass's credit pays first at the bar (prepaid
orders) and on the tab's bill (shares), before the gateway or a group's wallet; what
it paid for, given up or refused, gives it back; the bill shows it as its own tender."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from app.core.errors import CoverCreditChanged
from app.crud import bill as bill_crud
from app.models import User
from app.models.order import BillShareStatus, BillStatus, Order, OrderStatus
from app.models.payment import WALLET_PROVIDER, PaymentStatus
from app.schema.bill import TenderKind
from app.schema.order import OrderCreate
from app.services import cover_credit, payments
from app.services import orders as orders_service
from tests.factories import make_consumer
from tests.factories.bills import Tab, issue, make_table_session, settle, take_share
from tests.factories.jobs import run_jobs
from tests.factories.menus import make_pickup_point
from tests.factories.orders import line, make_menu_item, order_pickup
from tests.factories.places import make_table
from tests.factories.visits import ClubNight, enter, make_club_night, passes
from tests.factories.wallets import make_crew, top_up

CREDIT = 100_000  # ₹1,000 on the couple pass


@pytest.fixture
def night(session: Session) -> ClubNight:
    return make_club_night(session, credit_minor=CREDIT)


@pytest.fixture
def guest(session: Session, night: ClubNight) -> User:
    consumer = make_consumer(session)
    enter(session, night, *passes(session, night=night, consumer=consumer))
    return consumer


def _left(session: Session, night: ClubNight, guest: User) -> int:
    return cover_credit.available(
        session, holder_id=guest.id, venue_id=night.venue.id, currency="INR", at=datetime.now(UTC)
    )


def _bar_order(session: Session, night: ClubNight, guest: User, price: int, **fields: object):  # type: ignore[no-untyped-def]
    item = make_menu_item(session, venue=night.venue, price_minor=price)
    point = make_pickup_point(session, venue=night.venue, name="Bar")
    return order_pickup(session, point=point, consumer=guest, lines=[line(item)], **fields)


def test_credit_pays_a_bar_order_in_full_and_it_is_placed_at_once(
    session: Session, night: ClubNight, guest: User
) -> None:
    made = _bar_order(session, night, guest, 40_000)
    assert made.payment is None
    assert made.gateway_order is None
    order = session.get(Order, made.order.id)
    assert order is not None
    assert (order.status, order.credit_minor) == (OrderStatus.PLACED, order.total_minor)
    assert _left(session, night, guest) == CREDIT - order.total_minor


def test_credit_pays_first_and_the_gateway_the_rest(
    session: Session, night: ClubNight, guest: User
) -> None:
    made = _bar_order(session, night, guest, 150_000)
    total = made.order.total_minor
    assert made.order.credit_minor == CREDIT
    assert made.payment is not None
    assert made.payment.amount_minor == total - CREDIT
    assert _left(session, night, guest) == 0


def test_the_consumer_may_keep_the_credit_for_later(
    session: Session, night: ClubNight, guest: User
) -> None:
    made = _bar_order(session, night, guest, 40_000, use_cover_credit=False)
    assert made.order.credit_minor == 0
    assert made.payment is not None
    assert made.payment.amount_minor == made.order.total_minor
    assert _left(session, night, guest) == CREDIT


def test_a_rejected_order_gives_the_credit_back_and_refunds_only_the_rest(
    session: Session, night: ClubNight, guest: User
) -> None:
    made = _bar_order(session, night, guest, 150_000)
    assert made.gateway_order is not None
    payments.complete_test_checkout(session, order_id=made.gateway_order.order_id, succeed=True)
    run_jobs(session)
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.PLACED
    orders_service.move_by_staff(
        session, order=order, to=OrderStatus.REJECTED, by=night.staff, reason="no ice"
    )
    run_jobs(session)
    assert _left(session, night, guest) == CREDIT
    assert made.payment is not None
    session.refresh(made.payment)
    assert made.payment.refunded_minor == order.total_minor - CREDIT


def test_an_order_never_paid_gives_the_credit_back(
    session: Session, night: ClubNight, guest: User
) -> None:
    made = _bar_order(session, night, guest, 150_000)
    assert made.gateway_order is not None
    payments.complete_test_checkout(session, order_id=made.gateway_order.order_id, succeed=False)
    run_jobs(session)
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.ABANDONED
    assert _left(session, night, guest) == CREDIT


def test_credit_and_then_the_group_wallet(session: Session, night: ClubNight) -> None:
    crew = make_crew(session, members=2)
    guest = crew.others[0]
    enter(session, night, *passes(session, night=night, consumer=guest))
    top_up(session, crew=crew, member=crew.admin, amount=200_000)
    made = _bar_order(session, night, guest, 150_000, wallet_group_id=crew.group.id)
    assert made.payment is not None
    assert (made.payment.provider, made.payment.status) == (WALLET_PROVIDER, PaymentStatus.CAPTURED)
    assert made.payment.amount_minor == made.order.total_minor - CREDIT
    assert made.order.status is OrderStatus.PLACED


def test_credit_is_only_for_the_holder_at_that_venue(
    session: Session, night: ClubNight, guest: User
) -> None:
    friend = make_consumer(session)
    made = _bar_order(session, night, friend, 40_000)  # not a holder
    assert made.order.credit_minor == 0
    elsewhere = make_club_night(session)
    item = make_menu_item(session, venue=elsewhere.venue, price_minor=40_000)
    point = make_pickup_point(session, venue=elsewhere.venue)
    other = order_pickup(session, point=point, consumer=guest, lines=[line(item)])
    assert other.order.credit_minor == 0


def test_credit_spent_from_another_phone_meanwhile_is_a_409(
    session: Session, night: ClubNight, guest: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first look saw the whole credit; by the time the order holds its lock the
    # other phone took some of it: the amounts no longer match, nothing is written.
    real = cover_credit.available
    monkeypatch.setattr(cover_credit, "available", lambda *a, **k: real(*a, **k) + 1)
    with pytest.raises(CoverCreditChanged):
        _bar_order(session, night, guest, 200_000)


# --- the tab's bill -------------------------------------------------------------------


def _tab(session: Session, night: ClubNight, guest: User) -> Tab:
    table = make_table(session, venue=night.venue)
    table_session = make_table_session(session, venue=night.venue, table=table, members=[guest])
    item = make_menu_item(session, venue=night.venue, price_minor=150_000)
    orders_service.place_order(
        session,
        consumer=guest,
        data=OrderCreate(session_id=table_session.id, lines=[line(item)]),
    )
    return Tab(
        owner=night.owner,
        venue=night.venue,
        table=table,
        table_session=table_session,
        members=[guest],
    )


def test_credit_pays_first_on_the_tabs_bill_and_shows_as_its_own_tender(
    session: Session, night: ClubNight, guest: User
) -> None:
    tab = _tab(session, night, guest)
    bill = issue(session, tab=tab)
    made = take_share(session, bill=bill, payer=guest, method="full")
    assert made.share.credit_minor == CREDIT
    assert made.payment is not None
    assert made.payment.amount_minor == bill.total_minor - CREDIT
    settle(session, made)
    run_jobs(session)
    read = bill_crud.read(session, bill=bill, now=datetime.now(UTC))
    assert read.status is BillStatus.PAID
    assert {t.kind: t.amount_minor for t in read.tenders} == {
        TenderKind.COVER_CREDIT: CREDIT,
        TenderKind.GATEWAY: bill.total_minor - CREDIT,
    }


def test_a_share_paid_by_credit_alone_is_paid_at_once(
    session: Session, night: ClubNight, guest: User
) -> None:
    tab = _tab(session, night, guest)
    bill = issue(session, tab=tab)
    made = take_share(session, bill=bill, payer=guest, method="custom", amount_minor=30_000)
    assert made.payment is None
    assert made.share.status is BillShareStatus.PAID
    assert _left(session, night, guest) == CREDIT - 30_000


def test_a_failed_share_gives_the_credit_back(
    session: Session, night: ClubNight, guest: User
) -> None:
    tab = _tab(session, night, guest)
    bill = issue(session, tab=tab)
    made = take_share(session, bill=bill, payer=guest, method="full")
    assert _left(session, night, guest) == 0
    settle(session, made, succeed=False)
    run_jobs(session)
    assert _left(session, night, guest) == CREDIT
