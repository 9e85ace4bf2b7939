"""An embedded PostgreSQL server (pgserver) for local development and tests.

Used only when `DATABASE_URL` is not set. The server keeps its data in a folder
(git-ignored) and listens on a Unix socket only, so it never collides with a
PostgreSQL server already running on the machine.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)


def start(data_dir: Path, *, throwaway: bool = False) -> Any:
    """Start (or attach to) the embedded server whose data lives in `data_dir`.

    A throwaway server deletes its folder when the last process using it exits.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver  # type: ignore[import-untyped,unused-ignore]

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        logger.info("starting embedded PostgreSQL in %s", data_dir)
        return pgserver.get_server(  # type: ignore[attr-defined,unused-ignore]
            data_dir, cleanup_mode="delete" if throwaway else "stop"
        )


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
