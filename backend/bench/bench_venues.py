"""Nearby-venue search and the whole-menu read, beside the ceiling.

    uv run python -m bench.bench_venues [--venues 10000] [--menus 1000] [--items 300]
                                        [--duration 15] [--warmup 3] [--keep]

Fills a scratch database on the machine's PostgreSQL (BENCH_PG_URL) with
`--venues` verified venues spread over greater Bengaluru (about 38 x 38 km, so
a 3 km circle around MG Road holds a couple of hundred), each with opening
hours, and gives `--menus` of them a 300-item menu (one menu, 10 categories with
2 subcategories each). Rows are COPYed (the H3 cell is computed in Python, as
the model would). Then, with `wrk` at 16 and 64 connections:

- the ceiling: a bare `async def` FastAPI route with a response_model;
- search: `GET /api/v1/venues?lat&lng&radius_m=3000` (page of 20, nearest first,
  exact distance, total) and the same with `open_now=true&kind=restaurant`;
- whole menu: `GET /api/v1/venues/{id}/menu` for a 300-item menu, as served
  (per-process cache keyed by the menu version: one query), answered 304 to
  `If-None-Match`, and rebuilt on every request (`/bench/menu-uncached/{id}`:
  three queries plus serialisation, what a cache miss costs).
"""

from __future__ import annotations

import argparse
import logging
import random
import uuid
from collections.abc import Iterable

import httpx
import orjson
import psycopg
from fastapi import Response
from sqlalchemy import make_url

from app.api.deps import SessionDep, VisibleVenue
from app.crud import menu as menu_crud
from bench.ceiling_app import app
from bench.common import WrkResult, copy_rows, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
CALLER = (12.9716, 77.5946)  # MG Road
BOX = (12.80, 13.15, 77.45, 77.80)  # min lat, max lat, min lng, max lng
KINDS = ("restaurant", "restaurant", "qsr", "nightclub", "food_court")
CUISINES = ("north indian", "south indian", "chinese", "italian", "cafe", "biryani", "pizza")
DIETS = ("veg", "non_veg", "egg", "vegan")
NULL = "\\N"  # COPY's text format


@app.get("/bench/menu-uncached/{venue_id}", include_in_schema=False)
def menu_uncached(venue: VisibleVenue, session: SessionDep) -> Response:
    """The whole menu rebuilt on every request (what a cache miss costs)."""
    body = orjson.dumps(menu_crud.build_tree(session, venue=venue))
    return Response(content=body, media_type="application/json")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(url: str, *, venues: int, menus: int, items: int, rng: random.Random) -> uuid.UUID:
    """Fill the database; return the id of a venue near the caller that has a menu."""
    min_lat, max_lat, min_lng, max_lng = BOX
    points = [(rng.uniform(min_lat, max_lat), rng.uniform(min_lng, max_lng)) for _ in range(venues)]
    points[0] = (CALLER[0] + 0.001, CALLER[1] + 0.001)  # the menu venue, by the caller
    ids = [uuid.uuid4() for _ in range(venues)]
    kinds = [KINDS[n % len(KINDS)] for n in range(venues)]

    def venue_rows() -> Iterable[str]:
        for n, ((lat, lng), vid, kind) in enumerate(zip(points, ids, kinds, strict=True)):
            cuisines = f'{{"{rng.choice(CUISINES)}"}}' if kind in {"restaurant", "qsr"} else "{}"
            yield (
                f"{vid}\t{kind}\tBench venue {n}\tverified\tt\t{n} Bench Road\tBengaluru"
                f"\t{lat}\t{lng}\tINR\tAsia/Kolkata"
                f"\t{rng.randrange(300, 5000) * 100}\t{cuisines}\n"
            )

    def hour_rows() -> Iterable[str]:
        for vid, kind in zip(ids, kinds, strict=True):
            opens, closes = ("20:00", "02:00") if kind == "nightclub" else ("11:00", "23:00")
            for day in range(7):
                yield f"{uuid.uuid4()}\t{vid}\t{day}\t{opens}\t{closes}\n"

    menu_rows, category_rows, item_rows = [], [], []
    for vid in ids[:menus]:
        menu_id = uuid.uuid4()
        menu_rows.append(f"{menu_id}\t{vid}\tFood\t0\n")
        holders = []
        for c in range(10):
            top = uuid.uuid4()
            category_rows.append(f"{top}\t{vid}\t{menu_id}\t{NULL}\tCategory {c}\t{c}\n")
            holders.append(top)
            for s in range(2):
                sub = uuid.uuid4()
                category_rows.append(f"{sub}\t{vid}\t{menu_id}\t{top}\tSub {c}.{s}\t{s}\n")
                holders.append(sub)
        for n in range(items):
            alcoholic = n % 10 == 0
            abv = "5.5" if alcoholic else NULL
            item_rows.append(
                f"{uuid.uuid4()}\t{vid}\t{holders[n % len(holders)]}\tDish {n}"
                f"\tSlow-cooked, served with rice and a salad\t{10_000 + n * 100}\tINR"
                f"\t{DIETS[n % 4]}\t{'t' if alcoholic else 'f'}\t{abv}"
                f"\t{{onion,tomato,garlic}}\t{{spicy}}\tt\t{n}\n"
            )

    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cursor:
        copy_rows(
            cursor,
            "COPY venue (id, kind, name, status, is_active, address, city, latitude, longitude,"
            " currency, timezone, avg_cost_for_two_minor, cuisines) FROM STDIN",
            venue_rows(),
        )
        copy_rows(
            cursor,
            "COPY venue_opening_hours (id, venue_id, weekday, opens, closes) FROM STDIN",
            hour_rows(),
        )
        copy_rows(cursor, "COPY menu (id, venue_id, name, display_order) FROM STDIN", menu_rows)
        copy_rows(
            cursor,
            "COPY menu_category (id, venue_id, menu_id, parent_id, name, display_order) FROM STDIN",
            category_rows,
        )
        copy_rows(
            cursor,
            "COPY menu_item (id, venue_id, category_id, name, description, price_minor, currency,"
            " diet, is_alcoholic, abv, ingredients, tags, is_available, display_order) FROM STDIN",
            item_rows,
        )
        cursor.execute("UPDATE venue SET menu_version = 1 WHERE id = ANY(%s)", (ids[:menus],))
        conn.commit()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return ids[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venues", type=int, default=10_000)
    parser.add_argument("--menus", type=int, default=1_000, help="venues that get a menu")
    parser.add_argument("--items", type=int, default=300, help="items per menu")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def wrk(url: str, connections: int, headers: dict[str, str] | None = None) -> WrkResult:
        return run_wrk(
            url,
            connections=connections,
            duration_s=args.duration,
            warmup_s=args.warmup,
            headers=headers,
        )

    rng = random.Random(args.seed)
    search = f"lat={CALLER[0]}&lng={CALLER[1]}&radius_m=3000"
    with scratch_database("socia_bench_venues", keep=args.keep) as db_url:
        venue_id = fill(db_url, venues=args.venues, menus=args.menus, items=args.items, rng=rng)
        with serve("bench.bench_venues:app", env={"DATABASE_URL": db_url}) as base:
            found = httpx.get(f"{base}/api/v1/venues?{search}", timeout=60).json()
            menu = httpx.get(f"{base}/api/v1/venues/{venue_id}/menu", timeout=60)
            count = sum(
                len(c["items"]) + sum(len(s["items"]) for s in c["subcategories"])
                for m in menu.json()["menus"]
                for c in m["categories"]
            )
            print(
                f"{args.venues:,} venues, {args.menus:,} menus of {args.items} items; "
                f"{found['total']} venues within 3 km; the menu has {count} items "
                f"({len(menu.content):,} bytes)",
                flush=True,
            )
            etag = menu.headers["ETag"]
            ceiling = {c: wrk(f"{base}/bench/ceiling", c) for c in CONNECTIONS}
            rows: list[tuple[str, int, WrkResult]] = []
            endpoints: list[tuple[str, str, dict[str, str] | None]] = [
                ("search 3 km, page of 20", f"/api/v1/venues?{search}", None),
                (
                    "search 3 km, open now, restaurants",
                    f"/api/v1/venues?{search}&open_now=true&kind=restaurant",
                    None,
                ),
                (f"whole menu ({count} items)", f"/api/v1/venues/{venue_id}/menu", None),
                (
                    "whole menu, 304 (If-None-Match)",
                    f"/api/v1/venues/{venue_id}/menu",
                    {"If-None-Match": etag},
                ),
                (
                    "whole menu rebuilt every time",
                    f"/bench/menu-uncached/{venue_id}",
                    None,
                ),
            ]
            for name, path, headers in endpoints:
                for c in CONNECTIONS:
                    rows.append((name, c, wrk(base + path, c, headers)))
    report(rows, ceiling)


if __name__ == "__main__":
    main()
