"""The job queue: deferral in the caller's transaction, running, retries, periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from app.core import jobs
from app.crud import job as job_crud
from app.models.base import utcnow
from app.models.poster import PosterCell
from app.providers.email import EmailMessage
from app.services import auth as auth_service
from app.services import tasks
from tests.factories import make_user, make_venue
from tests.factories.jobs import last_error, make_due, queued_jobs, run_jobs
from tests.factories.posters import make_poster


def test_a_rolled_back_change_queues_nothing(
    session: Session, mail_outbox: list[EmailMessage]
) -> None:
    savepoint = session.begin_nested()
    user = make_user(session, email_verified_at=None)
    auth_service.deliver(session, auth_service.verification_email(session, user=user))
    assert [job.task_name for job in queued_jobs(session)] == ["send_email"]
    savepoint.rollback()
    assert queued_jobs(session) == []
    assert mail_outbox == []


def test_a_committed_change_leaves_a_job_that_sends_the_email(
    session: Session, mail_outbox: list[EmailMessage]
) -> None:
    with session.begin_nested():
        user = make_user(session, email="link@example.com", email_verified_at=None)
        auth_service.deliver(session, auth_service.verification_email(session, user=user))
    [job] = queued_jobs(session)
    assert (job.task_name, job.status, job.args["to"]) == ("send_email", "todo", "link@example.com")
    assert job.args["template"] == "verify_email"
    assert run_jobs(session) == 1
    [message] = mail_outbox
    assert message.to == "link@example.com"
    assert "verify-email?token=" in str(message.meta["link"])
    assert queued_jobs(session) == []  # done jobs are deleted (their links with them)


def test_a_failing_send_is_retried_with_growing_waits_then_stays_failed(
    session: Session, smtp_down: None
) -> None:
    tasks.queue_email(session, to="x@example.com", template="verify_email", context={})
    waits = []
    for _ in range(6):
        before = utcnow()
        assert run_jobs(session) == 1
        [job] = queued_jobs(session)
        if job.scheduled_at is not None:
            waits.append(job.scheduled_at - before)
        make_due(session)
    assert (job.status, job.attempts) == ("failed", 6)
    assert [round(w.total_seconds() / 5) * 5 for w in waits] == [5, 25, 125, 625, 3125]
    assert "ConnectionRefusedError" in (last_error(session, job.id) or "")


def test_prune_posters_runs_hourly_and_prunes(session: Session) -> None:
    periodic = {p.task.name: p.cron for p in jobs.queue.periodic_registry.periodic_tasks.values()}
    assert periodic["prune_posters"] == "17 * * * *"
    venue = make_venue(session, owner=make_user(session))
    poster = make_poster(
        session,
        venue=venue,
        starts_at=utcnow() - timedelta(days=40),
        expires_at=utcnow() - timedelta(days=30),
    )
    cells = (
        select(func.count()).select_from(PosterCell).where(col(PosterCell.poster_id) == poster.id)
    )
    assert session.exec(cells).one() > 0
    jobs.defer(session, tasks.prune_posters, timestamp=int(utcnow().timestamp()))
    assert run_jobs(session) == 1
    assert session.exec(cells).one() == 0


def _finished_job(session: Session, *, status: str, days_ago: int) -> int:
    job_id = tasks.queue_email(session, to="old@example.com", template="verify_email", context={})
    session.execute(
        text("UPDATE procrastinate_jobs SET status = :status WHERE id = :id"),
        {"status": status, "id": job_id},
    )
    session.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - make_interval(days => :d)"
            " WHERE job_id = :id"
        ),
        {"d": days_ago, "id": job_id},
    )
    return job_id


def test_prune_jobs_forgets_long_finished_jobs_and_their_errors(session: Session) -> None:
    periodic = {p.task.name: p.cron for p in jobs.queue.periodic_registry.periodic_tasks.values()}
    assert periodic["prune_jobs"] == "23 3 * * *"
    old_failure = _finished_job(session, status="failed", days_ago=31)
    recent_failure = _finished_job(session, status="failed", days_ago=3)
    old_success = _finished_job(session, status="succeeded", days_ago=8)
    recent_success = _finished_job(session, status="succeeded", days_ago=1)
    waiting = tasks.queue_email(session, to="new@example.com", template="verify_email", context={})
    session.execute(  # not due yet: stays todo
        text(
            "UPDATE procrastinate_jobs SET scheduled_at = now() + interval '1 day' WHERE id = :id"
        ),
        {"id": waiting},
    )
    job_crud.record_error(session, job_id=old_failure, task_name="send_email", attempt=1, error="x")
    jobs.defer(session, tasks.prune_jobs, timestamp=int(utcnow().timestamp()))
    assert run_jobs(session) == 1
    left = set(session.execute(text("SELECT id FROM procrastinate_jobs")).scalars())
    assert {recent_failure, recent_success, waiting} <= left
    assert not {old_failure, old_success} & left
    errors = session.execute(
        text("SELECT count(*) FROM job_error WHERE job_id = :id"), {"id": old_failure}
    ).scalar_one()
    assert errors == 0
