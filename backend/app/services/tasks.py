"""The app's jobs: each task is registered on `app.core.jobs.queue` (see its docstring
for how to add one) and run by `socia worker` (or the worker inside `socia dev`).

- `send_email`: renders and sends one email through the email provider; an SMTP
  failure is retried with backoff (about 5 s, 25 s, 2 min, 10 min, 52 min), then the
  job stays failed. Deferred by `queue_email`, in the transaction that made the link.
- `prune_posters`: every hour, `socia prune`'s work (poster receipts too old to dedupe
  anything, geo cells of long-expired posters).
- `prune_idempotency_keys`: every hour, deletes the stored answers of money-moving
  requests older than `IDEMPOTENCY_KEY_TTL_HOURS` (they are no longer replayed anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from procrastinate import JobContext, RetryStrategy
from sqlmodel import Session

from app.core import jobs
from app.core.config import settings
from app.core.errors import AppError, ServiceUnavailable
from app.crud import idempotency as idempotency_crud
from app.crud import job as job_crud
from app.models.base import utcnow
from app.providers import email as email_provider
from app.services import poster_stats

logger = logging.getLogger(__name__)

#: Retries of a failed send: 5 s, 25 s, 125 s, 625 s, 3125 s after each failure.
EMAIL_RETRY = RetryStrategy(
    max_attempts=5, exponential_wait=5, retry_exceptions={ServiceUnavailable}
)
PRUNE_EXPIRED_CELLS_KEPT = timedelta(days=7)


@jobs.queue.task(name="send_email", retry=EMAIL_RETRY)
def send_email(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render `app/templates/email/{template}.html` with `context` and send it to `to`."""
    email_provider.send_email(to=to, template=template, context=context)


def queue_email(session: Session, *, to: str, template: str, context: dict[str, Any]) -> int:
    """Send an email once the session's transaction commits (never if it rolls back)."""
    return jobs.defer(session, send_email, to=to, template=template, context=context)


@jobs.queue.periodic(cron="17 * * * *")
@jobs.queue.task(name="prune_posters", queueing_lock="prune_posters")
def prune_posters(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Hourly `socia prune` with its defaults (`timestamp`: when it was due)."""
    with jobs.task_session() as session:
        pruned = poster_stats.prune(session, expired_cells_kept=PRUNE_EXPIRED_CELLS_KEPT)
    logger.info(
        "pruned %d poster receipts and %d geo cells of %d expired posters",
        pruned.receipts,
        pruned.cells,
        pruned.posters,
    )


@jobs.queue.periodic(cron="41 * * * *")
@jobs.queue.task(name="prune_idempotency_keys", queueing_lock="prune_idempotency_keys")
def prune_idempotency_keys(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Hourly: forget the Idempotency-Key answers older than the TTL."""
    before = utcnow() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    with jobs.task_session() as session:
        deleted = idempotency_crud.delete_expired(session, before=before)
    logger.info("deleted %d expired idempotency keys", deleted)


# --- failures ---------------------------------------------------------------------------


def describe(exc: BaseException) -> str:
    """One line for an admin: the error and what caused it."""
    text = str(exc.detail) if isinstance(exc, AppError) else str(exc)
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    cause = exc.__cause__
    if cause is not None:
        line += f" ({type(cause).__name__}: {cause})"
    return line


def record_failure(
    session: Session, *, job_id: int, task_name: str, attempt: int, exc: BaseException
) -> None:
    job_crud.record_error(
        session, job_id=job_id, task_name=task_name, attempt=attempt, error=describe(exc)
    )


def record_failures(call_next: Callable[[], Any], context: JobContext, _worker: Any) -> Any:
    """Worker middleware (sync tasks): keep each failed attempt's error in `job_error`,
    in a transaction of its own, then let procrastinate retry or fail the job."""
    try:
        return call_next()
    except Exception as exc:
        job = context.job
        assert job.id is not None
        try:
            with jobs.task_session() as session:
                record_failure(
                    session,
                    job_id=job.id,
                    task_name=job.task_name,
                    attempt=job.attempts + 1,
                    exc=exc,
                )
        except Exception:
            logger.exception("could not record the failure of job %s", job.id)
        raise


#: Middlewares every worker runs its tasks through.
TASK_MIDDLEWARE: list[Any] = [record_failures]
