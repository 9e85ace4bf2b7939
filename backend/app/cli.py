"""The `socia` command: run, migrate and seed the backend.

socia dev               API with reload on an embedded PostgreSQL (or DATABASE_URL)
socia serve             production server: several workers, no reload
socia migrate           alembic upgrade head
socia seed              demo data (idempotent)
socia create-superuser  a platform admin
socia openapi           write the OpenAPI spec to a file
socia prune             delete poster data that can no longer matter (idempotent; also
                        an hourly job)
socia worker            run the job queue's worker (emails, periodic jobs)
socia jobs failed       jobs whose retries are used up, with their last error
socia jobs retry ID     put a failed job back in the queue
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlmodel import Session

    from app.core.config import Settings
    from app.core.db import ServerPlan
    from app.core.jobs import InProcessWorker

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


class _AlembicChatter(logging.Filter):
    """Drops Alembic's per-run preamble ("Context impl PostgresqlImpl.", ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl", "Will assume"))


def _migrate(url: str, *, quiet: bool = False) -> None:
    """Apply the migrations. Alembic's plugin and preamble lines are dropped; `quiet`
    (`socia dev`) also drops the line per migration unless LOG_LEVEL is DEBUG."""
    from sqlalchemy.exc import OperationalError

    alembic_log = logging.getLogger("alembic")
    migration_log = logging.getLogger("alembic.runtime.migration")
    plugins_log = logging.getLogger("alembic.runtime.plugins")
    chatter = _AlembicChatter()
    saved = alembic_log.level, plugins_log.level
    if quiet and not logging.getLogger().isEnabledFor(logging.DEBUG):
        alembic_log.setLevel(logging.WARNING)
    plugins_log.setLevel(logging.WARNING)
    migration_log.addFilter(chatter)
    try:
        from app.core.migrations import upgrade_head  # Alembic's plugins log on import

        upgrade_head(url=url)
    except OperationalError as exc:
        fail(f"migration failed, database unreachable: {exc.orig}", 3)
    finally:
        migration_log.removeFilter(chatter)
        alembic_log.setLevel(saved[0])
        plugins_log.setLevel(saved[1])


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


_LOOPBACK_OR_ANY = {"", "127.0.0.1", "localhost", "0.0.0.0", "::", "::1"}  # noqa: S104


def dev_public_base_url(cfg: Settings, *, host: str, port: int) -> str | None:
    """The base URL `socia dev` gives QR codes and emailed links: this server's port
    (`http://localhost:PORT`), unless `PUBLIC_BASE_URL` is set explicitly (e.g. to the
    machine's address on the network, to try the codes with a phone)."""
    if "PUBLIC_BASE_URL" in cfg.model_fields_set:
        return None
    name = "localhost" if host in _LOOPBACK_OR_ANY else host
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}"


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = True,
    seed: Annotated[bool, typer.Option(help="Load demo data into an empty database")] = True,
    worker: Annotated[
        bool, typer.Option(help="Run a job worker beside the API (DEV_RUNS_WORKER)")
    ] = True,
) -> None:
    """Start the API for development: database, migrations, demo data, reload, and a
    job worker."""
    import uvicorn

    cfg = load_settings()  # first: importing app modules reads the settings

    from app.core.config import BACKEND_DIR
    from app.core.logging import configure_logging

    configure_logging(cfg)
    _check_port_free(host, port)
    base_url = dev_public_base_url(cfg, host=host, port=port)
    if base_url is not None:
        from pydantic import HttpUrl

        # Before seeding (demo images use it), and for the reloaded worker processes.
        cfg.PUBLIC_BASE_URL = HttpUrl(base_url)
        os.environ["PUBLIC_BASE_URL"] = base_url
    if cfg.uses_embedded_database:
        from app.core.embedded_pg import POSTGRES_MAJOR

        typer.echo(
            f"Starting the embedded PostgreSQL {POSTGRES_MAJOR} (data in {cfg.EMBEDDED_PG_DIR}) ..."
        )
    url = _database_url()
    typer.echo("Applying migrations ...")
    _migrate(url, quiet=True)
    _ensure_first_superuser()
    if seed and _seed_if_empty():
        typer.echo("Loaded the demo data.")
    # This process holds the embedded server's handle: with reload it stays the
    # supervisor while workers come and go, and stops the server when it exits (Ctrl-C).
    # Workers connect to the server by its URL and never start one themselves.
    os.environ["DATABASE_URL"] = url
    _close_connections()
    job_worker = _start_dev_worker() if worker and cfg.DEV_RUNS_WORKER else None
    typer.secho(
        f"Socia API on http://{host}:{port}  (Swagger UI: http://{host}:{port}/docs)",
        fg=typer.colors.GREEN,
    )
    typer.echo(
        f"Table codes and emailed links use {str(cfg.PUBLIC_BASE_URL).rstrip('/')} "
        "(set PUBLIC_BASE_URL to change it)"
    )
    try:
        uvicorn.run(
            "app.cli:dev_app" if reload else "app.main:app",
            factory=reload,
            host=host,
            port=port,
            reload=reload,
            reload_dirs=[str(BACKEND_DIR / "app")] if reload else None,
            log_config=None,
        )
    finally:
        if job_worker is not None:
            typer.echo("Stopping the job worker ...")
            job_worker.stop()


def _start_dev_worker() -> InProcessWorker:
    """One job worker in a thread of this process (not reloaded with the code)."""
    from app.core import jobs
    from app.services import tasks

    job_worker = jobs.InProcessWorker(name="dev", task_middleware=tasks.TASK_MIDDLEWARE).start()
    if job_worker.error is not None:
        fail(f"the job worker could not start: {job_worker.error}", 3)
    typer.echo("Job worker running (emails and periodic jobs).")
    return job_worker


def _close_connections() -> None:
    """Close the connections this process opened to check, migrate and seed the
    database: server workers open their own, and a supervisor holds none."""
    from app.core import db

    db.get_engine().dispose()
    db.set_engine(None)


def dev_app() -> FastAPI:
    """The app of a `socia dev --reload` worker, which exits when its supervisor dies.

    The reloader runs each worker as a child process; after `kill -9` of `socia dev`
    the worker would otherwise keep serving (and keep the port) on its own.
    """
    import multiprocessing
    import signal
    import threading
    from multiprocessing.connection import wait

    from app.main import app as fastapi_app

    supervisor = multiprocessing.parent_process()
    if supervisor is not None:
        sentinel = supervisor.sentinel

        def watch() -> None:
            wait([sentinel])  # readable once the supervisor is gone
            logger.warning("socia dev exited; stopping its worker")
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="socia-dev-supervisor", daemon=True).start()
    return fastapi_app


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes [default: 2 per CPU, 2 to 8, at most DB_CONNECTION_BUDGET / 5]",
            show_default=False,
        ),
    ] = None,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before starting")] = False,
) -> None:
    """Start the production server: several workers, no reload."""
    import uvicorn

    cfg = load_settings()  # first: importing app modules reads the settings

    from app.core.config import is_placeholder_secret
    from app.core.logging import configure_logging

    configure_logging(cfg)
    if is_placeholder_secret(cfg.SECRET_KEY.get_secret_value()):
        fail("refusing to serve with the default SECRET_KEY; set a random one", 2)
    if cfg.FIRST_SUPERUSER_PASSWORD and (
        is_placeholder_secret(cfg.FIRST_SUPERUSER_PASSWORD.get_secret_value())
    ):
        fail("refusing to serve with the default FIRST_SUPERUSER_PASSWORD", 2)
    _check_port_free(host, port)
    plan = _plan_server(cfg, workers)
    url = _database_url()
    if migrate:
        _migrate(url)
    os.environ["DATABASE_URL"] = url
    _close_connections()
    logger.info(
        "%d workers x (pool %d + overflow %d + %d listener) = %d database connections "
        "(DB_CONNECTION_BUDGET=%d), %d threads each",
        plan.workers,
        plan.pool_size,
        plan.max_overflow,
        plan.listener_connections,
        plan.connections,
        cfg.DB_CONNECTION_BUDGET,
        plan.threadpool_size,
    )
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=plan.workers,
        # Behind a proxy (TRUSTED_PROXY_HOPS > 0) take the scheme and client from its
        # X-Forwarded-* headers; served directly, never trust what a client sends.
        proxy_headers=cfg.TRUSTED_PROXY_HOPS > 0,
        forwarded_allow_ips="*" if cfg.TRUSTED_PROXY_HOPS > 0 else None,
        log_config=None,
        access_log=not cfg.is_production,
    )


def _plan_server(cfg: Settings, workers: int | None) -> ServerPlan:
    """Share the connection budget between the workers, and hand each worker process
    (and this one, which serves itself when there is a single worker) its share."""
    from app.core import db

    try:
        plan = db.plan_server(cfg, workers=workers, cpu_count=os.cpu_count())
    except db.ConnectionBudgetError as exc:
        fail(str(exc), 2)
    os.environ.update(plan.environment())
    cfg.DB_POOL_SIZE = plan.pool_size
    cfg.DB_MAX_OVERFLOW = plan.max_overflow
    cfg.THREADPOOL_SIZE = plan.threadpool_size
    db.db_slots.total = plan.connections_per_worker
    db.db_slots.reset()
    return plan


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


@app.command("worker")
def run_worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=32, help="Jobs run at once [default: JOB_WORKER_CONCURRENCY]"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name in the logs [default: host-pid]")] = None,
) -> None:
    """Run a job worker until SIGINT/SIGTERM (running jobs finish first). Start as many
    as needed, on as many machines: they share the queue in the database."""
    cfg = load_settings()

    from app.core import jobs
    from app.core.logging import configure_logging
    from app.services import tasks

    configure_logging(cfg)
    os.environ["DATABASE_URL"] = _database_url()
    size = concurrency or cfg.JOB_WORKER_CONCURRENCY
    label = name or f"{socket.gethostname()}-{os.getpid()}"
    typer.echo(f"Job worker {label} running {size} job(s) at once; Ctrl-C stops it.")
    jobs.run_worker(concurrency=size, name=label, task_middleware=tasks.TASK_MIDDLEWARE)


jobs_app = typer.Typer(help="The job queue: failed jobs and retries.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


def _queue_session() -> Iterator[Session]:
    """A session for the queue's tables, or a clear exit when the database is not ready."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.core.db import session_scope

    load_settings()
    _database_url()
    try:
        with session_scope() as session:
            yield session
    except OperationalError as exc:
        fail(f"the database failed: {str(exc.orig).strip().splitlines()[0]}", 3)
    except ProgrammingError as exc:
        problem = str(exc.orig).strip().splitlines()[0]
        fail(f"the database is not migrated ({problem}); run `socia migrate` first")


@jobs_app.command("failed")
def jobs_failed(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Newest first, at most")] = 50,
) -> None:
    """Jobs whose attempts are used up: id, task, attempts, last error and when."""
    from app.crud import job as job_crud
    from app.schema.common import PageParams

    for session in _queue_session():
        found = job_crud.list_jobs(session, status="failed", page=PageParams(limit=limit))
    rows, total = found.items, found.total
    if not rows:
        typer.echo("No failed jobs.")
        return
    for row in rows:
        when = f"{row.last_failed_at:%Y-%m-%d %H:%M:%S} UTC" if row.last_failed_at else "-"
        typer.echo(
            f"{row.id}  {row.task_name}  attempts={row.attempts}  {when}  "
            f"{row.last_error or '(no error recorded)'}"
        )
    typer.echo(f"{total} failed job(s); `socia jobs retry ID` runs one again.")


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[int, typer.Argument(help="A failed job's id")]) -> None:
    """Put a failed job back in the queue, due now."""
    from app.core.errors import AppError
    from app.crud import job as job_crud

    try:
        for session in _queue_session():
            row = job_crud.retry_failed(session, job_id=job_id)
    except AppError as exc:
        fail(str(exc.detail), 2)
    typer.echo(f"Job {row.id} ({row.task_name}) is queued again.")


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
