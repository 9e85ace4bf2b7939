"""Booking passes for one event: throughput, latency and a sell-out, beside the ceiling.

    uv run python -m bench.bench_bookings [--duration 15] [--contenders 1000] [--places 300]

Serves the app (1 worker, the built-in test payment gateway) on a scratch database
on the machine's PostgreSQL (BENCH_PG_URL) and measures, in one run:
- the ceiling endpoint (bare FastAPI, constant JSON) at 16 and 64 connections;
- `POST /api/v1/events/{id}/bookings` for one stag pass of ONE event whose pool is
  large enough never to sell out, at 16 and 64 connections (wrk, each request with
  its own Idempotency-Key, consumers taken in turn): every request takes that
  event's pool lock, so this is the rate at which one event can sell;
- a sell-out: `--contenders` consumers (default 1,000) try to book one place each of
  an event with `--places` (default 300), all at once over 64 connections; prints
  the time until every answer is in, how many got 201 and 409 `sold_out`, any other
  status, and checks in the database that exactly `--places` guests hold places.

pretix documents about 300-400 tickets per minute per event (an event-wide lock);
the script prints our booking rate against 400 a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlmodel import Session, func, select

from bench.common import WrkResult, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
SELL_OUT_CONNECTIONS = 64
PRETIX_PER_MINUTE = 400
CONSUMERS = 1000


def _setup(url: str, *, places: int) -> tuple[str, str, str, str, list[str]]:
    """A verified club with two events: one that never sells out and one of `places`.

    Returns (big event id, its offering id, small event id, its offering id, tokens)."""
    from app.core.db import make_engine
    from app.core.security import create_access_token
    from app.models import Event, User, Venue, VenueKind, VenueStatus
    from app.models.booking import CapacityPool, Offering, OfferingKind, OfferingPool

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            venue = Venue(
                kind=VenueKind.NIGHTCLUB,
                name="Bench Club",
                address="1 MG Road, Bengaluru",
                latitude=12.9716,
                longitude=77.5946,
                status=VenueStatus.VERIFIED,
            )
            session.add(venue)
            session.flush()
            ids: list[str] = []
            for size in (1_000_000, places):
                starts = datetime.now(UTC) + timedelta(days=3)
                event = Event(
                    venue_id=venue.id,
                    title=f"Bench night {size}",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=5),
                )
                session.add(event)
                session.flush()
                pool = CapacityPool(event_id=event.id, name="Guests", size=size)
                offering = Offering(
                    event_id=event.id,
                    name="Stag entry",
                    kind=OfferingKind.STAG,
                    price_minor=150_000,
                    max_per_booking=10,
                )
                session.add_all([pool, offering])
                session.flush()
                session.add(
                    OfferingPool(offering_id=offering.id, pool_id=pool.id, places_per_pass=1)
                )
                ids += [str(event.id), str(offering.id)]
            users = [
                User(phone=f"+9190000{n:05d}", full_name=f"Bench guest {n}", is_active=True)
                for n in range(CONSUMERS)
            ]
            session.add_all(users)
            session.commit()
            tokens = [create_access_token(user.id).token for user in users]
            assert session.exec(select(func.count()).select_from(User)).one() >= CONSUMERS
    finally:
        engine.dispose()
    return ids[0], ids[1], ids[2], ids[3], tokens


def _booking_lua(path: str, offering_id: str, tokens: list[str]) -> str:
    """wrk: POST one stag pass, a fresh Idempotency-Key and the next consumer each time."""
    token_list = ",".join(f'"{t}"' for t in tokens)
    body = f'{{"items":[{{"offering_id":"{offering_id}","quantity":1}}]}}'
    return f"""
local tokens = {{{token_list}}}
local body = '{body}'
local counter = 0
local threads = {{}}
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
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("POST", "{path}", {{
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }}, body)
end
"""


async def _sell_out(
    base: str, *, event_id: str, offering_id: str, tokens: list[str], contenders: int
) -> tuple[float, Counter[int]]:
    """`contenders` bookings of one place each, as many in flight as there are connections.

    The client is aiohttp: httpx spent about 4 ms of CPU per request at 64 connections
    (about 17 s for this run, on the cores the server needs), so the sell-out measured
    the client; aiohttp spends about 0.15 ms."""
    path = f"{base}/api/v1/events/{event_id}/bookings"
    body = {"items": [{"offering_id": offering_id, "quantity": 1}]}
    statuses: Counter[int] = Counter()
    in_flight = asyncio.Semaphore(SELL_OUT_CONNECTIONS)
    connector = aiohttp.TCPConnector(limit=SELL_OUT_CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:

        async def one(n: int) -> None:
            headers = {
                "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                "Idempotency-Key": str(uuid.uuid4()),
            }
            async with in_flight, client.post(path, json=body, headers=headers) as response:
                await response.read()
                statuses[response.status] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(contenders)))
        elapsed = time.perf_counter() - start
    return elapsed, statuses


def _guests_holding(url: str, event_id: str) -> int:
    from app.core.db import make_engine
    from app.models.booking import Booking, BookingStatus

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            held = session.exec(
                select(func.coalesce(func.sum(Booking.guests), 0)).where(
                    Booking.event_id == uuid.UUID(event_id),
                    Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED]),  # type: ignore[attr-defined]
                )
            ).one()
            return int(held)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--places", type=int, default=300)
    parser.add_argument("--contenders", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    with scratch_database("socia_bench_bookings", keep=args.keep) as db_url:
        big_event, big_offering, small_event, small_offering, tokens = _setup(
            db_url, places=args.places
        )
        # Consumers are taken in turn, each holding a few unpaid bookings of the big event.
        env = {
            "DATABASE_URL": db_url,
            "PAYMENT_PROVIDER": "test",
            "BOOKING_MAX_UNPAID_PER_EVENT": "20",
        }
        with serve(env=env) as base:
            ceiling: dict[int, WrkResult] = {}
            rows: list[tuple[str, int, WrkResult]] = []
            path = f"/api/v1/events/{big_event}/bookings"
            lua = _booking_lua(path, big_offering, tokens)
            for connections in CONNECTIONS:
                ceiling[connections] = run_wrk(
                    f"{base}/bench/ceiling",
                    connections=connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                )
                booking = run_wrk(
                    base + path,
                    connections=connections,
                    duration_s=args.duration,
                    warmup_s=args.warmup,
                    lua=lua,
                    drain_url=f"{base}/api/v1/utils/health",
                    timeout_s=10,
                )
                rows.append(("POST /events/{id}/bookings (one event)", connections, booking))
            elapsed, statuses = asyncio.run(
                _sell_out(
                    base,
                    event_id=small_event,
                    offering_id=small_offering,
                    tokens=tokens,
                    contenders=args.contenders,
                )
            )
        held = _guests_holding(db_url, small_event)

    report(rows, ceiling)
    best = max(r.rps for _, _, r in rows)
    pretix = PRETIX_PER_MINUTE / 60
    print()
    print(
        f"best booking rate on one event: {best:,.0f}/s = {best * 60:,.0f}/min, "
        f"{best / pretix:.0f}x pretix's ~{PRETIX_PER_MINUTE}/min"
    )
    others = {s: n for s, n in statuses.items() if s not in (201, 409)}
    print(
        f"sell-out: {args.contenders} contenders for {args.places} places over 64 connections: "
        f"{elapsed:.2f} s; 201: {statuses[201]}, 409: {statuses[409]}, other: {others or 0}; "
        f"guests holding places: {held} (expected {args.places})"
    )
    if held != args.places or others:
        raise SystemExit("the sell-out oversold, undersold or failed requests")


if __name__ == "__main__":
    main()
