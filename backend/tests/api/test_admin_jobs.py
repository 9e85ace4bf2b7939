"""Platform admin: /admin/jobs (jobs of the queue by status, retry a failed one)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from app.providers.email import EmailMessage
from app.services import tasks
from tests.factories import auth_headers, make_consumer, make_user
from tests.factories.identity import API
from tests.factories.jobs import queued_jobs, run_jobs
from tests.utils import assert_error

JOBS = f"{API}/admin/jobs"


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, email="root@example.com", is_superuser=True)


def failed_email_job(session: Session, to: str = "someone@example.com") -> int:
    """A job that fails at once: a template that does not exist is not retried."""
    job_id = tasks.queue_email(session, to=to, template="no_such_template", context={})
    run_jobs(session)
    return job_id


@pytest.mark.parametrize(("method", "path"), [("GET", ""), ("POST", "/{id}/retry")])
def test_only_platform_admins_get_in(
    client: TestClient, session: Session, admin: User, method: str, path: str
) -> None:
    url = JOBS + path.format(id=failed_email_job(session))
    assert_error(client.request(method, url), 401, "not_authenticated")
    assert_error(client.request(method, url, headers=auth_headers(make_consumer(session))), 403)
    assert_error(client.request(method, url, headers=auth_headers(make_user(session))), 403)
    assert client.request(method, url, headers=auth_headers(admin)).status_code == 200


def test_failed_jobs_are_listed_with_their_last_error_newest_first(
    client: TestClient, session: Session, admin: User, mail_outbox: list[EmailMessage]
) -> None:
    first = failed_email_job(session, "a@example.com")
    second = failed_email_job(session, "b@example.com")
    tasks.queue_email(session, to="c@example.com", template="verify_email", context={})
    resp = client.get(JOBS, headers=auth_headers(admin), params={"limit": 1})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 1, 0)
    [job] = body["items"]
    assert job["id"] == second
    assert (job["task_name"], job["status"], job["attempts"]) == ("send_email", "failed", 1)
    assert "TemplateNotFound" in job["last_error"]
    assert job["last_failed_at"] is not None
    assert "args" not in job  # emailed links are secrets
    page2 = client.get(JOBS, headers=auth_headers(admin), params={"limit": 1, "offset": 1})
    assert [j["id"] for j in page2.json()["items"]] == [first]
    # Other statuses on request: the good email was sent, so nothing is waiting.
    assert [m.to for m in mail_outbox] == ["c@example.com"]
    todo = client.get(JOBS, headers=auth_headers(admin), params={"status": "todo"})
    assert todo.json()["total"] == 0


def test_a_failed_job_can_be_retried_once(
    client: TestClient, session: Session, admin: User
) -> None:
    job_id = failed_email_job(session)
    resp = client.post(f"{JOBS}/{job_id}/retry", headers=auth_headers(admin))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["attempts"]) == ("todo", 2)
    [job] = queued_jobs(session)
    assert (job.status, job.scheduled_at is not None) == ("todo", True)
    assert_error(client.post(f"{JOBS}/{job_id}/retry", headers=auth_headers(admin)), 409)
    assert run_jobs(session) == 1  # fails again: still no such template
    assert queued_jobs(session)[0].status == "failed"


def test_bad_job_requests(client: TestClient, session: Session, admin: User) -> None:
    headers = auth_headers(admin)
    assert_error(client.get(JOBS, headers=headers, params={"status": "lost"}), 422)
    assert_error(client.post(f"{JOBS}/987654321/retry", headers=headers), 404)
    assert_error(client.post(f"{JOBS}/not-a-number/retry", headers=headers), 422)
