"""The job queue: procrastinate on the app's own PostgreSQL (no other service).

Work that leaves the machine or can wait (emails, and next payment reconciliation,
hold expiry, refunds) is a *job*: a row in `procrastinate_jobs`, inserted in the
same transaction as the change that causes it. A rolled-back change sends nothing;
a committed one is run by a worker (`socia worker`, or the one inside `socia dev`),
even after a restart. Several workers on several machines share the queue.

Adding a task (in `app/services/tasks.py`, or a `services/<domain>_tasks.py` listed
in `TASK_MODULES`):

    from procrastinate import RetryStrategy

    from app.core import jobs

    @jobs.queue.task(
        name="expire_hold",  # stable: queued rows name their task
        retry=RetryStrategy(max_attempts=5, exponential_wait=4),  # 4 s, 16 s, 64 s, ...
    )
    def expire_hold(*, hold_id: str) -> None:  # keyword arguments, JSON values only
        with jobs.task_session() as session:  # commits when the block ends
            holds_service.expire(session, hold_id=uuid.UUID(hold_id))

and, in the workflow that causes it, before the route commits:

    jobs.defer(session, tasks.expire_hold, hold_id=str(hold.id))

A task must be safe to run twice (a worker that dies mid-job runs it again) and
takes only JSON values (they sit in the table: no secrets beyond what an emailed link
already carries). `RetryStrategy(retry_exceptions={...})` limits retries to errors
worth retrying; any other error fails the job at once. Tests run the jobs queued in
their transaction with `tests.factories.jobs.run_jobs(session)`. Periodic work:
`@jobs.queue.periodic(cron="0 * * * *")` above `@jobs.queue.task(...)`, the function
taking `timestamp: int` first.
A job whose attempts are used up stays `failed`: `socia jobs failed`,
`GET /api/v1/admin/jobs?status=failed`, and `socia jobs retry ID`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, LiteralString

from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from procrastinate.tasks import Task
from procrastinate.worker import Worker
from sqlalchemy import make_url
from sqlmodel import Session

from app.core import db

#: Modules whose import registers tasks on `queue` (imported by every worker).
TASK_MODULES = ["app.services.tasks", "app.services.push_tasks"]


def libpq_url(sqlalchemy_url: str) -> str:
    """The app's `postgresql+psycopg://` URL as a plain libpq one."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Connector(PsycopgConnector):
    """procrastinate's psycopg connector, with two changes.

    - The database is the app's (`DATABASE_URL` or the embedded server), found when
      a worker opens the queue, not at import.
    - A job deferred on an outside connection (the request's own, see `defer`) is
      inserted on that sync psycopg connection even while a worker in the same
      process has the queue open (whose async pool cannot run queries on it).
    """

    def __init__(self, *, max_size: int = 4, **kwargs: Any) -> None:
        super().__init__(min_size=1, max_size=max_size, **kwargs)
        self._on_connection = SyncPsycopgConnector()  # never opened: no pool of its own

    async def open_async(self, pool: Any = None) -> None:
        if pool is None and "conninfo" not in self._pool_args:
            self._pool_args["conninfo"] = libpq_url(db.resolve_database_url())
        await super().open_async(pool)

    def set_pool_size(self, max_size: int) -> None:
        self._pool_args["max_size"] = max_size

    def execute_query_one_with_connection(
        self, connection: Any, query: LiteralString, **arguments: Any
    ) -> dict[str, Any]:
        return self._on_connection.execute_query_one_with_connection(connection, query, **arguments)

    def execute_query_all_with_connection(
        self, connection: Any, query: LiteralString, **arguments: Any
    ) -> list[dict[str, Any]]:
        return self._on_connection.execute_query_all_with_connection(connection, query, **arguments)


connector = Connector()
# A finished job's arguments (emailed links) do not stay in the table; failed jobs
# stay, to be listed and retried.
DELETE_JOBS = "successful"

#: The app's queue: register tasks with `@queue.task(...)`, run workers with `socia worker`.
queue = App(
    connector=connector,
    import_paths=TASK_MODULES,
    worker_defaults={"delete_jobs": DELETE_JOBS},
)


def driver_connection(session: Session) -> Any:
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def defer(session: Session, task: Task[Any, Any, Any], /, **kwargs: Any) -> int:
    """Queue `task(**kwargs)` in the session's transaction; returns the job id.

    Nothing runs until the transaction commits (a rollback removes the job with the
    rest), and then a worker runs it even if this process stops right after.
    """
    job_id: int = task.configure(connection=driver_connection(session)).defer(**kwargs)
    return job_id


# --- database sessions for tasks --------------------------------------------------------

SessionOpener = Callable[[], AbstractContextManager[Session]]
_session_opener: SessionOpener | None = None


def task_session() -> AbstractContextManager[Session]:
    """A session for a task's own work: commits when the block ends, rolls back on error.

    Tests point it at their own transaction with `set_task_session`.
    """
    return (_session_opener or db.session_scope)()


def set_task_session(opener: SessionOpener | None) -> None:
    global _session_opener
    _session_opener = opener


# --- workers ------------------------------------------------------------------------------


def worker_pool_size(concurrency: int) -> int:
    """Connections a worker of `concurrency` parallel jobs holds at most (besides the
    sessions its tasks open from the app's engine)."""
    return concurrency + 2  # + the LISTEN connection and the fetch/heartbeat queries


def run_worker(*, concurrency: int, name: str, task_middleware: list[Any]) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM (it finishes running jobs)."""
    connector.set_pool_size(worker_pool_size(concurrency))
    queue.run_worker(concurrency=concurrency, name=name, task_middleware=task_middleware)


class InProcessWorker:
    """A worker on its own event loop in a thread, beside a server (`socia dev`)."""

    def __init__(self, *, name: str, task_middleware: list[Any]) -> None:
        self.name = name
        self.task_middleware = task_middleware
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: Worker | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"jobs-{name}", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> InProcessWorker:
        self._thread.start()
        self._ready.wait()
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            connector.set_pool_size(worker_pool_size(1))
            async with queue.open_async():
                queue.perform_import_paths()  # type: ignore[no-untyped-call]
                self._worker = Worker(
                    app=queue,
                    name=self.name,
                    concurrency=1,
                    delete_jobs=DELETE_JOBS,
                    install_signal_handlers=False,
                    task_middleware=self.task_middleware,
                )
                self._ready.set()
                await self._worker.run()  # type: ignore[no-untyped-call]
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self._ready.set()

    def stop(self, timeout: float = 30) -> None:
        """Ask the worker to stop after its current job, and wait for it."""
        if self._loop is not None and self._worker is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._worker.stop)
        self._thread.join(timeout)
