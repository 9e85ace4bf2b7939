"""Split the bill: the share arithmetic on awkward totals, issuing a session's bill,
removing its service charge, and what a share's payment does (paid, failed, captured
too late, expired)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, select

from app.core import jobs
from app.core.errors import (
    BillPaid,
    BillPartlyPaid,
    BillSharePending,
    LineAlreadyPaid,
    NothingToBill,
    SessionNotPayAtEnd,
    ShareExceedsBill,
    TableSessionClosed,
    UnknownBillLine,
)
from app.crud import table_session as session_crud
from app.models.order import (
    Bill,
    BillShare,
    BillShareStatus,
    BillStatus,
    LiveEvent,
    LiveEventKind,
    OrderLine,
    OrderStatus,
    SessionCloseReason,
    TableSession,
    TableSessionStatus,
)
from app.models.payment import Payment, PaymentStatus, Refund, RefundReason
from app.models.venue import PaymentMode
from app.services import bills, invoices, payments, tasks
from tests.factories.bills import AWKWARD_LINES, Tab, add_order, issue, make_tab, settle, take_share
from tests.factories.jobs import run_jobs

AWKWARD = AWKWARD_LINES

# --- the arithmetic -----------------------------------------------------------------------


def _equal_run(total: int, parts: int) -> list[int]:
    """Equal shares taken one after another until the bill is covered."""
    left, taken = total, []
    while left > 0:
        amount = bills.equal_share(total=total, parts=parts, left=left)
        taken.append(amount)
        left -= amount
    return taken


def test_three_equal_shares_of_an_odd_total() -> None:
    assert _equal_run(100, 3) == [33, 33, 34]
    assert _equal_run(115_100, 3) == [38_366, 38_366, 38_368]
    assert _equal_run(1_000, 7) == [142] * 6 + [148]


@pytest.mark.parametrize("parts", list(range(1, 13)))
@pytest.mark.parametrize("total", [100, 101, 199, 1_000, 99_999, 115_100, 10**9 + 7])
def test_equal_shares_cover_the_bill_exactly_in_n_payments(total: int, parts: int) -> None:
    taken = _equal_run(total, parts)
    assert sum(taken) == total
    assert len(taken) == parts
    assert set(taken[:-1]) <= {total // parts}
    assert taken[-1] == total - (parts - 1) * (total // parts)


def test_an_equal_share_of_a_bill_smaller_than_its_parts_is_all_of_it() -> None:
    assert _equal_run(2, 3) == [2]


def test_an_equal_share_after_a_custom_one_never_strands_a_few_paise() -> None:
    # 100 in 3: someone paid 60 of it; an equal share is 33, leaving 7 for someone else.
    assert bills.equal_share(total=100, parts=3, left=40) == 33
    # Only the remainder would be left: this share takes it.
    assert bills.equal_share(total=100, parts=3, left=34) == 34
    # Less than a share is left: pay exactly that.
    assert bills.equal_share(total=100, parts=3, left=20) == 20


def test_items_share_prices_exclude_tax_adds_tax_and_its_part_of_the_service_charge() -> None:
    # 33333 + 1667 tax + 9333 x 33333 / 93330 (3333.3 -> 3333)
    assert (
        bills.items_share(
            lines=[(33_333, 1_667)],
            prices_include_tax=False,
            service_charge_minor=9_333,
            bill_net_minor=93_330,
        )
        == 38_333
    )


def test_items_share_prices_include_tax_adds_only_the_service_charge() -> None:
    # 33333 (tax 1587 inside) + 8259 x 31746 / 82591 (3174.57 -> 3175)
    assert (
        bills.items_share(
            lines=[(33_333, 1_587)],
            prices_include_tax=True,
            service_charge_minor=8_259,
            bill_net_minor=82_591,
        )
        == 36_508
    )


def test_a_service_charge_of_half_a_paisa_rounds_up() -> None:
    assert (
        bills.items_share(
            lines=[(1, 0)], prices_include_tax=False, service_charge_minor=1, bill_net_minor=2
        )
        == 2
    )


# --- issuing -----------------------------------------------------------------------------


@pytest.fixture
def tab(session: Session) -> Tab:
    tab = make_tab(session, members=3, service_charge_bps=1000)
    add_order(session, tab=tab, lines=AWKWARD)
    add_order(session, tab=tab, lines=[(50_000, 2, 500)], status=OrderStatus.CANCELLED)
    add_order(session, tab=tab, lines=[(70_000, 1, 500)], status=OrderStatus.REJECTED)
    add_order(session, tab=tab, lines=[(90_000, 1, 500)], status=OrderStatus.AWAITING_PAYMENT)
    return tab


def _lines(session: Session, tab: Tab) -> list[OrderLine]:
    return list(
        session.exec(
            select(OrderLine)
            .where(OrderLine.order_id == tab.orders[0].id)
            .order_by(col(OrderLine.position))
        )
    )


def test_the_bill_sums_the_non_void_lines_with_their_stored_tax(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    assert bill.status is BillStatus.OPEN
    assert (bill.subtotal_minor, bill.tax_minor, bill.service_charge_minor) == (
        93_330,
        12_466,
        9_333,
    )
    assert (bill.rounding_minor, bill.total_minor, bill.paid_minor) == (-29, 115_100, 0)
    assert sorted(t["tax_minor"] for t in bill.taxes) == [1_667, 10_799]
    assert bill.invoice_number == invoices.format_number(
        venue_id=tab.venue.id, year=bill.financial_year, seq=1
    )
    assert not bills.prices_include_tax(bill)
    [event] = session.exec(
        select(LiveEvent).where(
            LiveEvent.session_id == tab.table_session.id, LiveEvent.kind == LiveEventKind.BILL
        )
    ).all()
    assert event.data["event"] == "issued"


def test_asking_again_gives_the_same_bill_and_uses_no_number(session: Session, tab: Tab) -> None:
    first = issue(session, tab=tab)
    again, created = bills.issue_bill(session, table_session=tab.table_session)
    assert (again.id, created) == (first.id, False)
    assert len(session.exec(select(Bill).where(Bill.venue_id == tab.venue.id)).all()) == 1


def test_prices_including_tax(session: Session) -> None:
    tab = make_tab(session, service_charge_bps=1000, prices_include_tax=True)
    add_order(session, tab=tab, lines=AWKWARD)
    bill = issue(session, tab=tab)
    assert (bill.tax_minor, bill.service_charge_minor, bill.total_minor) == (10_739, 8_259, 101_600)
    assert bills.prices_include_tax(bill)


def test_a_session_paying_per_order_has_no_bill_to_split(session: Session) -> None:
    tab = make_tab(session, payment_mode=PaymentMode.PER_ORDER)
    add_order(session, tab=tab, lines=AWKWARD)
    with pytest.raises(SessionNotPayAtEnd):
        issue(session, tab=tab)


def test_nothing_ordered_nothing_to_bill(session: Session) -> None:
    tab = make_tab(session)
    add_order(session, tab=tab, lines=[(10_000, 1, 0)], status=OrderStatus.CANCELLED)
    with pytest.raises(NothingToBill):
        issue(session, tab=tab)


def test_a_closed_session_gets_no_new_bill(session: Session, tab: Tab) -> None:
    tab.table_session.status = TableSessionStatus.CLOSED
    tab.table_session.close_reason = SessionCloseReason.STAFF
    tab.table_session.closed_at = tab.table_session.opened_at
    session.add(tab.table_session)
    session.flush()
    with pytest.raises(TableSessionClosed):
        issue(session, tab=tab)


# --- the service charge ------------------------------------------------------------------


def test_removing_the_service_charge_recomputes_the_total(session: Session, tab: Tab) -> None:
    bill = bills.remove_service_charge(session, bill=issue(session, tab=tab))
    assert (bill.service_charge_minor, bill.rounding_minor, bill.total_minor) == (0, 4, 105_800)
    assert bill.service_charge_removed
    assert bills.remove_service_charge(session, bill=bill).total_minor == 105_800


def test_the_service_charge_stays_while_a_share_is_pending_or_paid(
    session: Session, tab: Tab
) -> None:
    bill = issue(session, tab=tab)
    made = take_share(session, bill=bill, payer=tab.members[0], method="custom", amount_minor=100)
    with pytest.raises(BillSharePending):
        bills.remove_service_charge(session, bill=bill)
    settle(session, made)
    run_jobs(session)
    with pytest.raises(BillPartlyPaid):
        bills.remove_service_charge(session, bill=bill)


# --- shares and their payments -----------------------------------------------------------


def _reload(session: Session, bill: Bill) -> Bill:
    session.expire_all()
    found = session.get(Bill, bill.id)
    assert found is not None
    return found


def test_three_equal_shares_pay_the_bill_and_close_the_session(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    made = [
        take_share(session, bill=bill, payer=member, method="equal", parts=3)
        for member in tab.members
    ]
    assert [m.share.amount_minor for m in made] == [38_366, 38_366, 38_368]
    from app.core.errors import SharePendingForPayer

    with pytest.raises(SharePendingForPayer):  # one share at a time per payer
        take_share(session, bill=bill, payer=tab.members[0], method="full")
    for m in made:
        settle(session, m)
    run_jobs(session)
    bill = _reload(session, bill)
    assert (bill.status, bill.paid_minor) == (BillStatus.PAID, 115_100)
    assert bill.paid_at is not None
    table_session = session.get(TableSession, tab.table_session.id)
    assert table_session is not None
    assert table_session.status is TableSessionStatus.CLOSED
    assert table_session.close_reason is SessionCloseReason.SETTLED
    kinds = [
        (e.kind, e.data["event"])
        for e in session.exec(
            select(LiveEvent)
            .where(LiveEvent.session_id == tab.table_session.id)
            .order_by(col(LiveEvent.id))
        )
    ]
    assert kinds[-1] == (LiveEventKind.SESSION, "closed")
    assert kinds.count((LiveEventKind.BILL, "share_paid")) == 3
    with pytest.raises(BillPaid):
        take_share(session, bill=bill, payer=tab.members[0], method="full")


def test_items_then_custom_then_full(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    first, _ = _lines(session, tab)
    mine = take_share(session, bill=bill, payer=tab.members[0], method="items", line_ids=[first.id])
    assert mine.share.amount_minor == 38_333
    with pytest.raises(LineAlreadyPaid):
        take_share(session, bill=bill, payer=tab.members[1], method="items", line_ids=[first.id])
    custom = take_share(
        session, bill=bill, payer=tab.members[1], method="custom", amount_minor=10_001
    )
    with pytest.raises(ShareExceedsBill):
        take_share(session, bill=bill, payer=tab.members[2], method="custom", amount_minor=66_767)
    rest = take_share(session, bill=bill, payer=tab.members[2], method="full")
    assert rest.share.amount_minor == 115_100 - 38_333 - 10_001
    for m in (mine, custom, rest):
        settle(session, m)
    run_jobs(session)
    assert _reload(session, bill).status is BillStatus.PAID


def test_the_items_share_of_the_last_lines_pays_exactly_what_is_left(
    session: Session, tab: Tab
) -> None:
    bill = issue(session, tab=tab)
    first, second = _lines(session, tab)
    take_share(session, bill=bill, payer=tab.members[0], method="items", line_ids=[first.id])
    last = take_share(
        session, bill=bill, payer=tab.members[1], method="items", line_ids=[second.id]
    )
    # 59997 + 10799 tax + 6000 service would be 76796; the bill's rounding (-29) goes to it.
    assert last.share.amount_minor == 76_767


def test_a_line_of_a_void_order_is_not_on_the_bill(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    [void_line] = session.exec(
        select(OrderLine).where(OrderLine.order_id == tab.orders[1].id)
    ).all()
    with pytest.raises(UnknownBillLine):
        take_share(
            session, bill=bill, payer=tab.members[0], method="items", line_ids=[void_line.id]
        )


def test_a_failed_payment_frees_its_share_for_others(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    failed = take_share(session, bill=bill, payer=tab.members[0], method="full")
    settle(session, failed, succeed=False)
    run_jobs(session)
    share = session.get(BillShare, failed.share.id)
    assert share is not None
    assert share.status is BillShareStatus.FAILED
    assert _reload(session, bill).status is BillStatus.OPEN
    again = take_share(session, bill=bill, payer=tab.members[1], method="full")
    assert again.share.amount_minor == 115_100
    settle(session, again)
    run_jobs(session)
    assert _reload(session, bill).status is BillStatus.PAID


def _expire(session: Session, share: BillShare) -> None:
    share.expires_at = share.created_at
    session.add(share)
    session.flush()


def test_a_capture_after_expiry_when_others_paid_the_rest_is_refunded(
    session: Session, tab: Tab
) -> None:
    bill = issue(session, tab=tab)
    late = take_share(session, bill=bill, payer=tab.members[0], method="full")
    _expire(session, late.share)
    assert bills.expire_shares(session) == 1
    other = take_share(session, bill=bill, payer=tab.members[1], method="full")
    settle(session, other)
    settle(session, late)
    run_jobs(session)
    bill = _reload(session, bill)
    assert (bill.status, bill.paid_minor) == (BillStatus.PAID, 115_100)
    share = session.get(BillShare, late.share.id)
    assert share is not None
    assert share.status is BillShareStatus.EXPIRED
    assert late.payment is not None
    payment = session.get(Payment, late.payment.id)
    assert payment is not None
    assert payment.status is PaymentStatus.CAPTURED
    [refund] = session.exec(select(Refund).where(Refund.payment_id == payment.id)).all()
    assert (refund.amount_minor, refund.reason) == (115_100, RefundReason.OVERPAID)


def test_a_capture_after_expiry_that_still_fits_is_paid(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    late = take_share(session, bill=bill, payer=tab.members[0], method="custom", amount_minor=500)
    _expire(session, late.share)
    bills.expire_shares(session)
    settle(session, late)
    run_jobs(session)
    share = session.get(BillShare, late.share.id)
    assert share is not None
    assert share.status is BillShareStatus.PAID
    assert _reload(session, bill).paid_minor == 500
    assert late.payment is not None
    assert session.exec(select(Refund).where(Refund.payment_id == late.payment.id)).all() == []


def test_an_expired_share_no_longer_counts(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    first, _ = _lines(session, tab)
    held = take_share(session, bill=bill, payer=tab.members[0], method="items", line_ids=[first.id])
    _expire(session, held.share)
    again = take_share(
        session, bill=bill, payer=tab.members[1], method="items", line_ids=[first.id]
    )
    assert again.share.amount_minor == 38_333


def test_the_job_expires_pending_shares_past_their_time(session: Session, tab: Tab) -> None:
    bill = issue(session, tab=tab)
    stale = take_share(session, bill=bill, payer=tab.members[0], method="custom", amount_minor=100)
    fresh = take_share(session, bill=bill, payer=tab.members[1], method="custom", amount_minor=200)
    _expire(session, stale.share)
    jobs.defer(session, tasks.expire_bill_shares, timestamp=int(datetime.now(UTC).timestamp()))
    run_jobs(session)
    session.expire_all()
    statuses = {
        s.id: s.status for s in session.exec(select(BillShare).where(BillShare.bill_id == bill.id))
    }
    assert statuses == {
        stale.share.id: BillShareStatus.EXPIRED,
        fresh.share.id: BillShareStatus.PENDING,
    }


def test_a_payment_captured_after_it_failed_still_pays_its_share(
    session: Session, tab: Tab
) -> None:
    bill = issue(session, tab=tab)
    made = take_share(session, bill=bill, payer=tab.members[0], method="full")
    settle(session, made, succeed=False)
    run_jobs(session)
    assert made.payment is not None
    payment = payments.lock(session, payment_id=made.payment.id)
    assert payment.status is PaymentStatus.FAILED
    assert payments.transition(session, payment=payment, to=PaymentStatus.CAPTURED)
    share = session.get(BillShare, made.share.id)
    assert share is not None
    assert share.status is BillShareStatus.PAID
    assert _reload(session, bill).status is BillStatus.PAID


def test_an_open_bill_is_known_to_order_placing(session: Session, tab: Tab) -> None:
    assert None is session_crud.open_bill(session, session_id=tab.table_session.id)
    bill = issue(session, tab=tab)
    assert None is not session_crud.open_bill(session, session_id=tab.table_session.id)
    settle(session, take_share(session, bill=bill, payer=tab.members[0], method="full"))
    run_jobs(session)
    assert None is session_crud.open_bill(session, session_id=tab.table_session.id)


def test_an_order_on_an_issued_bill_can_no_longer_be_rejected_or_cancelled(
    session: Session, tab: Tab
) -> None:
    from app.core.errors import BillIssued
    from app.models.order import OrderStatus
    from app.services import orders as orders_service
    from app.services.order_flow import Mover

    billed = tab.orders[0]
    bill = issue(session, tab=tab)
    for to in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        with pytest.raises(BillIssued), session.begin_nested():
            orders_service.move(session, order=billed, to=to, by=tab.owner, mover=Mover.STAFF)
    moved = orders_service.move(
        session, order=billed, to=OrderStatus.ACCEPTED, by=tab.owner, mover=Mover.STAFF
    )
    assert moved.status is OrderStatus.ACCEPTED  # the kitchen goes on
    assert _reload(session, bill).total_minor == 115_100


def test_an_order_on_a_paid_bill_stays_on_it(session: Session, tab: Tab) -> None:
    from app.core.errors import BillIssued
    from app.models.order import OrderStatus
    from app.services import orders as orders_service
    from app.services.order_flow import Mover

    bill = issue(session, tab=tab)
    settle(session, take_share(session, bill=bill, payer=tab.members[0], method="full"))
    run_jobs(session)
    assert _reload(session, bill).status is BillStatus.PAID
    with pytest.raises(BillIssued), session.begin_nested():
        orders_service.move(
            session, order=tab.orders[0], to=OrderStatus.CANCELLED, by=tab.owner, mover=Mover.STAFF
        )


def test_a_member_who_joined_long_ago_cannot_ask_for_the_bill_or_hold_a_share(
    session: Session, tab: Tab
) -> None:
    from datetime import timedelta

    from app.core.errors import SessionJoinExpired
    from app.models.base import utcnow
    from app.models.order import TableSessionMember

    stale = session.get(TableSessionMember, (tab.table_session.id, tab.members[2].id))
    assert stale is not None
    stale.joined_at = utcnow() - timedelta(hours=5)
    session.add(stale)
    session.flush()
    bill = issue(session, tab=tab)
    with pytest.raises(SessionJoinExpired), session.begin_nested():
        take_share(session, bill=bill, payer=tab.members[2], method="full")
    assert take_share(session, bill=bill, payer=tab.members[0], method="full").share.amount_minor


def test_a_tab_keeps_the_way_its_first_order_was_priced(session: Session) -> None:
    """The venue switching to prices with tax inside, mid-tab, changes neither the orders
    still to come on that tab nor its bill (new tabs follow the new setting)."""
    from tests.factories import make_consumer
    from tests.factories.menus import make_tax_class
    from tests.factories.orders import join as sit
    from tests.factories.orders import line, make_dining, order_on_session

    d = make_dining(session, payment_mode=PaymentMode.AT_END, price_minor=10_000)
    gst = make_tax_class(session, venue=d.venue, name="GST", rate_bps=500)
    d.item.tax_class_id = gst.id
    session.add(d.item)
    guest = make_consumer(session)
    tab_session = sit(session, table=d.table, user=guest)
    first = order_on_session(
        session, table_session=tab_session, consumer=guest, lines=[line(d.item)]
    )
    assert first.order.total_minor == 10_500
    d.venue.prices_include_tax = True
    session.add(d.venue)
    session.flush()
    second = order_on_session(
        session, table_session=tab_session, consumer=guest, lines=[line(d.item)]
    )
    assert second.order.prices_include_tax is False
    assert second.order.total_minor == 10_500
    bill, _ = bills.issue_bill(session, table_session=tab_session)
    assert (bill.subtotal_minor, bill.tax_minor, bill.total_minor) == (20_000, 1_000, 21_000)
