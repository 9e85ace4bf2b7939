"""Placing orders, beside the ceiling, and (with `bench.bench_live`) live streams.

    uv run python -m bench.bench_orders [--duration 15] [--streams 1000]

Serves the app (1 worker, the built-in test payment gateway) on a scratch database
on the machine's PostgreSQL (BENCH_PG_URL) and measures, in one run:
- the ceiling endpoint (bare FastAPI, constant JSON) at 16 and 64 connections;
- `POST /api/v1/orders` on a restaurant's tab (pay at the end: no payment), two lines
  (one with a variant and an add-on), at 16 and 64 connections: consumers taken in
  turn, each a member of one of 64 open table sessions, each request with its own
  Idempotency-Key;
- `POST /api/v1/orders` for pickup at a QSR (prepaid: a test-gateway order is made
  for each), at 16 and 64 connections;
- then `bench.bench_live`'s stream figures: `--streams` open event streams on one
  worker and the delay from a status change to its delivery on all of them.
Every answer must be 201: the script fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from bench.common import WrkResult, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
CONSUMERS = 1000
TABLES = 64


def _setup(url: str) -> tuple[list[str], list[str], str, str, str]:
    """A restaurant paying at the end with 64 open sessions, a QSR with a pickup point,
    and 1,000 consumers, each a member of one session.

    Returns (tokens, each consumer's session id, the restaurant's order lines JSON, the
    QSR's pickup point id, the QSR's order lines JSON)."""
    from app.core.db import make_engine
    from app.core.security import create_access_token
    from app.models import User, Venue, VenueKind, VenueStatus
    from app.models.menu import (
        AddOn,
        AddOnGroup,
        Menu,
        MenuCategory,
        MenuItem,
        MenuItemVariant,
        TaxClass,
    )
    from app.models.order import PickupPoint, TableSession, TableSessionMember
    from app.models.table import VenueTable
    from app.models.venue import PaymentMode

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            now = datetime.now(UTC)

            def venue(kind: VenueKind, name: str, mode: PaymentMode) -> Venue:
                v = Venue(
                    kind=kind,
                    name=name,
                    address="1 MG Road, Bengaluru",
                    latitude=12.9716,
                    longitude=77.5946,
                    status=VenueStatus.VERIFIED,
                    verified_at=now,
                    payment_mode=mode,
                    service_charge_bps=500 if kind is VenueKind.RESTAURANT else 0,
                    prices_include_tax=kind is VenueKind.QSR,
                    packaging_charge_minor=1_000 if kind is VenueKind.QSR else 0,
                )
                session.add(v)
                session.flush()
                return v

            def menu(v: Venue) -> str:
                gst = TaxClass(venue_id=v.id, name="Food GST 5%", rate_bps=500)
                m = Menu(venue_id=v.id, name="Menu")
                session.add_all([gst, m])
                session.flush()
                c = MenuCategory(venue_id=v.id, menu_id=m.id, name="Mains")
                session.add(c)
                session.flush()
                items = [
                    MenuItem(
                        venue_id=v.id,
                        category_id=c.id,
                        name=f"Dish {n}",
                        price_minor=24_900 + 1_000 * n,
                        tax_class_id=gst.id,
                    )
                    for n in range(10)
                ]
                session.add_all(items)
                session.flush()
                half = MenuItemVariant(
                    venue_id=v.id, item_id=items[0].id, name="Half", price_minor=18_900
                )
                full = MenuItemVariant(
                    venue_id=v.id, item_id=items[0].id, name="Full", price_minor=32_900
                )
                group = AddOnGroup(
                    venue_id=v.id, item_id=items[0].id, name="Extras", min_choices=0, max_choices=2
                )
                session.add_all([half, full, group])
                session.flush()
                cheese = AddOn(venue_id=v.id, group_id=group.id, name="Cheese", price_minor=3_000)
                session.add(cheese)
                session.flush()
                return json.dumps(
                    [
                        {
                            "item_id": str(items[0].id),
                            "variant_id": str(full.id),
                            "add_on_ids": [str(cheese.id)],
                            "quantity": 1,
                        },
                        {"item_id": str(items[3].id), "quantity": 2, "note": "less spicy"},
                    ]
                )

            restaurant = venue(VenueKind.RESTAURANT, "Bench Bistro", PaymentMode.AT_END)
            qsr = venue(VenueKind.QSR, "Bench Burgers", PaymentMode.PER_ORDER)
            restaurant_lines = menu(restaurant)
            qsr_lines = menu(qsr)
            point = PickupPoint(venue_id=qsr.id, name="Counter")
            tables = [
                VenueTable(venue_id=restaurant.id, label=f"T{n}", seats=4) for n in range(TABLES)
            ]
            session.add(point)
            session.add_all(tables)
            session.flush()
            sessions = [
                TableSession(venue_id=restaurant.id, table_id=t.id, payment_mode=PaymentMode.AT_END)
                for t in tables
            ]
            users = [
                User(phone=f"+9191000{n:05d}", full_name=f"Bench diner {n}", is_active=True)
                for n in range(CONSUMERS)
            ]
            session.add_all(sessions)
            session.add_all(users)
            session.flush()
            session.add_all(
                [
                    TableSessionMember(
                        session_id=sessions[n % TABLES].id,
                        user_id=user.id,
                        first_joined_at=now,
                        joined_at=now,
                    )
                    for n, user in enumerate(users)
                ]
            )
            session.commit()
            tokens = [create_access_token(user.id).token for user in users]
            session_ids = [str(sessions[n % TABLES].id) for n in range(CONSUMERS)]
            return tokens, session_ids, restaurant_lines, str(point.id), qsr_lines
    finally:
        engine.dispose()


def _order_lua(path: str, tokens: list[str], bodies: list[str]) -> str:
    """wrk: POST an order with the next consumer (and their body), a fresh key each time."""
    token_list = ",".join(f'"{t}"' for t in tokens)
    body_list = ",".join("[[" + b + "]]" for b in bodies)
    return f"""
local tokens = {{{token_list}}}
local bodies = {{{body_list}}}
local counter = 0
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end
function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  prefix = string.format("bench-%d-%d-", tid or 0, math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  local n = (counter % #tokens) + 1
  return wrk.format("POST", "{path}", {{
    ["Authorization"] = "Bearer " .. tokens[n],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }}, bodies[n])
end
"""


def _orders_written(url: str) -> dict[str, int]:
    from app.core.db import make_engine
    from app.models.order import Order

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(Order.kind, func.count()).group_by(Order.kind)).all()
            return {str(kind): int(n) for kind, n in rows}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--streams", type=int, default=1000, help="open event streams")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    with scratch_database("socia_bench_orders", keep=args.keep) as db_url:
        tokens, session_ids, tab_lines, point_id, pickup_lines = _setup(db_url)
        tab_bodies = [f'{{"session_id":"{sid}","lines":{tab_lines}}}' for sid in session_ids]
        pickup_body = f'{{"pickup_point_id":"{point_id}","lines":{pickup_lines}}}'
        # Consumers are taken in turn and never pay: allow them a few unpaid orders each.
        env = {"DATABASE_URL": db_url, "PAYMENT_PROVIDER": "test", "ORDER_MAX_UNPAID": "50"}
        rows: list[tuple[str, int, WrkResult]] = []
        ceiling: dict[int, WrkResult] = {}
        with serve(env=env) as base:
            path = "/api/v1/orders"
            for connections in CONNECTIONS:
                ceiling[connections] = run_wrk(
                    f"{base}/bench/ceiling",
                    connections=connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                )
                for label, bodies in (
                    ("POST /orders, dine-in on a tab", tab_bodies),
                    ("POST /orders, pickup (prepaid)", [pickup_body] * len(tokens)),
                ):
                    result = run_wrk(
                        base + path,
                        connections=connections,
                        duration_s=args.duration,
                        warmup_s=args.warmup,
                        lua=_order_lua(path, tokens, bodies),
                        drain_url=f"{base}/api/v1/utils/health",
                        timeout_s=10,
                    )
                    rows.append((label, connections, result))
        written = _orders_written(db_url)

    report(rows, ceiling)
    print()
    print(f"orders written: {written}")
    failed = [(label, c, r) for label, c, r in rows if r.errors]
    if failed:
        raise SystemExit(f"some orders were refused or failed: {failed}")

    # The streams' figures, by their own script (its own scratch database and server).
    print()
    subprocess.run(
        [sys.executable, "-m", "bench.bench_live", "--streams", str(args.streams)], check=True
    )


if __name__ == "__main__":
    main()
