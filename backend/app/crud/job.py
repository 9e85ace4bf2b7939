"""Queries on the job queue: procrastinate's `procrastinate_jobs` and our `job_error`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text
from sqlmodel import Session

from app.core.errors import JobNotFailed, NotFound
from app.crud.common import paginate
from app.models.job import ERROR_MAX_LENGTH, JobError
from app.schema.common import Page, PageParams


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


_FROM = """procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT error, failed_at FROM job_error
    WHERE job_error.job_id = j.id ORDER BY failed_at DESC, attempt DESC LIMIT 1
) e ON true"""
_COLUMNS: list[sa.Label[Any]] = [
    sa.literal_column("j.id").label("id"),
    sa.literal_column("j.task_name").label("task_name"),
    sa.literal_column("j.queue_name").label("queue_name"),
    sa.literal_column("j.status::text").label("status"),
    sa.literal_column("j.attempts").label("attempts"),
    sa.literal_column("j.scheduled_at").label("scheduled_at"),
    sa.literal_column("e.error").label("last_error"),
    sa.literal_column("e.failed_at").label("last_failed_at"),
]
_FIELDS = [column.name for column in _COLUMNS]


def _jobs() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).select_from(sa.text(_FROM))


def _row(row: sa.Row[Any]) -> JobRow:
    return JobRow(**{name: row._mapping[name] for name in _FIELDS})


def list_jobs(session: Session, *, status: str, page: PageParams) -> Page[JobRow]:
    """Jobs in one status, newest first, with their last recorded error."""
    statement = (
        _jobs()
        .where(
            sa.text("j.status = CAST(:status AS procrastinate_job_status)").bindparams(
                status=status
            )
        )
        .order_by(sa.literal_column("j.id").desc())
    )
    return paginate(session, statement, page=page, item=_row)


def get(session: Session, job_id: int) -> JobRow | None:
    statement = _jobs().where(sa.literal_column("j.id") == job_id)
    row = session.execute(statement).one_or_none()
    return None if row is None else _row(row)


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


def prune(session: Session, *, succeeded_before: datetime, failed_before: datetime) -> int:
    """Delete jobs finished long ago (succeeded before `succeeded_before`; failed or
    cancelled before `failed_before`, once nobody needs to retry them), with their
    events and recorded errors. Returns how many jobs went."""
    deleted = session.execute(
        sa.text(
            """
            WITH finished AS (
                SELECT j.id, j.status, max(e.at) AS finished_at
                FROM procrastinate_jobs j
                JOIN procrastinate_events e ON e.job_id = j.id
                WHERE j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
                GROUP BY j.id, j.status
            ), gone AS (
                DELETE FROM procrastinate_jobs j
                USING finished f
                WHERE j.id = f.id AND (
                    (f.status = 'succeeded' AND f.finished_at < :succeeded_before)
                    OR (f.status <> 'succeeded' AND f.finished_at < :failed_before)
                )
                RETURNING j.id
            ), errors AS (
                DELETE FROM job_error WHERE job_id IN (SELECT id FROM gone)
            )
            SELECT count(*) FROM gone
            """
        ),
        {"succeeded_before": succeeded_before, "failed_before": failed_before},
    ).scalar_one()
    return int(deleted)
