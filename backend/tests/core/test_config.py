"""Settings: production refuses unsafe values; list settings accept comma strings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import DEFAULT_SECRET_KEY, PLACEHOLDER_SECRET, Environment, Settings

STRONG_SECRET = "x" * 40
SERVER_URL = "postgresql+psycopg://socia:secret@db:5432/socia"


def make(**values: Any) -> Settings:
    """Settings from explicit values only (no environment, no .env)."""
    return Settings(_env_file=None, **values)


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": STRONG_SECRET,
        "DATABASE_URL": SERVER_URL,
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
    values.update(overrides)
    return make(**values)


def test_production_accepts_safe_settings() -> None:
    cfg = production()
    assert cfg.is_production
    assert cfg.ENVIRONMENT is Environment.PRODUCTION
    assert not cfg.uses_embedded_database


@pytest.mark.parametrize(
    "secret", [DEFAULT_SECRET_KEY, PLACEHOLDER_SECRET, "short-but-not-default"]
)
def test_production_refuses_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        production(SECRET_KEY=secret)


def test_production_refuses_wildcard_cors() -> None:
    with pytest.raises(ValidationError, match="BACKEND_CORS_ORIGINS"):
        production(BACKEND_CORS_ORIGINS="https://staff.socia.app,*")


def test_production_refuses_missing_database_url() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        production(DATABASE_URL=None)


@pytest.mark.parametrize("password", [PLACEHOLDER_SECRET, DEFAULT_SECRET_KEY])
def test_production_refuses_default_superuser_password(password: str) -> None:
    with pytest.raises(ValidationError, match="FIRST_SUPERUSER_PASSWORD"):
        production(FIRST_SUPERUSER="admin@socia.app", FIRST_SUPERUSER_PASSWORD=password)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SMS_PROVIDER": "console"}, "SMS_PROVIDER=console"),
        ({"SMS_GATEWAY_AUTH_KEY": None}, "SMS_GATEWAY_AUTH_KEY"),
        ({"SMS_GATEWAY_AUTH_KEY": ""}, "SMS_GATEWAY_AUTH_KEY"),
        ({"EMAIL_BACKEND": "console"}, "EMAIL_BACKEND=console"),
        ({"SMTP_HOST": None}, "SMTP_HOST"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"PAYMENT_PROVIDER": "test"}, "PAYMENT_PROVIDER=test"),
        ({"RAZORPAY_KEY_ID": None}, "RAZORPAY_KEY_ID"),
        ({"RAZORPAY_WEBHOOK_SECRET": ""}, "RAZORPAY_WEBHOOK_SECRET"),
    ],
)
def test_production_refuses_log_only_providers_and_per_process_limits(
    overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        production(**overrides)


def test_local_allows_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = make(ENVIRONMENT="local")
    assert cfg.SECRET_KEY.get_secret_value() == DEFAULT_SECRET_KEY
    assert cfg.uses_embedded_database


def test_the_local_default_key_signs_tokens_without_pyjwt_warnings() -> None:
    import warnings

    import jwt

    assert len(DEFAULT_SECRET_KEY.encode()) >= 32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyJWT's InsecureKeyLengthWarning would raise
        token = jwt.encode({"sub": "x"}, DEFAULT_SECRET_KEY, algorithm="HS256")
        assert jwt.decode(token, DEFAULT_SECRET_KEY, algorithms=["HS256"]) == {"sub": "x"}


def test_list_settings_from_comma_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", "https://a.example, https://b.example ,")
    monkeypatch.setenv("PREVIOUS_SECRET_KEYS", "old-key-1,old-key-2")
    cfg = Settings(_env_file=None)
    assert cfg.BACKEND_CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert [k.get_secret_value() for k in cfg.PREVIOUS_SECRET_KEYS] == ["old-key-1", "old-key-2"]
    assert cfg.verification_keys == [cfg.SECRET_KEY.get_secret_value(), "old-key-1", "old-key-2"]


def test_list_settings_from_json_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    monkeypatch.setenv("PREVIOUS_SECRET_KEYS", '["old-key"]')
    cfg = Settings(_env_file=None)
    assert cfg.BACKEND_CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert [k.get_secret_value() for k in cfg.PREVIOUS_SECRET_KEYS] == ["old-key"]


def test_threadpool_must_exceed_database_slots() -> None:
    with pytest.raises(ValidationError, match="THREADPOOL_SIZE"):
        make(DB_POOL_SIZE=10, DB_MAX_OVERFLOW=5, THREADPOOL_SIZE=15)
    assert make(DB_POOL_SIZE=10, DB_MAX_OVERFLOW=5, THREADPOOL_SIZE=16).THREADPOOL_SIZE == 16


def test_empty_values_fall_back_to_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("DB_POOL_SIZE", "")
    cfg = Settings(_env_file=None)
    assert cfg.REDIS_URL is None
    assert cfg.DB_POOL_SIZE == 20  # the default
