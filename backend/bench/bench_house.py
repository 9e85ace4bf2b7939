"""The house benchmark: health, readiness and a simple database read beside the ceiling.

    uv run python -m bench.bench_house [--duration 15] [--keep]

Serves the app (1 worker) on a scratch database on the machine's PostgreSQL
(BENCH_PG_URL), loads the demo data and runs each endpoint at 16 and 64
connections with `wrk`. The 64-connection rows show that sync database endpoints
queue instead of stalling (see app/core/db.py).
"""

from __future__ import annotations

import argparse

import httpx
from sqlmodel import Session

from bench.common import WrkResult, report, run_wrk, scratch_database, serve

CONNECTIONS = (16, 64)
# Simple anonymous database reads, used when the API has them.
CANDIDATE_READS = ("/api/v1/venues", "/api/v1/events", "/api/v1/posters")


def _seed(url: str) -> None:
    from app.core.db import make_engine
    from app.seed import seed_all

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            seed_all(session)
            session.commit()
    finally:
        engine.dispose()


def _database_reads(base: str) -> list[str]:
    """Which of the candidate reads exist and answer 200 without credentials."""
    found = []
    for path in CANDIDATE_READS:
        try:
            if httpx.get(base + path, timeout=10).status_code == 200:
                found.append(path)
        except httpx.HTTPError:
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    def wrk(url: str, connections: int) -> WrkResult:
        return run_wrk(url, connections=connections, duration_s=args.duration, warmup_s=args.warmup)

    with scratch_database("socia_bench_house", keep=args.keep) as db_url:
        _seed(db_url)
        with serve(env={"DATABASE_URL": db_url}) as base:
            endpoints = ["/api/v1/utils/health", "/api/v1/utils/ready", *_database_reads(base)]
            print(f"server {base}; endpoints: {', '.join(endpoints)}", flush=True)
            ceiling: dict[int, WrkResult] = {}
            rows: list[tuple[str, int, WrkResult]] = []
            for connections in CONNECTIONS:
                before = wrk(f"{base}/bench/ceiling", connections)
                for path in endpoints:
                    rows.append((path, connections, wrk(base + path, connections)))
                # The machine is shared: measure the ceiling before and after, keep the best.
                after = wrk(f"{base}/bench/ceiling", connections)
                ceiling[connections] = max(before, after, key=lambda r: r.rps)
    rows.sort(key=lambda row: (endpoints.index(row[0]), row[1]))
    report(rows, ceiling)


if __name__ == "__main__":
    main()
