"""Group wallets under real parallel connections (threads, each with its own session on
a scratch database of its own, committing for real): 100 spends racing for a balance
that covers 10, top-ups racing spends, a close racing a spend. Every refusal is one of
the API's 4xx errors (never a 5xx), and the ledger always adds up."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core import db
from app.core.errors import AppError
from app.crud import wallet as wallet_crud
from app.models import User
from app.models.group import GroupStatus, GroupWallet, WalletEntry, WalletEntryKind
from app.models.order import Order, OrderStatus
from app.models.venue import VenueKind
from app.services import payments, wallets
from tests.conftest import TestDatabase
from tests.factories.jobs import run_jobs
from tests.factories.orders import Dining, line, make_dining, order_pickup
from tests.factories.wallets import Crew, make_crew, top_up

SPENDS = 100
CONNECTIONS = 20
PRICE = 10_000


@pytest.fixture(scope="module")
def scratch(test_database: TestDatabase) -> Iterator[Engine]:
    url = test_database.create_migrated_database()
    engine = db.make_engine(url, pool_size=CONNECTIONS + 2, max_overflow=0)
    yield engine
    engine.dispose()
    test_database.drop_database(url)


@dataclass
class World:
    qsr: Dining
    crew: Crew


def _world(engine: Engine, *, members: int, balance: int) -> World:
    with Session(engine, expire_on_commit=False) as s:
        qsr = make_dining(s, kind=VenueKind.QSR, price_minor=PRICE)
        crew = make_crew(s, members=members)
        if balance:
            top_up(s, crew=crew, member=crew.admin, amount=balance)
        s.commit()
        for loaded in (qsr.item, qsr.pickup, qsr.staff, crew.group, *crew.members):
            s.refresh(loaded)  # loaded for the threads (top_up expired everything)
    return World(qsr=qsr, crew=crew)


def _race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` for i in range(n) on CONNECTIONS threads released at once; each
    result is what it returned or the AppError it raised (anything else fails)."""
    barrier = threading.Barrier(min(n, CONNECTIONS))

    def one(i: int) -> object:
        if i < CONNECTIONS:
            barrier.wait()
        try:
            return work(i)
        except AppError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        results = list(pool.map(one, range(n)))
    assert all(r.status_code < 500 for r in results if isinstance(r, AppError))
    return results


def _spend(engine: Engine, world: World, member: User) -> object:
    with Session(engine, expire_on_commit=False) as s:
        made = order_pickup(
            s,
            point=world.qsr.pickup,
            consumer=member,
            lines=[line(world.qsr.item)],
            wallet_group_id=world.crew.group.id,
        )
        s.commit()
        return made.order.id


def _ledger(engine: Engine, world: World) -> tuple[int, list[WalletEntry]]:
    with Session(engine) as s:
        wallet = s.get(GroupWallet, world.crew.group.id)
        assert wallet is not None
        assert wallets.ledger_agrees(s, group_id=wallet.group_id)
        entries = list(
            s.exec(
                select(WalletEntry)
                .where(WalletEntry.group_id == wallet.group_id)
                .order_by(col(WalletEntry.seq))
            )
        )
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        running = 0
        for e in entries:  # each entry's balance is the one before plus its amount
            running += e.amount_minor
            assert e.balance_after_minor == running >= 0
        return wallet_crud.balance(s, wallet=wallet), entries


def test_100_simultaneous_spends_on_a_balance_for_10_accept_exactly_10(scratch: Engine) -> None:
    world = _world(scratch, members=10, balance=10 * PRICE)
    members = world.crew.members
    results = _race(SPENDS, lambda i: _spend(scratch, world, members[i % len(members)]))
    accepted = [r for r in results if not isinstance(r, AppError)]
    refused = Counter(type(r).__name__ for r in results if isinstance(r, AppError))
    assert len(accepted) == 10
    assert refused == {"WalletBalanceTooLow": SPENDS - 10}
    balance, entries = _ledger(scratch, world)
    assert balance == 0
    assert [e.kind for e in entries].count(WalletEntryKind.SPEND) == 10
    with Session(scratch) as s:
        placed = s.exec(select(Order).where(col(Order.id).in_(accepted))).all()
        assert {o.status for o in placed} == {OrderStatus.PLACED}
        assert sum(o.total_minor for o in placed) == 10 * PRICE


def test_top_ups_racing_spends_lose_nothing(scratch: Engine) -> None:
    world = _world(scratch, members=4, balance=5 * PRICE)
    crew = world.crew
    with Session(scratch, expire_on_commit=False) as s:
        started = [
            wallets.start_top_up(s, group=crew.group, member=crew.members[i % 4], amount=PRICE)
            for i in range(10)
        ]
        s.commit()

    def work(i: int) -> object:
        if i % 2:
            return _spend(scratch, world, crew.members[i % 4])
        with Session(scratch) as s:  # a top-up captured: its webhook arrives
            done = payments.test_gateway().complete_checkout(
                started[i // 2].order.order_id, succeed=True
            )
            payments.handle_webhook(
                s, provider_name="test", body=done.webhook_body, headers=done.webhook_headers
            )
            s.commit()
        return "topped up"

    results = _race(20, work)
    spent = sum(1 for r in results if isinstance(r, type(crew.group.id)))
    refused = [r for r in results if isinstance(r, AppError)]
    assert all(type(r).__name__ == "WalletBalanceTooLow" for r in refused)
    balance, entries = _ledger(scratch, world)
    kinds = Counter(e.kind for e in entries)
    assert kinds[WalletEntryKind.TOP_UP] == 11  # the first and the ten raced
    assert kinds[WalletEntryKind.SPEND] == spent
    assert balance == 15 * PRICE - spent * PRICE


def test_a_close_racing_a_spend_ends_with_every_paisa_accounted_for(scratch: Engine) -> None:
    for _ in range(3):
        world = _world(scratch, members=2, balance=3 * PRICE)
        crew = world.crew

        def work(i: int, world: World = world, crew: Crew = crew) -> object:
            if i == 0:
                return _spend(scratch, world, crew.members[1])
            with Session(scratch) as s:
                group = wallet_crud.group_of(s, group_id=crew.group.id)
                wallets.close_wallet(s, group=group, by=crew.admin)
                group.status = GroupStatus.CLOSED
                group.closed_at = datetime.now(UTC)
                s.add(group)
                s.commit()
            return "closed"

        results = _race(2, work)
        balance, entries = _ledger(scratch, world)
        assert balance == 0
        spent = -sum(e.amount_minor for e in entries if e.kind is WalletEntryKind.SPEND)
        returned = -sum(e.amount_minor for e in entries if e.kind is WalletEntryKind.RETURN)
        assert spent + returned == 3 * PRICE
        if isinstance(results[0], AppError):  # the close came first
            assert type(results[0]).__name__ == "WalletClosed"
            assert spent == 0
        with Session(scratch) as s:
            run_jobs(s)
            s.commit()
