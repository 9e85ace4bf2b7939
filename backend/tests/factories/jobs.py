"""The job queue in tests: see and run the jobs queued in the test's transaction.

A test's writes are never committed (its transaction rolls back at the end), so a
real worker, on another connection, would never see its jobs. `run_jobs` does what
a worker does, on the test session's own connection, through procrastinate's own
SQL functions (fetch, finish, retry) and the worker's failure middleware:

    resp = client.post("/api/v1/auth/password/forgot", json={"email": ...})
    assert [job.task_name for job in queued_jobs(session)] == ["send_email"]
    run_jobs(session)            # sends it through the email provider
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from procrastinate import JobContext, sql
from procrastinate.jobs import Job
from sqlalchemy import text
from sqlmodel import Session

from app.core import jobs
from app.crud import job as job_crud
from app.services import tasks


@dataclass(frozen=True)
class QueuedJob:
    id: int
    task_name: str
    status: str
    attempts: int
    args: dict[str, Any]
    scheduled_at: datetime | None


def queued_jobs(session: Session, *, task_name: str | None = None) -> list[QueuedJob]:
    """Every job in the table (whatever its status), oldest first."""
    rows = session.execute(
        text(
            "SELECT id, task_name, status::text AS status, attempts, args, scheduled_at "
            "FROM procrastinate_jobs "
            "WHERE CAST(:task AS text) IS NULL OR task_name = :task ORDER BY id"
        ),
        {"task": task_name},
    ).mappings()
    return [QueuedJob(**dict(row)) for row in rows]


def last_error(session: Session, job_id: int) -> str | None:
    row = job_crud.get(session, job_id)
    assert row is not None
    return row.last_error


def make_due(session: Session) -> None:
    """Jobs waiting for a retry are due now (as if their backoff had passed)."""
    session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE status = 'todo'"))


@contextmanager
def _tasks_use(session: Session) -> Iterator[None]:
    @contextmanager
    def opener() -> Iterator[Session]:
        with session.begin_nested():
            yield session

    jobs.set_task_session(opener)
    try:
        yield
    finally:
        jobs.set_task_session(None)


def _query(session: Session, name: str, **arguments: Any) -> list[dict[str, Any]]:
    conn = jobs.driver_connection(session)
    return jobs.connector.execute_query_all_with_connection(conn, sql.queries[name], **arguments)


def run_jobs(session: Session) -> int:
    """Run every due job, as a worker would; returns how many ran (failed ones too).

    A failure goes through the worker's middleware (`job_error`) and the task's retry
    strategy: the job waits for its retry (`make_due` to run it again) or is failed.
    A task's own `jobs.task_session()` is the test session.
    """
    [worker] = _query(session, "register_worker")
    ran = 0
    with _tasks_use(session):
        while True:
            [row] = _query(session, "fetch_job", queues=None, worker_id=worker["worker_id"])
            if row["id"] is None:
                break
            job = Job.from_row(row)
            ran += 1
            _run(session, job)
    _query(session, "unregister_worker", worker_id=worker["worker_id"])
    return ran


def _run(session: Session, job: Job) -> None:
    assert job.id is not None
    task = jobs.queue.tasks[job.task_name]
    context = JobContext(
        app=jobs.queue,
        job=job,
        worker_name="tests",
        start_timestamp=time.time(),
        abort_reason=lambda: None,
    )

    def call() -> Any:
        with session.begin_nested():  # the task's writes go if it fails
            return task(**job.task_kwargs)

    try:
        tasks.record_failures(call, context, None)
    except Exception as exc:
        retry = task.get_retry_exception(exception=exc, job=job)
        if retry is None:
            _query(session, "finish_job", job_id=job.id, status="failed", delete_job=False)
        else:
            decision = retry.retry_decision
            _query(
                session,
                "retry_job",
                job_id=job.id,
                retry_at=decision.retry_at,
                new_priority=decision.priority,
                new_queue_name=decision.queue,
                new_lock=decision.lock,
            )
        return
    _query(
        session,
        "finish_job",
        job_id=job.id,
        status="succeeded",
        delete_job=jobs.DELETE_JOBS == "successful",
    )
