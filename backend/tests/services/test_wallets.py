"""Group wallets: top-ups, spends within the admin's rules, approvals, refunds back
into the wallet, and closing. After every operation the wallet's ledger must add up
to its newest balance (`wallets.ledger_agrees`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.core.config import settings
from app.core.errors import (
    NotFound,
    NotGroupAdminForSpend,
    WalletBalanceTooLow,
    WalletCapReached,
    WalletClosed,
    WalletFull,
    WalletSpendDecided,
    WalletSpendNotAllowed,
    WalletSpendWaiting,
)
from app.crud import group as group_crud
from app.crud import wallet as wallet_crud
from app.models.booking import BookingStatus, Ticket
from app.models.group import (
    Group,
    GroupMember,
    GroupStatus,
    GroupWallet,
    WalletEntry,
    WalletEntryKind,
    WalletSpend,
    WalletSpendStatus,
)
from app.models.order import Order, OrderStatus
from app.models.payment import (
    WALLET_PROVIDER,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from app.models.venue import VenueKind
from app.schema.booking import BookingItemCreate
from app.services import bookings as bookings_service
from app.services import orders as orders_service
from app.services import payments, wallets
from tests.factories import make_consumer
from tests.factories.jobs import run_jobs
from tests.factories.orders import Dining, line, make_dining, order_pickup
from tests.factories.payments import make_night
from tests.factories.wallets import Crew, make_crew, top_up


@pytest.fixture
def qsr(session: Session) -> Dining:
    return make_dining(session, kind=VenueKind.QSR, price_minor=10_000)


@pytest.fixture
def crew(session: Session) -> Crew:
    return make_crew(session, members=3)


def _detail(error: Exception) -> dict[str, Any]:
    detail = getattr(error, "detail", None)
    assert isinstance(detail, dict)
    return detail


def _balance(session: Session, crew: Crew) -> int:
    wallet = session.get(GroupWallet, crew.group.id)
    assert wallet is not None
    session.refresh(wallet)
    assert wallets.ledger_agrees(session, group_id=crew.group.id)
    return wallet_crud.balance(session, wallet=wallet)


def _entries(session: Session, crew: Crew) -> list[WalletEntry]:
    return list(
        session.exec(
            select(WalletEntry)
            .where(WalletEntry.group_id == crew.group.id)
            .order_by(col(WalletEntry.seq))
        )
    )


def _spend(session: Session, qsr: Dining, crew: Crew, member_index: int = 1):  # type: ignore[no-untyped-def]
    return order_pickup(
        session,
        point=qsr.pickup,
        consumer=crew.members[member_index],
        lines=[line(qsr.item)],
        wallet_group_id=crew.group.id,
    )


# --- top-ups ------------------------------------------------------------------------


def test_a_top_up_is_credited_only_when_its_payment_is_captured(
    session: Session, crew: Crew
) -> None:
    made = wallets.start_top_up(session, group=crew.group, member=crew.others[0], amount=50_000)
    assert made.payment.group_id == crew.group.id
    assert _balance(session, crew) == 0  # not paid yet
    payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=True)
    run_jobs(session)
    assert _balance(session, crew) == 50_000
    [entry] = _entries(session, crew)
    assert (entry.kind, entry.amount_minor, entry.balance_after_minor, entry.member_id) == (
        WalletEntryKind.TOP_UP,
        50_000,
        50_000,
        crew.others[0].id,
    )
    assert entry.payment_id == made.payment.id


def test_a_failed_top_up_credits_nothing(session: Session, crew: Crew) -> None:
    made = wallets.start_top_up(session, group=crew.group, member=crew.admin, amount=20_000)
    payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=False)
    run_jobs(session)
    assert _balance(session, crew) == 0
    assert _entries(session, crew) == []


def test_top_ups_stay_within_the_stored_value_caps(
    session: Session, crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "WALLET_MAX_TOP_UP_MINOR", 30_000)
    monkeypatch.setattr(settings, "WALLET_MAX_BALANCE_MINOR", 50_000)
    with pytest.raises(WalletFull):
        wallets.start_top_up(session, group=crew.group, member=crew.admin, amount=30_001)
    top_up(session, crew=crew, member=crew.admin, amount=30_000)
    # 30,000 in the wallet and 20,000 on its way: nothing more fits.
    wallets.start_top_up(session, group=crew.group, member=crew.others[0], amount=20_000)
    with pytest.raises(WalletFull) as refused:
        wallets.start_top_up(session, group=crew.group, member=crew.others[1], amount=100)
    assert _detail(refused.value)["room_minor"] == 0


def test_a_top_up_captured_when_the_wallet_is_full_is_refunded_in_full(
    session: Session, crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "WALLET_MAX_BALANCE_MINOR", 50_000)
    first = wallets.start_top_up(session, group=crew.group, member=crew.admin, amount=40_000)
    second = wallets.start_top_up(session, group=crew.group, member=crew.others[0], amount=10_000)
    # Both fit when asked; a third, made before any was captured, is paid last.
    monkeypatch.setattr(settings, "WALLET_MAX_BALANCE_MINOR", 45_000)
    for made in (first, second):
        payments.complete_test_checkout(session, order_id=made.order.order_id, succeed=True)
    run_jobs(session)
    assert _balance(session, crew) == 40_000
    [refund] = session.exec(select(Refund).where(Refund.payment_id == second.payment.id)).all()
    assert (refund.reason, refund.amount_minor) == (RefundReason.WALLET_REFUSED, 10_000)


def test_only_current_members_top_up_and_not_once_closed(session: Session, crew: Crew) -> None:
    with pytest.raises(NotFound):
        wallets.start_top_up(
            session, group=crew.group, member=make_consumer(session), amount=10_000
        )
    crew.group.status = GroupStatus.CLOSED
    crew.group.closed_at = datetime.now(UTC)
    session.add(crew.group)
    session.flush()
    with pytest.raises(WalletClosed):
        wallets.start_top_up(session, group=crew.group, member=crew.admin, amount=10_000)


# --- spending -----------------------------------------------------------------------


def test_a_pickup_order_paid_from_the_wallet_is_placed_at_once(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=50_000)
    made = _spend(session, qsr, crew)
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.PLACED
    assert made.gateway_order is None
    assert made.payment is not None
    assert (made.payment.provider, made.payment.status) == (WALLET_PROVIDER, PaymentStatus.CAPTURED)
    assert made.wallet_spend is not None
    assert made.wallet_spend.status is WalletSpendStatus.SPENT
    assert _balance(session, crew) == 50_000 - order.total_minor
    spend = _entries(session, crew)[-1]
    assert (spend.kind, spend.amount_minor, spend.member_id, spend.payment_id) == (
        WalletEntryKind.SPEND,
        -order.total_minor,
        crew.others[0].id,
        made.payment.id,
    )


def test_a_spend_over_the_balance_is_refused_and_writes_nothing(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=5_000)
    orders_before = len(session.exec(select(Order.id)).all())
    with pytest.raises(WalletBalanceTooLow) as refused:
        _spend(session, qsr, crew)
    assert _detail(refused.value)["balance_minor"] == 5_000
    session.rollback()  # what the request's transaction does
    assert len(session.exec(select(Order.id)).all()) == orders_before


def test_who_may_spend_is_the_admins_choice(session: Session, qsr: Dining, crew: Crew) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=50_000)
    membership = group_crud.current_member(
        session, group_id=crew.group.id, user_id=crew.others[0].id
    )
    assert membership is not None
    membership.can_spend = False
    session.add(membership)
    session.flush()
    with pytest.raises(WalletSpendNotAllowed):
        _spend(session, qsr, crew, member_index=1)
    _spend(session, qsr, crew, member_index=2)  # the others still may


def test_outsiders_and_former_members_cannot_spend(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=50_000)
    membership = session.exec(
        select(GroupMember).where(
            GroupMember.group_id == crew.group.id, GroupMember.user_id == crew.others[1].id
        )
    ).one()
    membership.left_at = datetime.now(UTC)
    membership.left_reason = "left"  # type: ignore[assignment]
    session.add(membership)
    session.flush()
    for outsider in (crew.others[1], make_consumer(session)):
        with pytest.raises(NotFound):
            order_pickup(
                session,
                point=qsr.pickup,
                consumer=outsider,
                lines=[line(qsr.item)],
                wallet_group_id=crew.group.id,
            )


def test_a_member_spends_up_to_the_cap_for_the_night_the_admin_without_one(
    session: Session, qsr: Dining
) -> None:
    crew = make_crew(session, members=2, cap_minor=15_000)
    top_up(session, crew=crew, member=crew.admin, amount=100_000)
    first = _spend(session, qsr, crew)
    assert first.order.total_minor == 10_000
    with pytest.raises(WalletCapReached) as refused:
        _spend(session, qsr, crew)
    assert _detail(refused.value)["left_minor"] == 5_000
    for _ in range(2):
        _spend(session, qsr, crew, member_index=0)
    view = wallets.view(session, group=crew.group, member=crew.members[1])
    assert (view.my_spent_minor, view.my_cap_left_minor) == (10_000, 5_000)


def test_a_refunded_spend_no_longer_counts_against_the_cap(session: Session, qsr: Dining) -> None:
    crew = make_crew(session, members=2, cap_minor=15_000)
    top_up(session, crew=crew, member=crew.admin, amount=100_000)
    first = _spend(session, qsr, crew)
    orders_service.move_by_staff(
        session, order=first.order, to=OrderStatus.REJECTED, by=qsr.staff, reason="out of buns"
    )
    run_jobs(session)
    _spend(session, qsr, crew)  # the rejected one came back: 10,000 of 15,000 used


def test_the_night_runs_from_six_to_six_local_time() -> None:
    crew_group = Group(name="x", admin_id=uuid.uuid4(), currency="INR")  # in memory only
    late = datetime(2026, 12, 5, 20, 30, tzinfo=UTC)  # 02:00 IST on the 6th
    assert wallets.period_start(crew_group, at=late) == datetime(2026, 12, 5, 0, 30, tzinfo=UTC)
    evening = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)  # 19:30 IST on the 5th
    assert wallets.period_start(crew_group, at=evening) == datetime(2026, 12, 5, 0, 30, tzinfo=UTC)


# --- approvals ----------------------------------------------------------------------


def _waiting(session: Session, qsr: Dining) -> tuple[Crew, orders_service.OrderCheckout]:
    crew = make_crew(session, members=2, approval_above_minor=5_000)
    top_up(session, crew=crew, member=crew.admin, amount=30_000)
    made = _spend(session, qsr, crew)
    assert made.wallet_spend is not None
    assert made.wallet_spend.status is WalletSpendStatus.WAITING
    return crew, made


def test_a_spend_above_the_approval_amount_holds_it_until_the_admin_approves(
    session: Session, qsr: Dining
) -> None:
    crew, made = _waiting(session, qsr)
    assert made.order.status is OrderStatus.AWAITING_PAYMENT
    assert _balance(session, crew) == 20_000  # held
    assert _entries(session, crew)[-1].kind is WalletEntryKind.HOLD
    with pytest.raises(WalletSpendWaiting):
        wallets.close_wallet(session, group=crew.group, by=crew.admin)
    assert made.wallet_spend is not None
    wallets.decide(
        session, group=crew.group, spend_id=made.wallet_spend.id, approve=True, by=crew.admin
    )
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.PLACED
    assert _balance(session, crew) == 20_000
    assert [e.kind for e in _entries(session, crew)[-3:]] == [
        WalletEntryKind.HOLD,
        WalletEntryKind.RELEASE,
        WalletEntryKind.SPEND,
    ]
    with pytest.raises(WalletSpendDecided):
        wallets.decide(
            session, group=crew.group, spend_id=made.wallet_spend.id, approve=False, by=crew.admin
        )


def test_a_declined_spend_gives_the_amount_back_and_the_order_is_abandoned(
    session: Session, qsr: Dining
) -> None:
    crew, made = _waiting(session, qsr)
    assert made.wallet_spend is not None
    wallets.decide(
        session, group=crew.group, spend_id=made.wallet_spend.id, approve=False, by=crew.admin
    )
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.ABANDONED
    assert _balance(session, crew) == 30_000
    assert made.payment is not None
    session.refresh(made.payment)
    assert made.payment.status is PaymentStatus.FAILED


def test_a_spend_not_decided_in_time_expires_and_gives_the_amount_back(
    session: Session, qsr: Dining
) -> None:
    crew, made = _waiting(session, qsr)
    later = datetime.now(UTC) + timedelta(minutes=settings.WALLET_APPROVAL_MINUTES + 1)
    assert wallets.expire_due(session, now=later) == 1
    assert _balance(session, crew) == 30_000
    spend = session.get(WalletSpend, made.wallet_spend.id if made.wallet_spend else None)
    assert spend is not None
    assert spend.status is WalletSpendStatus.EXPIRED
    order = session.get(Order, made.order.id)
    assert order is not None
    assert order.status is OrderStatus.ABANDONED


def test_only_the_admin_decides(session: Session, qsr: Dining) -> None:
    crew, made = _waiting(session, qsr)
    assert made.wallet_spend is not None
    with pytest.raises(NotGroupAdminForSpend):
        wallets.decide(
            session,
            group=crew.group,
            spend_id=made.wallet_spend.id,
            approve=True,
            by=crew.members[1],
        )


# --- refunds back into the wallet ---------------------------------------------------


def test_a_rejected_order_paid_from_the_wallet_is_refunded_into_it(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=50_000)
    made = _spend(session, qsr, crew)
    orders_service.move_by_staff(
        session, order=made.order, to=OrderStatus.REJECTED, by=qsr.staff, reason="closed"
    )
    run_jobs(session)
    assert _balance(session, crew) == 50_000
    last = _entries(session, crew)[-1]
    assert (last.kind, last.amount_minor) == (WalletEntryKind.REFUND, made.order.total_minor)
    [refund] = session.exec(select(Refund).where(Refund.payment_id == last.payment_id)).all()
    assert refund.status is RefundStatus.PROCESSED
    assert run_jobs(session) == 0  # sent once


def test_a_booking_paid_from_the_wallet_is_confirmed_with_its_tickets(
    session: Session, crew: Crew
) -> None:
    night = make_night(session, price_minor=150_000)
    top_up(session, crew=crew, member=crew.admin, amount=400_000)
    made = bookings_service.create_booking(
        session,
        event_id=night.event.id,
        consumer=crew.others[0],
        items=[BookingItemCreate(offering_id=night.offering.id, quantity=2)],
        wallet_group_id=crew.group.id,
    )
    assert made.booking.status is BookingStatus.CONFIRMED
    assert made.order is None
    assert made.tickets == 2
    tickets = session.exec(select(Ticket).where(Ticket.booking_id == made.booking.id)).all()
    assert len(tickets) == 2
    assert _balance(session, crew) == 100_000
    # Cancelled within the policy: the refund goes back into the wallet.
    bookings_service.cancel_booking(session, booking=made.booking)
    run_jobs(session)
    assert _balance(session, crew) > 100_000


# --- closing ------------------------------------------------------------------------


def test_parts_add_up_to_the_balance_and_the_paise_go_to_the_largest_remainders() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parts = wallets.shares_of(100, {a: 1, b: 1, c: 1}, {a: 0, b: 1, c: 2})
    assert parts == {a: 34, b: 33, c: 33}  # a tie: who topped up first
    parts = wallets.shares_of(1_001, {a: 10_000, b: 20_000, c: 30_001}, {a: 0, b: 1, c: 2})
    assert sum(parts.values()) == 1_001
    # 166.83, 333.66, 500.48: the two paise left go to the two largest remainders
    assert parts == {a: 167, b: 334, c: 500}
    assert wallets.shares_of(0, {a: 1}, {a: 0}) == {}


def test_closing_returns_the_balance_in_proportion_to_what_each_put_in(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    amounts = [10_000, 20_000, 30_001]
    for member, amount in zip(crew.members, amounts, strict=True):
        top_up(session, crew=crew, member=member, amount=amount)
    top_up(session, crew=crew, member=crew.members[2], amount=5_000)  # two top-ups
    _spend(session, qsr, crew)  # 10,000 spent: 55,001 left of 65,001
    balance = _balance(session, crew)
    assert balance == 55_001
    wallets.close_wallet(session, group=crew.group, by=crew.admin)
    assert _balance(session, crew) == 0
    returns = [e for e in _entries(session, crew) if e.kind is WalletEntryKind.RETURN]
    assert -sum(e.amount_minor for e in returns) == balance
    by_member: dict[uuid.UUID, int] = {}
    for e in returns:
        by_member[e.member_id] = by_member.get(e.member_id, 0) - e.amount_minor
    put_in = {crew.members[0].id: 10_000, crew.members[1].id: 20_000, crew.members[2].id: 35_001}
    for member_id, part in by_member.items():
        exact = balance * put_in[member_id] / 65_001
        assert abs(part - exact) < 1
    refunds = session.exec(
        select(Refund).where(col(Refund.id).in_([e.refund_id for e in returns]))
    ).all()
    assert {r.reason for r in refunds} == {RefundReason.WALLET_CLOSED}
    for e in returns:  # each return a refund of that member's own top-up
        top = session.get(Payment, e.payment_id)
        assert top is not None
        assert top.payer_id == e.member_id


def test_money_refunded_into_a_closed_wallet_goes_back_to_the_members(
    session: Session, qsr: Dining, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=30_000)
    top_up(session, crew=crew, member=crew.others[0], amount=10_000)
    made = _spend(session, qsr, crew)
    wallets.close_wallet(session, group=crew.group, by=crew.admin)
    crew.group.status = GroupStatus.CLOSED
    crew.group.closed_at = datetime.now(UTC)
    session.add(crew.group)
    session.flush()
    orders_service.move_by_staff(
        session, order=made.order, to=OrderStatus.REJECTED, by=qsr.staff, reason="closed"
    )
    run_jobs(session)
    assert _balance(session, crew) == 0
    returned = -sum(
        e.amount_minor for e in _entries(session, crew) if e.kind is WalletEntryKind.RETURN
    )
    assert returned == 40_000  # all of it, in the end
