"""Spending from group wallets, beside the ceiling: one wallet shared by everyone, and
many wallets each spent by its own group.

    uv run python -m bench.bench_wallet [--duration 15]

Serves the app (1 worker, the built-in test payment gateway) on a scratch database
on the machine's PostgreSQL (BENCH_PG_URL) and measures, in one run:
- the ceiling endpoint (bare FastAPI, constant JSON) at 16 and 64 connections;
- `POST /api/v1/orders` for pickup (one filter coffee) paid from ONE group wallet
  (`wallet_group_id`): the group's 20 members taken in turn, every spend queueing on
  that wallet's row lock, at 16 and 64 connections;
- the same order paid from MANY wallets: 128 groups of 4, each consumer spending from
  their own group's wallet, consumers taken in turn (the two wrk threads interleaved,
  so requests in flight at once are of different groups), at 16 and 64 connections.
The orders go to 16 QSRs in turn (consumer n to QSR n % 16), in both cases: a
venue's order numbers and invoice sequence are locks of their own, and spread over
16 venues they are not what the figures measure; the one wallet's lock is the only
thing the first case shares.

Every request has its own Idempotency-Key and every one must be answered 201,
warm-ups included: wrk must see no error (it waits 30 s, past the server's 15 s
statement timeout, so a spend that waited too long for the lock is seen as a 503);
and since wrk stops without the answers still on its way (one per connection at
most), the server is left to finish them (the database idle) before the next run,
and at the end every request wrk sent must have made its order (a refused or failed
request makes none) and the server must have logged no error. It then checks, for
every wallet, that the ledger's sum equals the newest entry's balance
(`app.services.wallets.ledger_agrees`), that every order was paid and placed, and
that each wallet spent exactly its orders' total. The script fails otherwise.

The wallets are credited before the run by captured top-ups (a `test` payment moved
to captured through the payment rails, which credit the wallet:
`on_top_up_captured`), one per member. So that they hold enough for the whole run,
the server and this script run with WALLET_MAX_BALANCE_MINOR=100,000,000 (the
setting's upper bound: Rs 10 lakh, 25,000 coffees on the one wallet) and
WALLET_MAX_TOP_UP_MINOR=5,000,000, instead of the defaults (Rs 10,000 and Rs 5,000).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import make_url
from sqlmodel import Session, col, func, select

from bench.common import WrkResult, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
WRK_THREADS = 2
WRK_TIMEOUT_S = 30  # past DB_STATEMENT_TIMEOUT_MS (15 s): a lock waited on too long is a 503
QSRS = 16
SHARED_MEMBERS = 20  # GROUP_MAX_MEMBERS' default
GROUPS = 128
MEMBERS_PER_GROUP = 4
COFFEE_MINOR = 4_000  # Rs 40, GST included, no packaging
MAX_BALANCE_MINOR = 100_000_000
MAX_TOP_UP_MINOR = 5_000_000
# The balances, as top-ups of each member (within MAX_TOP_UP_MINOR).
SHARED_TOP_UP_MINOR = MAX_BALANCE_MINOR // SHARED_MEMBERS
OWN_TOP_UP_MINOR = 2_500_000

# The server and this script (which credits the wallets) run with these.
WALLET_ENV = {
    "WALLET_MAX_BALANCE_MINOR": str(MAX_BALANCE_MINOR),
    "WALLET_MAX_TOP_UP_MINOR": str(MAX_TOP_UP_MINOR),
}

Spender = tuple[str, str]  # (an access token, the JSON body of their order)


def _setup(url: str) -> tuple[str, list[Spender], list[Spender]]:
    """16 QSRs, each with a pickup point and a coffee; one group of 20 sharing a wallet
    and 128 groups of 4, every wallet credited by its members' captured top-ups.

    Returns (the shared wallet's group id, its members' spenders, every other
    consumer's spender)."""
    from app.core.config import settings
    from app.core.db import make_engine
    from app.core.security import create_access_token
    from app.models import User, Venue, VenueKind, VenueStatus
    from app.models.group import Group, GroupMember, GroupRole, GroupWallet
    from app.models.menu import Menu, MenuCategory, MenuItem, TaxClass
    from app.models.order import PickupPoint
    from app.models.payment import Payment, PaymentPurpose, PaymentStatus
    from app.models.venue import PaymentMode
    from app.services import payments

    assert settings.WALLET_MAX_BALANCE_MINOR == MAX_BALANCE_MINOR, "WALLET_ENV not applied"
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            now = datetime.now(UTC)

            def qsr(n: int) -> str:
                """A QSR taking pickup orders of one coffee; returns the order's JSON."""
                venue = Venue(
                    kind=VenueKind.QSR,
                    name=f"Bench Coffee {n}",
                    address="1 MG Road, Bengaluru",
                    latitude=12.9716,
                    longitude=77.5946,
                    status=VenueStatus.VERIFIED,
                    verified_at=now,
                    payment_mode=PaymentMode.PER_ORDER,
                    prices_include_tax=True,
                    packaging_charge_minor=0,
                )
                session.add(venue)
                session.flush()
                gst = TaxClass(venue_id=venue.id, name="Food GST 5%", rate_bps=500)
                menu = Menu(venue_id=venue.id, name="Menu")
                session.add_all([gst, menu])
                session.flush()
                category = MenuCategory(venue_id=venue.id, menu_id=menu.id, name="Coffee")
                session.add(category)
                session.flush()
                coffee = MenuItem(
                    venue_id=venue.id,
                    category_id=category.id,
                    name="Filter coffee",
                    price_minor=COFFEE_MINOR,
                    tax_class_id=gst.id,
                )
                point = PickupPoint(venue_id=venue.id, name="Counter")
                session.add_all([coffee, point])
                session.flush()
                return json.dumps(
                    {
                        "pickup_point_id": str(point.id),
                        "lines": [{"item_id": str(coffee.id), "quantity": 1}],
                    }
                )

            def group_of(name: str, people: list[User]) -> Group:
                group = Group(name=name, admin_id=people[0].id)
                session.add(group)
                session.flush()
                session.add(GroupWallet(group_id=group.id, currency=group.currency))
                session.add_all(
                    GroupMember(
                        group_id=group.id,
                        user_id=person.id,
                        role=GroupRole.ADMIN if n == 0 else GroupRole.MEMBER,
                    )
                    for n, person in enumerate(people)
                )
                session.flush()
                return group

            def top_up(group: Group, person: User, amount: int) -> None:
                """A member's top-up, captured: the rails credit the wallet."""
                payment = Payment(
                    purpose=PaymentPurpose.WALLET_TOP_UP,
                    group_id=group.id,
                    payer_id=person.id,
                    amount_minor=amount,
                    currency=group.currency,
                    provider="test",
                )
                session.add(payment)
                session.flush()
                payments.transition(session, payment=payment, to=PaymentStatus.CAPTURED)

            orders = [qsr(n) for n in range(QSRS)]
            people = [
                User(phone=f"+9192000{n:05d}", full_name=f"Bench friend {n}", is_active=True)
                for n in range(SHARED_MEMBERS + GROUPS * MEMBERS_PER_GROUP)
            ]
            session.add_all(people)
            session.flush()
            shared_people, others = people[:SHARED_MEMBERS], people[SHARED_MEMBERS:]
            shared = group_of("Everyone's coffee", shared_people)
            for person in shared_people:
                top_up(shared, person, SHARED_TOP_UP_MINOR)
            # Consumer n is in group n % GROUPS: consumers in turn are of groups in turn.
            own = [group_of(f"Coffee club {g}", others[g::GROUPS]) for g in range(GROUPS)]
            for n, person in enumerate(others):
                top_up(own[n % GROUPS], person, OWN_TOP_UP_MINOR)
            session.commit()

            def spender(n: int, person: User, group: Group) -> Spender:
                body = orders[n % QSRS][:-1] + f',"wallet_group_id":"{group.id}"}}'
                return create_access_token(person.id).token, body

            return (
                str(shared.id),
                [spender(n, p, shared) for n, p in enumerate(shared_people)],
                [spender(n, p, own[n % GROUPS]) for n, p in enumerate(others)],
            )
    finally:
        engine.dispose()


def _spend_lua(path: str, spenders: list[Spender]) -> str:
    """wrk: POST the next consumer's order, paid from their group's wallet, a fresh
    Idempotency-Key each time. The threads interleave: thread t takes consumers
    t, t + 2, t + 4, ... so the two never send the same consumer at once."""
    tokens = ",".join(f'"{t}"' for t, _ in spenders)
    bodies = ",".join("[[" + b + "]]" for _, b in spenders)
    return f"""
local tokens = {{{tokens}}}
local bodies = {{{bodies}}}
sent = 0
wrk_threads = {{}}
function setup(thread)
  table.insert(wrk_threads, thread)
  thread:set("tid", #wrk_threads)
end
function init(args)
  math.randomseed(os.time() + (tid or 1) * 7919)
  prefix = string.format("wallet-%d-%d-", tid or 1, math.random(1, 1000000000))
end
function request()
  sent = sent + 1
  local n = (((sent - 1) * {WRK_THREADS} + (tid or 1) - 1) % #tokens) + 1
  return wrk.format("POST", "{path}", {{
    ["Authorization"] = "Bearer " .. tokens[n],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. sent,
  }}, bodies[n])
end
"""


def _wait_idle(url: str, *, timeout_s: float = 120.0) -> None:
    """Wait until no other connection to the database is inside a statement or a
    transaction (the server finished what wrk sent), three looks in a row."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    quiet, deadline = 0, time.monotonic() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while quiet < 3 and time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
            ).fetchone()
            quiet = quiet + 1 if row is not None and row[0] == 0 else 0
            time.sleep(0.2)
    if quiet < 3:
        print(f"warning: the database still busy after {timeout_s:.0f} s", file=sys.stderr)


def _check(url: str, *, shared_group_id: str, problems: list[str]) -> int:
    """Print what was written and add what is wrong to `problems` (the ledgers, the
    orders, the spends); return how many orders were made."""
    from app.core.db import make_engine
    from app.crud import wallet as wallet_crud
    from app.models.group import GroupWallet, WalletEntry, WalletEntryKind, WalletSpend
    from app.models.order import Order
    from app.models.payment import Payment
    from app.services import wallets

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            statuses = Counter(str(s) for s in session.exec(select(Order.status)).all())
            spends = Counter(str(s) for s in session.exec(select(WalletSpend.status)).all())
            print(f"orders by status: {dict(statuses)}")
            print(f"wallet spends by status: {dict(spends)}")
            if set(statuses) - {"placed"}:
                problems.append(f"orders not all placed: {dict(statuses)}")
            if set(spends) - {"spent"} or spends.total() != statuses.total():
                problems.append(f"spends {dict(spends)} for {statuses.total()} orders")
            spent_by_wallet: dict[uuid.UUID, int] = {
                group_id: -int(total)
                for group_id, total in session.exec(
                    select(WalletEntry.group_id, func.sum(WalletEntry.amount_minor))
                    .where(WalletEntry.kind == WalletEntryKind.SPEND)
                    .group_by(col(WalletEntry.group_id))
                ).all()
            }
            orders_by_wallet: dict[uuid.UUID, int] = {
                group_id: int(total)
                for group_id, total in session.exec(
                    select(WalletSpend.group_id, func.sum(Order.total_minor))
                    .join(Payment, col(Payment.id) == col(WalletSpend.payment_id))
                    .join(Order, col(Order.id) == col(Payment.order_id))
                    .group_by(col(WalletSpend.group_id))
                ).all()
            }
            every = session.exec(select(GroupWallet)).all()
            agree = 0
            for wallet in every:
                if wallets.ledger_agrees(session, group_id=wallet.group_id):
                    agree += 1
                else:
                    problems.append(f"wallet {wallet.group_id}: ledger sum != newest balance")
                spent = spent_by_wallet.get(wallet.group_id, 0)
                if spent != orders_by_wallet.get(wallet.group_id, 0):
                    problems.append(f"wallet {wallet.group_id} spent {spent}, not its orders'")
                if str(wallet.group_id) == shared_group_id:
                    print(
                        f"the one wallet: {wallet.entries} ledger entries, "
                        f"{spent // COFFEE_MINOR} spends; ledger sum "
                        f"{wallet_crud.ledger_sum(session, group_id=wallet.group_id):,}, "
                        f"newest balance_after {wallet_crud.balance(session, wallet=wallet):,}"
                    )
            print(
                f"ledgers: {agree} of {len(every)} wallets agree "
                "(sum of entries == newest balance_after); "
                f"spent {sum(spent_by_wallet.values()):,} paise in all, "
                f"orders' totals {sum(orders_by_wallet.values()):,}"
            )
            return statuses.total()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    os.environ.update(WALLET_ENV)  # before the app's settings are read (in `_setup`)
    problems: list[str] = []
    sent = answered = 0
    with scratch_database("socia_bench_wallet", keep=args.keep) as db_url:
        shared_id, shared, own = _setup(db_url)
        env = {"DATABASE_URL": db_url, "PAYMENT_PROVIDER": "test", **WALLET_ENV}
        rows: list[tuple[str, int, WrkResult]] = []
        ceiling: dict[int, WrkResult] = {}
        path = "/api/v1/orders"
        cases = (
            ("POST /orders, pickup paid from ONE wallet", shared),
            (f"POST /orders, pickup paid from {GROUPS} wallets", own),
        )
        log_path = Path(tempfile.mkstemp(prefix="bench_wallet_", suffix=".log")[1])
        with serve(env=env, log_path=log_path) as base:
            health = f"{base}/api/v1/utils/health"
            for connections in CONNECTIONS:
                ceiling[connections] = run_wrk(
                    f"{base}/bench/ceiling",
                    connections=connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                    threads=WRK_THREADS,
                )
                for label, spenders in cases:
                    lua = _spend_lua(path, spenders)
                    # The warm-up by hand (run_wrk's own is not reported): its answers count.
                    for seconds, measured in ((args.warmup, False), (args.duration, True)):
                        if seconds <= 0:
                            continue
                        result = run_wrk(
                            base + path,
                            connections=connections,
                            duration_s=seconds,
                            warmup_s=0,
                            threads=WRK_THREADS,
                            lua=lua,
                            drain_url=health,
                            timeout_s=WRK_TIMEOUT_S,
                        )
                        _wait_idle(db_url)  # what wrk left on its way is done
                        sent += result.sent or 0
                        answered += result.requests
                        if result.errors:
                            what = "" if measured else " (warm-up)"
                            problems.append(f"{label}, {connections} conns{what}: {result}")
                        if measured:
                            rows.append((label, connections, result))
        report(rows, ceiling)
        print()
        made = _check(db_url, shared_group_id=shared_id, problems=problems)

    print(f"requests: {sent:,} sent, {answered:,} answered within the runs, {made:,} orders made")
    if made != sent:
        problems.append(f"{sent - made:,} of {sent:,} requests sent made no order")
    errors = [line for line in log_path.read_text().splitlines() if "ERROR" in line]
    print(f"server log ({log_path}): {len(errors)} errors")
    if errors:
        problems.append("the server logged errors:\n" + "\n".join(errors[:5]))
    else:
        log_path.unlink()

    if problems:
        raise SystemExit(
            "some spends were refused or failed, or the books are off:\n" + "\n".join(problems)
        )


if __name__ == "__main__":
    main()
