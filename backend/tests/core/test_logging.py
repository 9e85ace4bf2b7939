"""Logs: JSON lines in production, readable lines locally, always with the request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Environment, Settings, settings
from app.core.logging import configure_logging
from app.main import create_app

PRODUCTION: dict[str, Any] = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql+psycopg://socia@db/socia",
    "BACKEND_CORS_ORIGINS": "https://staff.socia.app",
    "SMS_PROVIDER": "msg91",
    "SMS_GATEWAY_AUTH_KEY": "gateway-key",
    "EMAIL_BACKEND": "smtp",
    "SMTP_HOST": "smtp.example.com",
    "REDIS_URL": "redis://cache:6379/0",
    "PAYMENT_PROVIDER": "razorpay",
    "RAZORPAY_KEY_ID": "rzp_live_key",
    "RAZORPAY_KEY_SECRET": "razorpay-key-secret",
    "RAZORPAY_WEBHOOK_SECRET": "razorpay-webhook-secret",
}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    configure_logging(settings)
    root.handlers[:] = handlers
    root.setLevel(level)


def _client_for(cfg: Settings) -> TestClient:
    app = create_app(cfg)

    @app.get("/hello")
    def hello() -> dict[str, str]:
        logging.getLogger("socia.test").info("saying hello")
        return {"hello": "world"}

    @app.get("/fail")
    def fail() -> None:
        raise ValueError("kaboom")

    return TestClient(app, raise_server_exceptions=False)


def _json_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.mark.usefixtures("restore_logging")
def test_production_logs_are_json_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = Settings(_env_file=None, **PRODUCTION)
    with _client_for(cfg) as client:
        capsys.readouterr()
        client.get("/hello", headers={"X-Request-ID": "req-json-1"})
        client.get("/fail", headers={"X-Request-ID": "req-json-2"})
    err = capsys.readouterr().err
    lines = _json_lines(err)
    hello = next(line for line in lines if line["message"] == "saying hello")
    assert hello["request_id"] == "req-json-1"
    assert hello["level"] == "INFO"
    assert hello["logger"] == "socia.test"
    assert str(hello["ts"]).endswith("+00:00")
    failure = next(line for line in lines if line["level"] == "ERROR")
    assert failure["request_id"] == "req-json-2"
    assert "kaboom" in str(failure["exc"])
    assert "Traceback" in str(failure["exc"])
    # Every line is JSON: nothing readable-format leaks through.
    assert all(line.startswith("{") for line in err.splitlines() if line.strip())


@pytest.mark.usefixtures("restore_logging")
def test_local_logs_are_readable_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = Settings(_env_file=None, ENVIRONMENT=Environment.LOCAL)
    with _client_for(cfg) as client:
        capsys.readouterr()
        client.get("/hello", headers={"X-Request-ID": "req-text-1"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "saying hello" in line)
    assert "[req-text-1]" in line
    assert "INFO" in line
    assert not line.startswith("{")


@pytest.mark.usefixtures("restore_logging")
def test_lines_outside_a_request_have_a_placeholder_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(_env_file=None, **PRODUCTION))
    logging.getLogger("socia.test").warning("startup")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["request_id"] == "-"
    assert line["message"] == "startup"


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("level", "info_shown"), [("INFO", False), ("DEBUG", True)])
def test_the_job_queue_says_only_what_goes_wrong_unless_debugging(
    capsys: pytest.CaptureFixture[str], level: str, info_shown: bool
) -> None:
    configure_logging(Settings(_env_file=None, ENVIRONMENT=Environment.LOCAL, LOG_LEVEL=level))
    queue = logging.getLogger("procrastinate.worker")
    queue.info("Job deliver_test_webhook[1](body=...) ended with status: Success")
    queue.warning("Job send_refund[2] failed, retrying")
    logging.getLogger("app.seed").info("demo data in place")
    err = capsys.readouterr().err
    assert ("ended with status" in err) is info_shown
    assert "failed, retrying" in err
    assert "demo data in place" in err
