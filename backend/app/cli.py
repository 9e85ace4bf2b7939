"""The `socia` command: run, migrate and seed the backend.

socia dev               API with reload on an embedded PostgreSQL (or DATABASE_URL)
socia serve             production server: several workers, no reload
socia migrate           alembic upgrade head
socia seed              demo data (idempotent)
socia create-superuser  a platform admin
socia openapi           write the OpenAPI spec to a file
socia prune             delete poster data that can no longer matter (idempotent)
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from app.core.config import Settings

app = typer.Typer(
    name="socia",
    help="Socia backend: run the API, migrate and seed the database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
logger = logging.getLogger("socia")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings, or a readable message and exit code 2 when they are wrong."""
    from pydantic import ValidationError

    try:
        from app.core.config import get_settings

        return get_settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        ]
        fail("bad settings (environment or .env):\n" + "\n".join(lines), 2)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use; pass --port to choose another")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


def _database_url() -> str:
    """Resolve the database (starting the embedded one if needed) or exit clearly."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from app.core import db

    try:
        url = db.resolve_database_url()
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        fail(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0]}", 3)
    except Exception as exc:
        fail(f"cannot start the embedded PostgreSQL: {exc}", 3)
    return url


def _migrate(url: str) -> None:
    from sqlalchemy.exc import OperationalError

    from app.core.migrations import upgrade_head

    try:
        upgrade_head(url=url)
    except OperationalError as exc:
        fail(f"migration failed, database unreachable: {exc.orig}", 3)


def _seed_if_empty() -> bool:
    from sqlmodel import func, select

    from app.core.db import session_scope
    from app.models import Venue
    from app.seed import seed_all

    with session_scope() as session:
        if session.exec(select(func.count()).select_from(Venue)).one() > 0:
            return False
        seed_all(session)
    return True


def _ensure_first_superuser() -> None:
    from app.core.db import session_scope
    from app.services import accounts

    cfg = load_settings()
    if cfg.FIRST_SUPERUSER and cfg.FIRST_SUPERUSER_PASSWORD:
        with session_scope() as session:
            accounts.create_first_superuser(
                session,
                email=str(cfg.FIRST_SUPERUSER),
                password=cfg.FIRST_SUPERUSER_PASSWORD.get_secret_value(),
            )


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = True,
    seed: Annotated[bool, typer.Option(help="Load demo data into an empty database")] = True,
) -> None:
    """Start the API for development: database, migrations, demo data, reload."""
    import uvicorn

    cfg = load_settings()  # first: importing app modules reads the settings

    from app.core.config import BACKEND_DIR
    from app.core.logging import configure_logging

    configure_logging(cfg)
    _check_port_free(host, port)
    if cfg.uses_embedded_database:
        typer.echo(f"Starting the embedded PostgreSQL (data in {cfg.EMBEDDED_PG_DIR}) ...")
    url = _database_url()
    typer.echo("Applying migrations ...")
    _migrate(url)
    _ensure_first_superuser()
    if seed and _seed_if_empty():
        typer.echo("Loaded the demo data.")
    # Reloaded workers connect to the server this process started (and stops on Ctrl-C).
    os.environ["DATABASE_URL"] = url
    typer.secho(
        f"Socia API on http://{host}:{port}  (Swagger UI: http://{host}:{port}/docs)",
        fg=typer.colors.GREEN,
    )
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        reload=reload,
        reload_dirs=[str(BACKEND_DIR / "app")] if reload else None,
        log_config=None,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = max(
        2, min(8, (os.cpu_count() or 1) * 2)
    ),
    migrate: Annotated[bool, typer.Option(help="Apply migrations before starting")] = False,
) -> None:
    """Start the production server: several workers, no reload."""
    import uvicorn

    cfg = load_settings()  # first: importing app modules reads the settings

    from app.core.config import DEFAULT_SECRET_KEY
    from app.core.logging import configure_logging

    configure_logging(cfg)
    if cfg.SECRET_KEY.get_secret_value() == DEFAULT_SECRET_KEY:
        fail("refusing to serve with the default SECRET_KEY; set a random one", 2)
    if cfg.FIRST_SUPERUSER_PASSWORD and (
        cfg.FIRST_SUPERUSER_PASSWORD.get_secret_value() == DEFAULT_SECRET_KEY
    ):
        fail("refusing to serve with the default FIRST_SUPERUSER_PASSWORD", 2)
    _check_port_free(host, port)
    url = _database_url()
    if migrate:
        _migrate(url)
    os.environ["DATABASE_URL"] = url
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        # Behind a proxy (TRUSTED_PROXY_HOPS > 0) take the scheme and client from its
        # X-Forwarded-* headers; served directly, never trust what a client sends.
        proxy_headers=cfg.TRUSTED_PROXY_HOPS > 0,
        forwarded_allow_ips="*" if cfg.TRUSTED_PROXY_HOPS > 0 else None,
        log_config=None,
        access_log=not cfg.is_production,
    )


@app.command()
def migrate() -> None:
    """Apply every migration (alembic upgrade head)."""
    load_settings()
    _migrate(_database_url())
    _ensure_first_superuser()
    typer.echo("Database is at the latest migration.")


@app.command()
def seed() -> None:
    """Load the demo data (safe to run again: adds only what is missing)."""
    from app.core.db import session_scope
    from app.seed import seed_all

    load_settings()
    url = _database_url()
    _migrate(url)
    with session_scope() as session:
        seed_all(session)
    typer.echo("Demo data in place.")


@app.command("create-superuser")
def create_superuser(
    email: Annotated[str, typer.Option(prompt=True, help="Email to sign in with")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password"),
    ],
    full_name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Create a platform admin, or promote an existing account."""
    from app.core.db import session_scope
    from app.core.errors import AppError
    from app.services import accounts

    load_settings()
    _migrate(_database_url())
    try:
        with session_scope() as session:
            user = accounts.ensure_superuser(
                session, email=email, password=password, full_name=full_name
            )
            user_id = user.id
    except AppError as exc:
        fail(str(exc.detail), 2)
    typer.echo(f"Superuser {email} ready (id {user_id}).")


@app.command()
def openapi(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")] = Path(
        "openapi.json"
    ),
) -> None:
    """Write the OpenAPI spec (for the generated frontend client)."""
    load_settings()
    from app.main import app as fastapi_app

    spec = fastapi_app.openapi()
    output.write_text(json.dumps(spec, indent=2, sort_keys=False) + "\n")
    typer.echo(f"Wrote {output} ({len(spec.get('paths', {}))} paths).")


@app.command()
def prune(
    expired_days: Annotated[
        int,
        typer.Option(
            min=1, help="Keep the geo cells of posters expired fewer than this many days ago"
        ),
    ] = 7,
) -> None:
    """Delete poster data that can no longer matter (safe to run again, e.g. daily):
    impression/tap receipts too old to dedupe anything, and the geo cells of long-expired
    posters (the posters and their counts stay)."""
    from datetime import timedelta

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.core.db import session_scope
    from app.services import poster_stats

    load_settings()
    _database_url()
    try:
        with session_scope() as session:
            pruned = poster_stats.prune(session, expired_cells_kept=timedelta(days=expired_days))
    except OperationalError as exc:
        fail(f"the database failed: {str(exc.orig).strip().splitlines()[0]}", 3)
    except ProgrammingError as exc:
        problem = str(exc.orig).strip().splitlines()[0]
        fail(f"the database is not migrated ({problem}); run `socia migrate` first")
    typer.echo(
        f"Removed {pruned.receipts} impression/tap receipts received before "
        f"{pruned.receipts_before:%Y-%m-%d %H:%M} UTC."
    )
    typer.echo(
        f"Removed {pruned.cells} geo cells of {pruned.posters} posters expired before "
        f"{pruned.expired_before:%Y-%m-%d %H:%M} UTC."
    )


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
