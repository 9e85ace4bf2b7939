"""One holder spending their cover credit from two phones at the same moment, on
real separate connections: the credit's row lock lets one take all it asked for and
the other what was left; the ledger adds up and never goes below zero."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import User, Venue
from app.models.booking import Booking
from app.models.group import CoverCredit, CoverCreditEntry
from app.models.order import Order
from app.services import cover_credit
from tests.factories import make_consumer
from tests.factories.visits import enter, make_club_night, make_order, passes

CREDIT = 100_000
ASK = 70_000  # 70% of the credit, from each phone


@dataclass
class Holder:
    venue_id: uuid.UUID
    holder_id: uuid.UUID
    credit_id: uuid.UUID
    orders: list[uuid.UUID]


@pytest.fixture
def holder(engine: Engine) -> Iterator[Holder]:
    with Session(engine, expire_on_commit=False) as setup:
        night = make_club_night(setup, credit_minor=CREDIT)
        consumer = make_consumer(setup)
        [ticket] = passes(setup, night=night, consumer=consumer)
        enter(setup, night, ticket)
        orders = [
            make_order(setup, venue=night.venue, consumer=consumer, total_minor=ASK).id
            for _ in range(2)
        ]
        credit = setup.exec(select(CoverCredit).where(CoverCredit.ticket_id == ticket.id)).one()
        setup.commit()
        users = [consumer.id, night.owner.id, night.manager.id, night.staff.id]
    try:
        yield Holder(night.venue.id, consumer.id, credit.id, orders)
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(
                sa.delete(CoverCreditEntry).where(col(CoverCreditEntry.credit_id) == credit.id)
            )
            cleanup.execute(sa.delete(CoverCredit).where(col(CoverCredit.id) == credit.id))
            cleanup.execute(sa.delete(Order).where(col(Order.id).in_(orders)))
            cleanup.execute(sa.delete(Booking).where(col(Booking.event_id) == night.event.id))
            cleanup.execute(sa.delete(Venue).where(col(Venue.id) == night.venue.id))
            cleanup.execute(sa.delete(User).where(col(User.id).in_(users)))
            cleanup.commit()


def test_two_phones_spending_at_once_take_one_full_and_one_partial(
    engine: Engine, holder: Holder
) -> None:
    barrier = threading.Barrier(2)

    def phone(index: int) -> int:
        with Session(engine) as session:
            barrier.wait()
            took = cover_credit.spend(
                session,
                holder_id=holder.holder_id,
                venue_id=holder.venue_id,
                currency="INR",
                amount=ASK,
                order_id=holder.orders[index],
                at=datetime.now(UTC),
            )
            session.commit()
            return took

    with ThreadPoolExecutor(max_workers=2) as pool:
        took = list(pool.map(phone, [0, 1]))

    assert sorted(took) == [CREDIT - ASK, ASK]
    with Session(engine) as check:
        entries = list(
            check.exec(
                select(CoverCreditEntry)
                .where(col(CoverCreditEntry.credit_id) == holder.credit_id)
                .order_by(col(CoverCreditEntry.seq))
            )
        )
        assert [e.seq for e in entries] == [1, 2, 3]
        assert [e.kind for e in entries] == ["granted", "spent", "spent"]
        running = 0
        for entry in entries:
            running += entry.amount_minor
            assert entry.balance_after_minor == running >= 0
        assert running == 0
        credit = check.get(CoverCredit, holder.credit_id)
        assert credit is not None
        assert credit.entries == 3
        available = cover_credit.available(
            check,
            holder_id=holder.holder_id,
            venue_id=holder.venue_id,
            currency="INR",
            at=datetime.now(UTC),
        )
        assert available == 0
