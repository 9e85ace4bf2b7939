"""Engine and sessions.

Connection pool and worker threads are sized together. A sync endpoint runs in
the threadpool; if every worker thread waits for a pooled connection while the
requests that hold the connections wait for a thread (to serialise their
response or close their session), nothing moves. To make that impossible a
request first takes a *database slot* in the event loop, where waiting costs no
thread, and only then gets a session: there are exactly as many slots as the
pool can hand out connections, so a request holding a slot never waits for a
connection, and `THREADPOOL_SIZE` is kept larger than the slot count so it
always finds a thread. Load beyond that queues instead of stalling.

The connections add up across processes: `socia serve` shares `DB_CONNECTION_BUDGET`
between its worker processes (`plan_server`), so workers x (pool + overflow + the one
LISTEN connection of the live streams) never exceeds it, and the deployment keeps the
budget (plus the job workers' connections and a reserve for migrations and Adminer)
below PostgreSQL's `max_connections`
(docker-compose.yml sets it, and tests/core/test_compose.py checks the sum).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from app.core import embedded_pg
from app.core.config import Settings, settings

_engine: Engine | None = None
_engine_lock = threading.Lock()
_embedded_server: Any = None


def resolve_database_url(cfg: Settings = settings) -> str:
    """The SQLAlchemy URL to use: `DATABASE_URL`, or the embedded server's."""
    global _embedded_server
    if cfg.DATABASE_URL is not None:
        return normalise_url(cfg.DATABASE_URL)
    if _embedded_server is None:
        _embedded_server = embedded_pg.start(cfg.EMBEDDED_PG_DIR)
    embedded_pg.ensure_database(_embedded_server, cfg.EMBEDDED_PG_DATABASE)
    return embedded_pg.sqlalchemy_url(_embedded_server, cfg.EMBEDDED_PG_DATABASE)


def normalise_url(url: str) -> str:
    """Make `postgres://` and `postgresql://` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    cfg: Settings = settings,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> Engine:
    """An engine for `url`, its pool sized by the settings unless given here."""
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if cfg.DB_STATEMENT_TIMEOUT_MS:
        connect_args["options"] = f"-c statement_timeout={cfg.DB_STATEMENT_TIMEOUT_MS}"
    engine = create_engine(
        url,
        pool_size=cfg.DB_POOL_SIZE if pool_size is None else pool_size,
        max_overflow=cfg.DB_MAX_OVERFLOW if max_overflow is None else max_overflow,
        pool_timeout=cfg.DB_POOL_TIMEOUT,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )

    @event.listens_for(engine, "connect")
    def _set_utc(dbapi_connection: Any, _record: Any) -> None:
        # Every timestamp leaves the database as UTC; tz conversion is the app's job.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()

    return engine


def get_engine() -> Engine:
    """The process-wide engine, created on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = make_engine(resolve_database_url())
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process-wide engine (tests, CLI)."""
    global _engine
    _engine = engine


def db_slot_count(cfg: Settings = settings) -> int:
    return cfg.DB_POOL_SIZE + cfg.DB_MAX_OVERFLOW


# A worker process gets at least this many connections when `socia serve` picks the
# number of workers itself; fewer workers rather than starved ones.
MIN_CONNECTIONS_PER_WORKER = 4
# Threads beyond the database slots (see the module docstring) when derived.
SPARE_THREADS = 16
# Each worker process also keeps one connection outside its pool: the LISTEN connection
# that feeds its live streams (app/services/live.py).
LISTENER_CONNECTIONS = 1


class ConnectionBudgetError(ValueError):
    """The processes asked for would open more connections than the budget allows."""


@dataclass(frozen=True)
class ServerPlan:
    """How `socia serve` shares `DB_CONNECTION_BUDGET` between its worker processes."""

    workers: int
    pool_size: int
    max_overflow: int
    threadpool_size: int

    @property
    def connections_per_worker(self) -> int:
        return self.pool_size + self.max_overflow

    @property
    def listener_connections(self) -> int:
        """Per worker, outside its pool: the LISTEN connection of its live streams."""
        return LISTENER_CONNECTIONS

    @property
    def connections(self) -> int:
        """Everything the workers may open: their pools and their LISTEN connections."""
        return self.workers * (self.connections_per_worker + LISTENER_CONNECTIONS)

    def environment(self) -> dict[str, str]:
        """The settings each worker process reads."""
        return {
            "DB_POOL_SIZE": str(self.pool_size),
            "DB_MAX_OVERFLOW": str(self.max_overflow),
            "THREADPOOL_SIZE": str(self.threadpool_size),
        }


def default_workers(cpu_count: int | None) -> int:
    """Two processes per core, between 2 and 8."""
    return max(2, min(8, (cpu_count or 1) * 2))


def plan_server(
    cfg: Settings = settings, *, workers: int | None = None, cpu_count: int | None = None
) -> ServerPlan:
    """Workers and per-worker pool for `socia serve` within `DB_CONNECTION_BUDGET`.

    Without `workers` the number follows the CPUs but leaves each worker at least
    `MIN_CONNECTIONS_PER_WORKER`; without an explicit `DB_POOL_SIZE`/`DB_MAX_OVERFLOW`
    each worker gets an equal share of the budget, two thirds of it kept open in the
    pool and the rest as overflow. Explicit values are kept, and refused
    (`ConnectionBudgetError`) when they add up to more than the budget.
    """
    budget = cfg.DB_CONNECTION_BUDGET
    given = cfg.model_fields_set
    if workers is None:
        per_worker = MIN_CONNECTIONS_PER_WORKER + LISTENER_CONNECTIONS
        workers = max(1, min(default_workers(cpu_count), budget // per_worker))
    if {"DB_POOL_SIZE", "DB_MAX_OVERFLOW"} & given:
        pool_size, max_overflow = cfg.DB_POOL_SIZE, cfg.DB_MAX_OVERFLOW
    else:
        share = budget // workers - LISTENER_CONNECTIONS
        if share < 1:
            raise ConnectionBudgetError(
                f"DB_CONNECTION_BUDGET={budget} cannot give each of {workers} workers "
                "a connection; raise it or start fewer workers"
            )
        pool_size = max(1, -(-share * 2 // 3))
        max_overflow = share - pool_size
    slots = pool_size + max_overflow
    if workers * (slots + LISTENER_CONNECTIONS) > budget:
        raise ConnectionBudgetError(
            f"{workers} workers x (DB_POOL_SIZE={pool_size} + DB_MAX_OVERFLOW={max_overflow} "
            f"+ {LISTENER_CONNECTIONS} live listener) = "
            f"{workers * (slots + LISTENER_CONNECTIONS)} connections, more than "
            f"DB_CONNECTION_BUDGET={budget}"
        )
    threadpool_size = cfg.THREADPOOL_SIZE
    if "THREADPOOL_SIZE" not in given:
        threadpool_size = max(threadpool_size, slots + SPARE_THREADS)
    elif threadpool_size <= slots:
        raise ConnectionBudgetError(
            f"THREADPOOL_SIZE={threadpool_size} must be larger than the {slots} database "
            "slots of each worker"
        )
    return ServerPlan(workers, pool_size, max_overflow, threadpool_size)


class DatabaseSlots:
    """At most `pool_size + max_overflow` requests use the database at once."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a limiter belongs to the event loop that first uses it.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.total)
        return self._limiter

    def reset(self) -> None:
        self._limiter = None


db_slots = DatabaseSlots(db_slot_count())


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for scripts and the CLI: commits on success, rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
