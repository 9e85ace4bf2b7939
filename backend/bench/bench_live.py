"""Live streams: 1,000 open event streams on ONE worker, and how long a change takes to
reach all of them, beside the ceiling.

    uv run python -m bench.bench_live [--streams 1000] [--events 30] [--gap 0.2]

Serves the app (1 worker) on a scratch database on the machine's PostgreSQL
(BENCH_PG_URL) and, in one run:
- the ceiling endpoint (bare FastAPI, constant JSON) at 16 connections, before any
  stream is open and again with every stream open and idle (idle streams should cost
  the server next to nothing);
- opens `--streams` streams (default 1,000) on one venue's board, each with its own
  stream token, through a minimal asyncio HTTP/1.1 client (so the load generator
  costs little of the two cores), and prints how long opening them took and how many
  connections the server then holds on the database (its pool's and the one LISTEN
  connection: a waiting stream holds none);
- records `--events` changes (default 30) one after another, `--gap` seconds apart,
  each committed in its own transaction with its NOTIFY (as `app.crud.live.record`
  does), and measures for every change and every stream the delay from the commit's
  return to the event's arrival on that stream: p50, p99 and max over all deliveries,
  and p50/p99 of the time until the LAST stream had each change.

Found with it (2026-12-02, shared 2-core machine): a change reaches 1,000 streams in
about 60-100 ms, except that every few seconds a full pass of Python's cyclic garbage
collector in the server (it walks every object of 1,000 open streams) holds the loop
for 300-600 ms, which is the p99. With the collector off in the server (an experiment
only) p99 was 81 ms; `gc.freeze()` after startup alone did not remove the pauses.
"""

from __future__ import annotations

import os

# The tokens are signed here as the server verifies them; set before the app is imported.
os.environ["SECRET_KEY"] = "bench-live-secret-key-0123456789-abcdefghijkl"
os.environ["LIVE_TOKEN_TTL_SECONDS"] = "3600"

import argparse
import asyncio
import json
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import make_url
from sqlmodel import Session

from bench.common import WrkResult, report, run_wrk, scratch_database, serve

SECRET = os.environ["SECRET_KEY"]


def _setup(url: str, *, streams: int) -> tuple[uuid.UUID, list[str]]:
    """A verified venue with one staff member; `streams` tokens for its board."""
    from app.core import live_token
    from app.core.db import make_engine
    from app.models import User, Venue, VenueKind, VenueMembership, VenueRole, VenueStatus

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            venue = Venue(
                kind=VenueKind.RESTAURANT,
                name="Bench Kitchen",
                address="1 MG Road, Bengaluru",
                latitude=12.9716,
                longitude=77.5946,
                status=VenueStatus.VERIFIED,
            )
            staff = User(email="staff@bench.example", full_name="Staff")
            session.add(venue)
            session.add(staff)
            session.flush()
            session.add(VenueMembership(venue_id=venue.id, user_id=staff.id, role=VenueRole.STAFF))
            session.commit()
            stream = live_token.Stream(live_token.StreamKind.VENUE, venue.id)
            tokens = [
                live_token.issue(user_id=staff.id, stream=stream).token for _ in range(streams)
            ]
            return venue.id, tokens
    finally:
        engine.dispose()


@dataclass
class Reader:
    """One stream on its own socket: the arrival time of every event id it reads."""

    arrivals: dict[int, float] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None


async def _read_stream(host: str, port: int, path: str, reader_state: Reader) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        reader_state.error = str(exc)
        reader_state.ready.set()
        return
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        reader_state.error = status.decode(errors="replace").strip()
        reader_state.ready.set()
        writer.close()
        return
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # headers
    # Whole reads, scanned for event ids (the chunked framing and the pings between
    # them do not matter): one read per event per stream keeps the client cheap.
    tail = b""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            now = time.perf_counter()
            buffer = tail + data
            for match in _EVENT.finditer(buffer):
                if match.group(2) == b"ready":
                    reader_state.ready.set()
                else:
                    reader_state.arrivals.setdefault(int(match.group(1)), now)
            tail = buffer[-64:]
    except (asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


_EVENT = re.compile(rb"id: (\d+)\r\nevent: (\w+)")


def _record(conn: psycopg.Connection[tuple[object, ...]], venue_id: uuid.UUID, n: int) -> int:
    """One change in its own transaction, as `app.crud.live.record` writes it."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO live_event (kind, venue_id, data) VALUES ('order', %s, %s) RETURNING id",
            (venue_id, json.dumps({"n": n, "status": "ready"})),
        ).fetchone()
        assert row is not None
        event_id = int(str(row[0]))
        conn.execute("SELECT pg_notify('socia_live', %s)", (str(event_id),))
    return event_id


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _db_connections(conn: psycopg.Connection[tuple[object, ...]], database: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1",
        (database,),
    ).fetchall()
    return {str(state): int(str(count)) for state, count in rows}


async def _measure(
    base: str, venue_id: uuid.UUID, tokens: list[str], db_url: str, *, events: int, gap: float
) -> tuple[list[float], list[float], float, dict[str, int], int, WrkResult]:
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/v1/live/venues/{venue_id}?token="
    readers = [Reader() for _ in tokens]
    started = time.perf_counter()
    tasks = []
    for reader_state, token in zip(readers, tokens, strict=True):
        tasks.append(asyncio.create_task(_read_stream(host, int(port), path + token, reader_state)))
        await asyncio.sleep(0)  # a little spread: not 1,000 SYNs in one go
    await asyncio.gather(*(r.ready.wait() for r in readers))
    open_seconds = time.perf_counter() - started
    failed = sum(1 for r in readers if r.error)
    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    database = make_url(db_url).database or ""
    with psycopg.connect(libpq, autocommit=True) as conn:
        connections = _db_connections(conn, database)
        # The ceiling with every stream open and idle (wrk in a thread: the loop keeps reading).
        idle_ceiling = await asyncio.to_thread(
            run_wrk, f"{base}/bench/ceiling", connections=16, duration_s=10, warmup_s=2
        )
        committed: dict[int, float] = {}
        for n in range(events):
            event_id = _record(conn, venue_id, n)
            committed[event_id] = time.perf_counter()
            await asyncio.sleep(gap)
    await asyncio.sleep(max(1.0, gap * 5))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays: list[float] = []
    last_per_event: list[float] = []
    for event_id, at in committed.items():
        arrived = [r.arrivals[event_id] - at for r in readers if event_id in r.arrivals]
        missing = sum(1 for r in readers if not r.error and event_id not in r.arrivals)
        if missing:
            print(f"event {event_id}: {missing} streams never got it")
        delays.extend(arrived)
        if arrived:
            last_per_event.append(max(arrived))
    return delays, last_per_event, open_seconds, connections, failed, idle_ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.2)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with scratch_database("socia_bench_live", keep=args.keep) as db_url:
        venue_id, tokens = _setup(db_url, streams=args.streams)
        env = {
            "DATABASE_URL": db_url,
            "SECRET_KEY": SECRET,
            "LIVE_LISTEN_AT_STARTUP": "true",
            "LIVE_STREAM_BUFFER": "10000",
        }
        with serve(env=env) as base:
            ceiling = {16: run_wrk(f"{base}/bench/ceiling", connections=16, duration_s=10)}
            delays, last, open_s, conns, failed, idle = asyncio.run(
                _measure(base, venue_id, tokens, db_url, events=args.events, gap=args.gap)
            )
    report([(f"ceiling with {args.streams:,} idle streams open", 16, idle)], ceiling)
    print()
    print(
        f"{args.streams:,} streams on one worker: opened in {open_s:.2f} s, {failed} failed; "
        f"database connections meanwhile: {conns} (pool + 1 LISTEN; none per stream)"
    )
    if not delays:
        print("no deliveries measured")
        return
    ms = [d * 1000 for d in delays]
    last_ms = [d * 1000 for d in last]
    print(
        f"{len(ms):,} deliveries ({args.events} changes x {args.streams:,} streams): delay from "
        f"commit to arrival p50 {statistics.median(ms):.1f} ms, p99 {_pct(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms"
    )
    print("per change, ms until the last stream had it:", " ".join(f"{d:.0f}" for d in last_ms))
    print(
        f"until the last stream had a change: p50 {statistics.median(last_ms):.1f} ms, "
        f"p99 {_pct(last_ms, 0.99):.1f} ms, max {max(last_ms):.1f} ms"
    )


if __name__ == "__main__":
    main()
