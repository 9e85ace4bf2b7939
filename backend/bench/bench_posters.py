"""The poster feed at 1,000, 100,000 and 1,000,000 posters, beside the ceiling and a naive scan.

    uv run python -m bench.bench_posters [--sizes 1000 100000 1000000] [--duration 15] [--keep]
        [--no-events] [--feed-only]

Fills a scratch database on the machine's PostgreSQL (BENCH_PG_URL) in stages and,
after each stage, runs with `wrk` at 16 and 64 connections:
- the feed, `GET /api/v1/posters/feed` (H3 cell lookup, then the exact distance);
- a naive feed, `GET /bench/posters/naive`: the same answer from a full scan that
  computes the great-circle distance of every poster;
- the bare-FastAPI ceiling endpoint (measured once, first).

Layout: the caller stands in central Bengaluru. The first 1,000 posters are in
Bengaluru (100 venues); every later poster is far away, elsewhere in India, 25 per
venue (sharing venues keeps the fill fast: the covering is computed once per venue
and radius). So the feed should cost the same at every size, while the naive scan
grows with the table. Posters are COPYed; their cells are computed in Python (a
process pool) and fanned out to posters in SQL.

Each Bengaluru venue also hosts an event (a 300-place pool, a stag and a couple
pass), and 3 of its 10 posters promote it, so the feed's live capacity check has
real bookings to count (~13,000 in all, 2 places each). The events cycle through
four states: sold out by confirmed bookings, sold out with live holds, full of
holds that have expired (places free again), half sold. With `--no-events` the
Bengaluru posters all promote their venue (the layout before events were added).
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import psycopg
import sqlalchemy as sa
from fastapi import Query
from sqlalchemy import make_url
from sqlmodel import Session, col

from app.api.deps import SessionDep
from app.core import geo_index
from app.core.geo import haversine_sql
from app.crud import poster as poster_crud
from app.models import Event, User, Venue, VenueKind, VenueStatus
from app.models.booking import CapacityPool, Offering, OfferingKind, OfferingPool
from app.schema.common import Page
from app.schema.poster import PosterFeedItem
from bench.ceiling_app import app
from bench.common import WrkResult, copy_rows, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
CALLER = (12.9716, 77.5946)  # MG Road, Bengaluru
CITY_POSTERS = 1_000
CITY_VENUES = 100
EVENT_POSTERS_PER_CITY_VENUE = 3
EVENT_POOL_SIZE = 300
# (confirmed, live holds, expired holds) bookings of 2 places, by the event's state.
EVENT_STATES = ((150, 0, 0), (120, 30, 0), (100, 0, 50), (75, 0, 0))
FAR_POSTERS_PER_VENUE = 25
RADII = (500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000)
FEED_LIMIT = 20


# -- the naive feed (the same answer, no index): served beside the real one ---------------


@app.get("/bench/posters/naive", response_model=Page[PosterFeedItem], include_in_schema=False)
def naive_feed(
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
    limit: Annotated[int, Query(ge=1, le=50)] = FEED_LIMIT,
) -> Page[PosterFeedItem]:
    now = datetime.now(UTC)
    distance = haversine_sql(col(Venue.latitude), col(Venue.longitude), lat, lng)
    statement = poster_crud.feed_query(distance, now, cells=None).limit(limit)
    rows = session.connection().execute(statement).mappings().all()
    items = [PosterFeedItem.model_validate(row) for row in rows]
    return Page(items=items, total=len(items), limit=limit, offset=0)


# -- filling -------------------------------------------------------------------------------


def _city_point(rng: random.Random) -> tuple[float, float]:
    return CALLER[0] + rng.uniform(-0.15, 0.15), CALLER[1] + rng.uniform(-0.15, 0.15)


def _far_point(rng: random.Random) -> tuple[float, float]:
    """Somewhere in India, at least ~100 km from the caller (beyond any poster's reach)."""
    while True:
        lat, lng = rng.uniform(8.0, 30.0), rng.uniform(70.0, 90.0)
        if abs(lat - CALLER[0]) > 1.0 or abs(lng - CALLER[1]) > 1.0:
            return lat, lng


def _coverings(task: tuple[int, float, float, int]) -> tuple[int, int, int, list[int]]:
    venue_index, lat, lng, radius = task
    resolution, cells = geo_index.poster_covering(lat, lng, radius)
    return venue_index, radius, resolution, sorted(cells)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _add_venues(url: str, points: list[tuple[float, float]]) -> list[uuid.UUID]:
    """Venues through the ORM (so every column the venue model computes is right)."""
    engine = sa.create_engine(url)
    ids: list[uuid.UUID] = []
    try:
        with Session(engine) as session:
            for n, (lat, lng) in enumerate(points):
                venue = Venue(
                    kind=VenueKind.RESTAURANT,
                    name=f"Bench venue {uuid.uuid4().hex[:8]}",
                    address=f"{n} Bench Road",
                    latitude=lat,
                    longitude=lng,
                    status=VenueStatus.VERIFIED,
                )
                session.add(venue)
                ids.append(venue.id)
                if n % 2000 == 1999:
                    session.flush()
                    session.expunge_all()
            session.commit()
    finally:
        engine.dispose()
    return ids


_BOOKINGS_SQL = """
WITH b AS (
    INSERT INTO booking (id, event_id, consumer_id, status, guests, total_minor, currency,
                         hold_expires_at, confirmed_at)
    SELECT gen_random_uuid(), %(event)s, %(consumer)s, %(status)s, 2, 300000, 'INR',
           %(hold)s, %(confirmed)s
    FROM generate_series(1, %(n)s)
    RETURNING id
)
INSERT INTO booking_item (id, booking_id, offering_id, quantity, guests, unit_price_minor)
SELECT gen_random_uuid(), b.id, %(offering)s, 1, 2, 300000 FROM b
"""


def _add_events(url: str, venue_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """An event at each venue, with a pool, two passes and its state's bookings."""
    now = datetime.now(UTC)
    engine = sa.create_engine(url)
    event_ids: list[uuid.UUID] = []
    couples: list[uuid.UUID] = []
    try:
        with Session(engine) as session:
            consumer = User(phone=f"+9199{uuid.uuid4().int % 10**8:08d}", full_name="Bench")
            session.add(consumer)
            for venue_id in venue_ids:
                event = Event(
                    venue_id=venue_id,
                    title="Bench night",
                    starts_at=now + timedelta(days=1),
                    ends_at=now + timedelta(days=1, hours=6),
                )
                session.add(event)
                session.flush()  # no ORM relationships order the inserts: the event first
                pool = CapacityPool(event_id=event.id, name="Guests", size=EVENT_POOL_SIZE)
                stag = Offering(
                    event_id=event.id, name="Stag", kind=OfferingKind.STAG, price_minor=150000
                )
                couple = Offering(
                    event_id=event.id,
                    name="Couple",
                    kind=OfferingKind.COUPLE,
                    price_minor=300000,
                    guests_per_pass=2,
                )
                session.add_all([pool, stag, couple])
                session.flush()
                session.add_all(
                    [
                        OfferingPool(offering_id=stag.id, pool_id=pool.id, places_per_pass=1),
                        OfferingPool(offering_id=couple.id, pool_id=pool.id, places_per_pass=2),
                    ]
                )
                event_ids.append(event.id)
                couples.append(couple.id)
            session.flush()
            connection = session.connection()
            for n, (event_id, couple_id) in enumerate(zip(event_ids, couples, strict=True)):
                confirmed, live, expired = EVENT_STATES[n % len(EVENT_STATES)]
                for count, status, hold, confirmed_at in (
                    (confirmed, "confirmed", now, now),
                    (live, "held", now + timedelta(days=1), None),
                    (expired, "held", now - timedelta(minutes=1), None),
                ):
                    if count:
                        connection.exec_driver_sql(
                            _BOOKINGS_SQL,
                            {
                                "event": event_id,
                                "consumer": consumer.id,
                                "status": status,
                                "hold": hold,
                                "confirmed": confirmed_at,
                                "n": count,
                                "offering": couple_id,
                            },
                        )
            session.commit()
    finally:
        engine.dispose()
    return event_ids


def fill(
    url: str,
    *,
    count: int,
    city: bool,
    rng: random.Random,
    pool: ProcessPoolExecutor,
    events: bool = True,
) -> None:
    """Add `count` posters (in Bengaluru when `city`, far away otherwise; with
    `events`, 3 of each Bengaluru venue's posters promote its event)."""
    per_venue = CITY_POSTERS // CITY_VENUES if city else FAR_POSTERS_PER_VENUE
    n_venues = max(1, math.ceil(count / per_venue))
    points = [(_city_point if city else _far_point)(rng) for _ in range(n_venues)]
    venue_ids = _add_venues(url, points)
    event_ids = _add_events(url, venue_ids) if city and events else []

    posters: list[tuple[int, int, int]] = []  # (venue index, radius, priority)
    for n in range(count):
        posters.append((n % n_venues, rng.choice(RADII), rng.randint(0, 5)))

    def event_of(n: int, venue: int) -> str:
        """The event the n-th poster promotes (COPY's NULL when it promotes its venue)."""
        if event_ids and n // n_venues < EVENT_POSTERS_PER_CITY_VENUE:
            return str(event_ids[venue])
        return "\\N"

    tasks = sorted({(v, points[v][0], points[v][1], r) for v, r, _ in posters})
    coverings = list(pool.map(_coverings, tasks, chunksize=256))
    resolution_of = {(v, r): res for v, r, res, _ in coverings}

    now = datetime.now(UTC)
    starts = (now - timedelta(days=1)).isoformat()
    expires = (now + timedelta(days=365)).isoformat()
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_cover"
            " (venue_id uuid, radius_m int, resolution smallint, cell bigint)"
        )
        copy_rows(
            cursor,
            "COPY bench_cover FROM STDIN",
            (
                f"{venue_ids[v]}\t{r}\t{res}\t{cell}\n"
                for v, r, res, cells in coverings
                for cell in cells
            ),
        )
        cursor.execute("CREATE TEMP TABLE bench_poster (LIKE poster INCLUDING DEFAULTS)")
        copy_rows(
            cursor,
            "COPY bench_poster (id, venue_id, event_id, title, image_url, deep_link, starts_at,"
            " expires_at, radius_m, priority, is_paused, h3_resolution) FROM STDIN",
            (
                f"{uuid.uuid4()}\t{venue_ids[v]}\t{event_of(n, v)}\tPoster {n}"
                f"\thttps://cdn.example.com/p/{n}.jpg"
                f"\tsocia://venue/{venue_ids[v]}\t{starts}\t{expires}\t{r}\t{p}\tf"
                f"\t{resolution_of[(v, r)]}\n"
                for n, (v, r, p) in enumerate(posters)
            ),
        )
        cursor.execute("INSERT INTO poster SELECT * FROM bench_poster")
        cursor.execute(
            "INSERT INTO poster_cell (poster_id, cell, resolution)"
            " SELECT p.id, c.cell, c.resolution FROM bench_poster p"
            " JOIN bench_cover c ON c.venue_id = p.venue_id AND c.radius_m = p.radius_m"
        )
        conn.commit()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(
            "VACUUM (ANALYZE) poster, poster_cell, venue, event, offering, offering_pool,"
            " capacity_pool, booking, booking_item"
        )


def _count(url: str, table: str) -> int:
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0


def _same_answer(base: str) -> int:
    params = {"lat": CALLER[0], "lng": CALLER[1], "limit": FEED_LIMIT}
    feed = httpx.get(f"{base}/api/v1/posters/feed", params=params, timeout=120).json()["items"]
    naive = httpx.get(f"{base}/bench/posters/naive", params=params, timeout=120).json()["items"]
    if [i["id"] for i in feed] != [i["id"] for i in naive]:
        raise SystemExit("the feed and the naive scan disagree: the benchmark is meaningless")
    return len(feed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-events", action="store_true", help="Bengaluru posters all promote their venue"
    )
    parser.add_argument(
        "--feed-only",
        action="store_true",
        help="measure the feed only (the naive scan still checks the feed's answer once)",
    )
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = sorted(args.sizes)
    if sizes[0] < CITY_POSTERS:
        raise SystemExit(f"the smallest size must be at least {CITY_POSTERS}")

    def wrk(url: str, connections: int) -> WrkResult:
        return run_wrk(url, connections=connections, duration_s=args.duration, warmup_s=args.warmup)

    rng = random.Random(args.seed)
    query = f"lat={CALLER[0]}&lng={CALLER[1]}&limit={FEED_LIMIT}"
    rows: list[tuple[str, int, WrkResult]] = []
    with (
        scratch_database("socia_bench_posters", keep=args.keep) as db_url,
        ProcessPoolExecutor(max_workers=2) as pool,
        serve("bench.bench_posters:app", env={"DATABASE_URL": db_url}) as base,
    ):
        ceiling = {c: wrk(f"{base}/bench/ceiling", c) for c in CONNECTIONS}
        filled = 0
        for size in sizes:
            if filled == 0:
                fill(
                    db_url,
                    count=CITY_POSTERS,
                    city=True,
                    rng=rng,
                    pool=pool,
                    events=not args.no_events,
                )
                filled = CITY_POSTERS
            if size > filled:
                fill(db_url, count=size - filled, city=False, rng=rng, pool=pool)
                filled = size
            cells = _count(db_url, "poster_cell")
            shown = _same_answer(base)
            print(
                f"{_count(db_url, 'poster'):,} posters, {cells:,} cells; "
                f"the feed shows {shown} (same as the naive scan)",
                flush=True,
            )
            for c in CONNECTIONS:
                rows.append(
                    (f"feed, {size:,} posters", c, wrk(f"{base}/api/v1/posters/feed?{query}", c))
                )
            for c in () if args.feed_only else CONNECTIONS:
                rows.append(
                    (
                        f"naive scan, {size:,} posters",
                        c,
                        wrk(f"{base}/bench/posters/naive?{query}", c),
                    )
                )
    print(f"resolutions the feed looks up: {poster_crud.FEED_RESOLUTIONS}")
    report(rows, ceiling)


if __name__ == "__main__":
    main()
