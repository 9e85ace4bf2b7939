"""`socia worker`, `socia jobs failed|retry`, and the worker inside `socia dev`, on a
real, committed database (a scratch one: workers only see committed jobs)."""

from __future__ import annotations

import signal
import time

import httpx
import psycopg
import pytest
from sqlmodel import Session

from app.core import db
from app.services import tasks
from tests.test_cli import (
    _libpq,
    _start,
    _stop,
    _wait_until_serving,
    scratch_url,  # noqa: F401  (fixture)
    socia,
    unused_port,  # noqa: F401  (fixture)
)


def _statuses(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute("SELECT id, status::text FROM procrastinate_jobs ORDER BY id")
        return [(int(r[0]), str(r[1])) for r in rows.fetchall()]


def _wait_for(url: str, expected: list[str], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if [status for _, status in _statuses(url)] == expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"jobs are {_statuses(url)}, not {expected}")  # pragma: no cover


@pytest.mark.slow
def test_dev_and_worker_run_committed_jobs_and_failed_ones_can_be_seen_and_retried(
    scratch_url: str,  # noqa: F811
    unused_port: int,  # noqa: F811
) -> None:
    url = scratch_url
    # `socia dev` migrates and runs a worker beside the API: a sign-up's email is sent.
    base = f"http://127.0.0.1:{unused_port}"
    dev = _start(
        ["dev", "--host", "127.0.0.1", "--port", str(unused_port), "--no-reload", "--no-seed"],
        {"DATABASE_URL": url},
    )
    try:
        _wait_until_serving(dev, base)
        resp = httpx.post(
            f"{base}/api/v1/auth/register",
            json={
                "email": "new-owner@example.com",
                "password": "a-long-Passphrase-42",
                "full_name": "New Owner",
            },
            timeout=30,
        )
        assert resp.status_code == 202, resp.text
        _wait_for(url, [])  # sent, and the finished job deleted
    finally:
        output = _stop(dev, signal.SIGINT)
    assert "Job worker running" in output
    assert "email to new-owner@example.com" in output
    assert "Stopping the job worker" in output

    # `socia worker` runs what was committed while no worker ran.
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            tasks.queue_email(
                session,
                to="ok@example.com",
                template="verify_email",
                context={"full_name": "", "link": "http://x.test/v?t=1", "expires_in": "1 h"},
            )
            bad = tasks.queue_email(session, to="bad@example.com", template="missing", context={})
            session.commit()
    finally:
        engine.dispose()
    worker = _start(["worker", "--concurrency", "2", "--name", "w1"], {"DATABASE_URL": url})
    try:
        _wait_for(url, ["failed"])  # a missing template is not retried
    finally:
        output = _stop(worker, signal.SIGINT)
    assert worker.returncode == 0, output
    assert "email to ok@example.com" in output

    failed = socia("jobs", "failed", DATABASE_URL=url)
    assert failed.returncode == 0, failed.stderr
    assert f"{bad}  send_email  attempts=1" in failed.stdout
    assert "TemplateNotFound" in failed.stdout
    retried = socia("jobs", "retry", str(bad), DATABASE_URL=url)
    assert retried.returncode == 0, retried.stderr
    assert _statuses(url) == [(bad, "todo")]
