"""Queries on the job queue: procrastinate's `procrastinate_jobs` and our `job_error`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.core.errors import JobNotFailed, NotFound
from app.models.job import ERROR_MAX_LENGTH, JobError


@dataclass(frozen=True)
class JobRow:
    id: int
    task_name: str
    queue_name: str
    status: str
    attempts: int
    scheduled_at: datetime | None
    last_error: str | None
    last_failed_at: datetime | None


_COLUMNS = """
SELECT j.id, j.task_name, j.queue_name, j.status::text AS status, j.attempts,
       j.scheduled_at, e.error AS last_error, e.failed_at AS last_failed_at
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT error, failed_at FROM job_error
    WHERE job_error.job_id = j.id ORDER BY failed_at DESC, attempt DESC LIMIT 1
) e ON true
"""
_PAGE = text(
    _COLUMNS
    + """
WHERE j.status = CAST(:status AS procrastinate_job_status)
ORDER BY j.id DESC LIMIT :limit OFFSET :offset
"""
)
_COUNT = text(
    "SELECT count(*) FROM procrastinate_jobs "
    "WHERE status = CAST(:status AS procrastinate_job_status)"
)
_ONE = text(_COLUMNS + "WHERE j.id = :id")


def list_jobs(
    session: Session, *, status: str, limit: int, offset: int
) -> tuple[list[JobRow], int]:
    """Jobs in one status, newest first, with their last recorded error."""
    params: dict[str, Any] = {"status": status, "limit": limit, "offset": offset}
    rows = session.execute(_PAGE, params).mappings().all()
    total = session.execute(_COUNT, params).scalar_one()
    return [JobRow(**dict(row)) for row in rows], int(total)


def get(session: Session, job_id: int) -> JobRow | None:
    row = session.execute(_ONE, {"id": job_id}).mappings().one_or_none()
    return None if row is None else JobRow(**dict(row))


def record_error(
    session: Session, *, job_id: int, task_name: str, attempt: int, error: str
) -> JobError:
    row = JobError(
        job_id=job_id, task_name=task_name, attempt=attempt, error=error[:ERROR_MAX_LENGTH]
    )
    session.add(row)
    session.flush()
    return row


def retry_failed(session: Session, *, job_id: int) -> JobRow:
    """Put a failed job back in the queue, due now (procrastinate's own retry)."""
    status = session.execute(
        text("SELECT status::text FROM procrastinate_jobs WHERE id = :id FOR UPDATE"),
        {"id": job_id},
    ).scalar_one_or_none()
    if status is None:
        raise NotFound("job")
    if status != "failed":
        raise JobNotFailed()
    session.execute(
        text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"), {"id": job_id}
    )
    row = get(session, job_id)
    assert row is not None
    return row
