"""The app's jobs: each task is registered on `app.core.jobs.queue` (see its docstring
for how to add one) and run by `socia worker` (or the worker inside `socia dev`).

- `send_email`: renders and sends one email through the email provider; an SMTP
  failure is retried with backoff (about 5 s, 25 s, 2 min, 10 min, 52 min), then the
  job stays failed. Deferred by `queue_email`, in the transaction that made the link.
- `prune_posters`: every hour, `socia prune`'s work (poster receipts too old to dedupe
  anything, geo cells of long-expired posters).
- `prune_idempotency_keys`: every hour, deletes the stored answers of money-moving
  requests older than `IDEMPOTENCY_KEY_TTL_HOURS` (they are no longer replayed anyway).
- `prune_jobs`: every day, deletes jobs that succeeded more than a week ago and jobs
  that failed more than 30 days ago, with their events and recorded errors.
- `send_refund`: one pending refund to the gateway; transient failures retried.
- `deliver_test_webhook`: the test gateway's signed webhook, to our webhook handler.
- `reconcile_payments`, `expire_holds`: every minute (pending payments asked at the
  gateway; holds past their time marked expired).
- `reconcile_refunds`: every 5 minutes, refunds pending too long looked up at the
  gateway (a lost webhook, a send job that gave up) and settled or sent.
- `refund_cancelled_event`: a cancelled event's confirmed bookings refunded in full.
- `expire_bill_shares`: every minute, pending bill shares past their time marked
  expired (what is left to pay already ignores them).
- `expire_unpaid_orders`: every minute, prepaid orders not paid in time are abandoned.
- `expire_wallet_spends`: every minute, wallet spends still waiting for the group
  admin's approval past their time are released (the amount back in the wallet; what
  they were for not paid).
- `prune_live_events`: every hour, deletes live events older than
  `LIVE_EVENT_RETENTION_HOURS` (a stream cannot resume that far back).
- `send_push` lives in `app.services.push_tasks` (deferred by `app.services.notify`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from procrastinate import JobContext, RetryStrategy
from sqlalchemy import exc as sa_exc
from sqlmodel import Session

from app.core import jobs
from app.core.config import settings
from app.core.errors import AppError, ServiceUnavailable
from app.crud import idempotency as idempotency_crud
from app.crud import job as job_crud
from app.crud import live as live_crud
from app.models.base import utcnow
from app.providers import email as email_provider
from app.services import bills, bookings, orders, payments, poster_stats, wallets

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


#: How long finished jobs stay visible: succeeded ones for a week, failed ones (listed
#: by `socia jobs failed` for someone to look at or retry) for 30 days.
JOBS_SUCCEEDED_KEPT = timedelta(days=7)
JOBS_FAILED_KEPT = timedelta(days=30)


@jobs.queue.periodic(cron="23 3 * * *")
@jobs.queue.task(name="prune_jobs", queueing_lock="prune_jobs")
def prune_jobs(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Daily: the queue forgets jobs finished long ago, and their errors."""
    now = utcnow()
    with jobs.task_session() as session:
        deleted = job_crud.prune(
            session,
            succeeded_before=now - JOBS_SUCCEEDED_KEPT,
            failed_before=now - JOBS_FAILED_KEPT,
        )
    logger.info("pruned %d finished jobs", deleted)


@jobs.queue.periodic(cron="29 * * * *")
@jobs.queue.task(name="prune_live_events", queueing_lock="prune_live_events")
def prune_live_events(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Hourly: forget live events older than LIVE_EVENT_RETENTION_HOURS."""
    before = utcnow() - timedelta(hours=settings.LIVE_EVENT_RETENTION_HOURS)
    with jobs.task_session() as session:
        deleted = live_crud.prune(session, before=before)
    logger.info("deleted %d live events older than %s", deleted, before.isoformat())


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


# --- payments and bookings --------------------------------------------------------------

#: A refund the gateway did not answer: again after about 5 s, 25 s, 2 min, 10 min,
#: 52 min, 4 h (the job then stays failed; `socia jobs retry` sends it again, looking
#: it up at the gateway first).
REFUND_RETRY = RetryStrategy(
    max_attempts=7, exponential_wait=5, retry_exceptions={payments.RefundNotSent}
)
#: A webhook delivery of the test gateway that our handler could not take (the
#: database was busy): delivered again, as a real gateway does.
WEBHOOK_RETRY = RetryStrategy(
    max_attempts=5, exponential_wait=2, retry_exceptions={sa_exc.OperationalError}
)


@jobs.queue.task(name="send_refund", retry=REFUND_RETRY)
def send_refund(*, refund_id: str) -> None:
    """Send one pending refund to the gateway (looked up there first: never twice)."""
    payments.send_refund(jobs.task_session, refund_id=uuid.UUID(refund_id))


@jobs.queue.task(name="deliver_test_webhook", retry=WEBHOOK_RETRY)
def deliver_test_webhook(*, body: str, headers: dict[str, str]) -> None:
    """The test gateway's webhook, handed to the same function the webhook route calls."""
    with jobs.task_session() as session:
        payments.handle_webhook(session, provider_name="test", body=body.encode(), headers=headers)


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name="reconcile_payments", queueing_lock="reconcile_payments")
def reconcile_payments(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every minute: ask the gateway about payments still pending after the delay."""
    with jobs.task_session() as session:
        due = payments.due_for_reconcile(session)
    for payment_id in due:
        try:
            with jobs.task_session() as session:
                payments.reconcile(session, payment_id=payment_id)
        except Exception:
            logger.exception("could not reconcile payment %s", payment_id)


@jobs.queue.periodic(cron="*/5 * * * *")
@jobs.queue.task(name="reconcile_refunds", queueing_lock="reconcile_refunds")
def reconcile_refunds(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every 5 minutes: refunds still pending after the delay are looked up at the
    gateway (and sent if it has none by our reference), so a lost refund webhook or a
    send job that gave up never leaves money owed."""
    with jobs.task_session() as session:
        due = payments.due_refunds(session)
    for refund_id in due:
        try:
            payments.send_refund(jobs.task_session, refund_id=refund_id)
        except payments.RefundNotSent as exc:
            logger.info("refund %s still not settled: %s", refund_id, exc)
        except Exception:
            logger.exception("could not reconcile refund %s", refund_id)


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name="expire_holds", queueing_lock="expire_holds")
def expire_holds(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every minute: held bookings past their hold become expired (capacity already
    ignores them)."""
    with jobs.task_session() as session:
        expired = bookings.expire_holds(session)
    if expired:
        logger.info("%d booking holds expired", expired)


@jobs.queue.task(
    name="refund_cancelled_event", retry=RetryStrategy(max_attempts=5, exponential_wait=5)
)
def refund_cancelled_event(*, event_id: str) -> None:
    """Cancel and refund in full every confirmed booking of a cancelled event, one
    booking per transaction: run again (or resumed after a crash), it skips the done ones."""
    done = bookings.refund_cancelled_event(jobs.task_session, event_id=uuid.UUID(event_id))
    logger.info("event %s: %d bookings cancelled and refunded", event_id, done)


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name="expire_bill_shares", queueing_lock="expire_bill_shares")
def expire_bill_shares(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every minute: pending shares of bills past their time become expired (what is
    left to pay already ignores them)."""
    with jobs.task_session() as session:
        expired = bills.expire_shares(session)
    if expired:
        logger.info("%d bill shares expired", expired)


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name="expire_wallet_spends", queueing_lock="expire_wallet_spends")
def expire_wallet_spends(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every minute: spends waiting for the group admin's approval past their time are
    released (the held amount back in the wallet)."""
    with jobs.task_session() as session:
        done = wallets.expire_due(session)
    if done:
        logger.info("%d waiting wallet spends expired", done)


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name="expire_unpaid_orders", queueing_lock="expire_unpaid_orders")
def expire_unpaid_orders(timestamp: int) -> None:  # noqa: ARG001 (passed by procrastinate)
    """Every minute: prepaid orders not paid within `ORDER_PAYMENT_MINUTES` are abandoned."""
    with jobs.task_session() as session:
        expired = orders.expire_unpaid(session)
    if expired:
        logger.info("%d unpaid orders abandoned", expired)
