"""Rate limits (memory or Redis, whichever the run uses), client addresses."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage, storage_from_string
from starlette.requests import Request

from app.core import ratelimit
from app.core.config import settings
from app.core.errors import TooManyRequests


def test_hit_allows_up_to_the_limit_then_says_when_to_retry() -> None:
    ratelimit.hit("t", "k", "2/minute")
    ratelimit.hit("t", "k", "2/minute")
    with pytest.raises(TooManyRequests) as caught:
        ratelimit.hit("t", "k", "2/minute", message="slow down")
    assert caught.value.detail == "slow down"
    assert 1 <= caught.value.retry_after <= 60
    assert caught.value.headers == {"Retry-After": str(caught.value.retry_after)}
    # Other identifiers and scopes have their own counters.
    ratelimit.hit("t", "other", "2/minute")
    ratelimit.hit("u", "k", "2/minute")


def test_clear_forgets() -> None:
    ratelimit.hit("t", "k", "1/minute")
    with pytest.raises(TooManyRequests):
        ratelimit.hit("t", "k", "1/minute")
    ratelimit.clear("t", "k", "1/minute")
    ratelimit.hit("t", "k", "1/minute")


def test_counters_start_empty_in_each_test_part_one() -> None:
    ratelimit.hit("leak", "k", "1/hour")


def test_counters_start_empty_in_each_test_part_two() -> None:
    ratelimit.hit("leak", "k", "1/hour")


def test_the_configured_store_is_used() -> None:
    ratelimit.hit("t", "k", "5/minute")
    storage = ratelimit._storage
    if settings.REDIS_URL:
        assert type(storage).__name__ == "RedisStorage"
    else:
        assert isinstance(storage, MemoryStorage)


def test_disabled_limits_never_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "RATE_LIMIT_ENABLED", False)
    for _ in range(3):
        ratelimit.hit("t", "k", "1/hour")
        ratelimit.clear("t", "k", "1/hour")


def test_an_unreachable_store_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    # Port 1 on loopback: connection refused at once.
    broken = storage_from_string("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    ratelimit.use_storage(broken)  # type: ignore[arg-type]
    try:
        ratelimit.hit("t", "k", "1/hour")
        ratelimit.hit("t", "k", "1/hour")
        ratelimit.clear("t", "k", "1/hour")
    finally:
        ratelimit.use_storage(None)
    assert "rate limit store unavailable" in caplog.text


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_client_ip_is_the_peer_unless_proxies_are_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ratelimit.client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)
    # A client cannot pick its address by prepending to the header.
    assert ratelimit.client_ip(_request("10.0.0.5", "6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    assert ratelimit.client_ip(_request("10.0.0.5")) == "10.0.0.5"
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 2)
    assert ratelimit.client_ip(_request("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9")) == "1.2.3.4"


def test_limits_in_settings_are_validated() -> None:
    from app.core.config import Settings

    with pytest.raises(ValueError, match="rate limit"):
        Settings(LOGIN_LIMIT_PER_IP="lots")
