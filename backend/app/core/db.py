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
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


def make_engine(url: str, cfg: Settings = settings) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if cfg.DB_STATEMENT_TIMEOUT_MS:
        connect_args["options"] = f"-c statement_timeout={cfg.DB_STATEMENT_TIMEOUT_MS}"
    engine = create_engine(
        url,
        pool_size=cfg.DB_POOL_SIZE,
        max_overflow=cfg.DB_MAX_OVERFLOW,
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
