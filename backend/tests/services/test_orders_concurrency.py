"""Table sessions and orders under real parallel connections (threads, each with its
own session on the `engine`, committing for real): two phones opening one table's
session get one session; two staff moving one order end in one valid state; a
rejection racing a cancellation refunds once. Everything made is deleted afterwards."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.errors import InvalidOrderTransition
from app.models import User, Venue
from app.models.order import (
    Bill,
    LiveEvent,
    Order,
    OrderStatus,
    OrderStatusChange,
    TableSession,
    TableSessionMember,
)
from app.models.payment import Payment, PaymentEvent, PaymentStatus, Refund
from app.models.venue import PaymentMode, VenueKind
from app.services import orders as orders_service
from app.services import payments
from app.services import table_sessions as sessions_service
from tests.factories import make_consumer
from tests.factories.orders import (
    Dining,
    join,
    line,
    make_dining,
    order_on_session,
    order_pickup,
    token_of,
)

S = OrderStatus


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[Dining]]:
    made: list[Dining] = []
    yield made
    with Session(engine) as s:
        for d in made:
            _delete(s, d)
        s.commit()


def _delete(s: Session, d: Dining) -> None:
    venue_id = d.venue.id
    order_ids = list(s.exec(select(Order.id).where(Order.venue_id == venue_id)))
    payment_ids = list(s.exec(select(Payment.id).where(col(Payment.order_id).in_(order_ids))))
    refund_ids = list(s.exec(select(Refund.id).where(col(Refund.payment_id).in_(payment_ids))))
    s.execute(
        sa.text(
            "DELETE FROM procrastinate_jobs WHERE task_name = 'send_refund' "
            "AND args->>'refund_id' = ANY(:ids)"
        ),
        {"ids": [str(r) for r in refund_ids]},
    )
    placed_by = list(s.exec(select(Order.placed_by_id).where(col(Order.id).in_(order_ids))))
    members = list(
        s.exec(
            select(TableSessionMember.user_id)
            .join(TableSession, col(TableSession.id) == TableSessionMember.session_id)
            .where(TableSession.venue_id == venue_id)
        )
    )
    s.execute(sa.text("SET LOCAL socia.ledger_cleanup = 'on'"))
    s.execute(sa.delete(PaymentEvent).where(col(PaymentEvent.payment_id).in_(payment_ids)))
    s.execute(sa.delete(Refund).where(col(Refund.id).in_(refund_ids)))
    s.execute(sa.delete(Payment).where(col(Payment.id).in_(payment_ids)))
    s.execute(sa.delete(Bill).where(col(Bill.venue_id) == venue_id))
    s.execute(sa.delete(LiveEvent).where(col(LiveEvent.venue_id) == venue_id))
    s.execute(sa.delete(OrderStatusChange).where(col(OrderStatusChange.order_id).in_(order_ids)))
    s.execute(sa.delete(Order).where(col(Order.id).in_(order_ids)))
    s.execute(sa.delete(TableSession).where(col(TableSession.venue_id) == venue_id))
    s.execute(sa.delete(Venue).where(col(Venue.id) == venue_id))
    people = {d.owner.id, d.manager.id, d.staff.id, *placed_by, *members}
    s.execute(sa.delete(User).where(col(User.id).in_(people)))


def _dining(engine: Engine, committed: list[Dining], **fields: Any) -> Dining:
    with Session(engine, expire_on_commit=False) as setup:
        d = make_dining(setup, **fields)
        setup.commit()
    committed.append(d)
    return d


def _consumers(engine: Engine, n: int) -> list[User]:
    with Session(engine, expire_on_commit=False) as setup:
        users = [make_consumer(setup) for _ in range(n)]
        setup.commit()
    return users


def _race(engine: Engine, *work: Callable[[Session], object]) -> list[object]:
    """Run each piece at the same moment, each in its own committing session; returns
    each one's result or the exception it raised."""
    barrier = threading.Barrier(len(work))

    def run(piece: Callable[[Session], object]) -> object:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                result = piece(session)
                session.commit()
                return result
            except Exception as exc:
                session.rollback()
                return exc

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return list(pool.map(run, work))


def test_phones_scanning_one_table_at_once_get_one_session(
    engine: Engine, committed: list[Dining]
) -> None:
    d = _dining(engine, committed)
    phones = _consumers(engine, 8)
    token = token_of(d.table)

    def scan(user: User) -> Callable[[Session], object]:
        def piece(session: Session) -> object:
            return sessions_service.open_or_join(session, token=token, user=user, point=None).id

        return piece

    results = _race(engine, *(scan(u) for u in phones))
    assert all(isinstance(r, uuid.UUID) for r in results), results
    assert len(set(results)) == 1
    with Session(engine) as check:
        sessions = check.exec(select(TableSession).where(TableSession.table_id == d.table.id)).all()
        assert len(sessions) == 1
        members = check.exec(
            select(TableSessionMember).where(TableSessionMember.session_id == sessions[0].id)
        ).all()
        assert {m.user_id for m in members} == {u.id for u in phones}


def _placed_tab_order(engine: Engine, d: Dining) -> Order:
    with Session(engine, expire_on_commit=False) as setup:
        consumer = make_consumer(setup)
        ts = join(setup, table=d.table, user=consumer)
        order = order_on_session(
            setup, table_session=ts, consumer=consumer, lines=[line(d.item)]
        ).order
        setup.commit()
    return order


def _history(engine: Engine, order_id: uuid.UUID) -> list[S]:
    with Session(engine) as check:
        return [
            c.to_status
            for c in check.exec(
                select(OrderStatusChange)
                .where(OrderStatusChange.order_id == order_id)
                .order_by(col(OrderStatusChange.id))
            )
        ]


def _mover(order: Order, to: S, by: User) -> Callable[[Session], object]:
    def piece(session: Session) -> object:
        loaded = session.get(Order, order.id)
        assert loaded is not None
        return orders_service.move_by_staff(session, order=loaded, to=to, by=by, reason=None).status

    return piece


def test_two_staff_accepting_one_order_at_once_accept_it_once(
    engine: Engine, committed: list[Dining]
) -> None:
    d = _dining(engine, committed, payment_mode=PaymentMode.AT_END)
    order = _placed_tab_order(engine, d)
    results = _race(
        engine, _mover(order, S.ACCEPTED, d.staff), _mover(order, S.ACCEPTED, d.manager)
    )
    assert sum(1 for r in results if r is S.ACCEPTED) == 1
    assert sum(1 for r in results if isinstance(r, InvalidOrderTransition)) == 1
    assert _history(engine, order.id) == [S.PLACED, S.ACCEPTED]


def test_accept_and_reject_at_once_end_in_one_of_them(
    engine: Engine, committed: list[Dining]
) -> None:
    d = _dining(engine, committed, payment_mode=PaymentMode.AT_END)
    for _ in range(3):
        order = _placed_tab_order(engine, d)
        results = _race(
            engine, _mover(order, S.REJECTED, d.staff), _mover(order, S.READY, d.manager)
        )
        with Session(engine) as check:
            final = check.get(Order, order.id)
            assert final is not None
            history = _history(engine, order.id)
        # Either order is valid: reject first (then ready is refused), or ready first
        # (then reject, which must come before ready, is refused).
        assert sum(1 for r in results if isinstance(r, InvalidOrderTransition)) == 1
        assert final.status in (S.REJECTED, S.READY)
        assert history == [S.PLACED, final.status]


def test_a_rejection_racing_a_cancellation_refunds_once(
    engine: Engine, committed: list[Dining]
) -> None:
    d = _dining(engine, committed, kind=VenueKind.QSR)
    with Session(engine, expire_on_commit=False) as setup:
        consumer = make_consumer(setup)
        made = order_pickup(setup, point=d.pickup, consumer=consumer, lines=[line(d.item)])
        setup.commit()
    assert made.payment is not None
    with Session(engine, expire_on_commit=False) as paying:
        payment = payments.lock(paying, payment_id=made.payment.id)
        payments.transition(paying, payment=payment, to=PaymentStatus.CAPTURED)
        paying.commit()

    def cancel(session: Session) -> object:
        loaded = session.get(Order, made.order.id)
        assert loaded is not None
        return orders_service.cancel(session, order=loaded, by=consumer, reason=None).status

    results = _race(engine, _mover(made.order, S.REJECTED, d.staff), cancel)
    assert sum(1 for r in results if isinstance(r, InvalidOrderTransition)) == 1
    with Session(engine) as check:
        refunds = check.exec(select(Refund).where(Refund.payment_id == made.payment.id)).all()
        assert [r.amount_minor for r in refunds] == [made.order.total_minor]
        paid = check.get(Payment, made.payment.id)
        assert paid is not None
        assert paid.refunded_minor == made.order.total_minor


def test_orders_placed_at_once_get_distinct_numbers(
    engine: Engine, committed: list[Dining]
) -> None:
    d = _dining(engine, committed, payment_mode=PaymentMode.AT_END)
    phones = _consumers(engine, 6)
    with Session(engine, expire_on_commit=False) as setup:
        for phone in phones:
            ts = join(setup, table=d.table, user=phone)
        setup.commit()

    def place(user: User) -> Callable[[Session], object]:
        def piece(session: Session) -> object:
            return order_on_session(
                session, table_session=ts, consumer=user, lines=[line(d.item)]
            ).order.number

        return piece

    numbers = _race(engine, *(place(u) for u in phones))
    assert all(isinstance(n, int) for n in numbers), numbers
    assert sorted(n for n in numbers if isinstance(n, int)) == [1, 2, 3, 4, 5, 6]


def test_parallel_pickup_orders_of_one_consumer_stop_at_the_unpaid_limit(
    engine: Engine, committed: list[Dining]
) -> None:
    from app.core.config import settings
    from app.core.errors import TooManyUnpaidOrders

    d = _dining(engine, committed, kind=VenueKind.QSR)
    [consumer] = _consumers(engine, 1)

    def place(session: Session) -> object:
        return order_pickup(session, point=d.pickup, consumer=consumer, lines=[line(d.item)])

    results = _race(engine, *([place] * 8))
    refused = [r for r in results if isinstance(r, TooManyUnpaidOrders)]
    assert len(refused) == 8 - settings.ORDER_MAX_UNPAID
    assert all(not isinstance(r, Exception) or isinstance(r, TooManyUnpaidOrders) for r in results)
    with Session(engine) as check:
        waiting = check.exec(
            select(Order).where(
                Order.placed_by_id == consumer.id, Order.status == S.AWAITING_PAYMENT
            )
        ).all()
        assert len(waiting) == settings.ORDER_MAX_UNPAID
        gateway_orders = check.exec(
            select(Payment).where(col(Payment.order_id).in_([o.id for o in waiting]))
        ).all()
        assert len(gateway_orders) == settings.ORDER_MAX_UNPAID
