"""Rate limits (memory or Redis, whichever the run uses), client addresses."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from limits import parse
from limits.storage import MemoryStorage, MovingWindowSupport, storage_from_string
from limits.strategies import MovingWindowRateLimiter
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


def test_every_test_starts_with_empty_counters(request: pytest.FixtureRequest) -> None:
    # The suite resets the counters before every test (conftest `_fresh_rate_limits`,
    # autouse, so this test got it too) with `ratelimit.reset`: show what it does.
    assert "_fresh_rate_limits" in request.fixturenames
    ratelimit.hit("leak", "k", "1/hour")
    ratelimit.hit("leak", "other", "1/hour")
    with pytest.raises(TooManyRequests):
        ratelimit.hit("leak", "k", "1/hour")
    ratelimit.reset()
    ratelimit.hit("leak", "k", "1/hour")
    ratelimit.hit("leak", "other", "1/hour")


def test_the_configured_store_is_used() -> None:
    ratelimit.hit("t", "k", "2/minute")
    if settings.REDIS_URL:
        assert ratelimit.status() == ratelimit.Status(store="redis", degraded=False)
        # Another process (a new connection to the same Redis, the same key prefix) sees
        # the attempt counted here: the counters are shared.
        other = storage_from_string(settings.REDIS_URL, key_prefix=settings.RATE_LIMIT_KEY_PREFIX)
        assert isinstance(other, MovingWindowSupport)
        stats = MovingWindowRateLimiter(other).get_window_stats(parse("2/minute"), "t", "k")
        assert stats.remaining == 1
    else:
        assert ratelimit.status() == ratelimit.Status(store="memory", degraded=False)
    ratelimit.hit("t", "k", "2/minute")
    with pytest.raises(TooManyRequests):
        ratelimit.hit("t", "k", "2/minute")


def test_disabled_limits_never_refuse_and_count_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "RATE_LIMIT_ENABLED", False)
    for _ in range(3):
        ratelimit.hit("t", "k", "1/hour")
        assert ratelimit.allow("t", "k", "1/hour") is True
    assert ratelimit.take("t", "k", "1/hour", 5) == 5
    assert ratelimit.status().store == "disabled"
    # Nothing was counted meanwhile: enabled again, the limit is whole.
    monkeypatch.setattr(settings, "RATE_LIMIT_ENABLED", True)
    ratelimit.hit("t", "k", "1/hour")
    with pytest.raises(TooManyRequests):
        ratelimit.hit("t", "k", "1/hour")


def test_take_grants_what_is_left_and_then_nothing() -> None:
    assert ratelimit.take("t", "k", "10/minute", 4) == 4
    assert ratelimit.take("t", "k", "10/minute", 0) == 0
    assert ratelimit.take("t", "k", "10/minute", 500) == 6
    assert ratelimit.take("t", "k", "10/minute", 1) == 0
    assert ratelimit.allow("t", "k", "10/minute") is False
    assert ratelimit.take("t", "other", "10/minute", 3) == 3


# --- Redis down: the limits count in memory, never open ------------------------------


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The configured Redis is a closed port on loopback (connection refused at once)."""
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    ratelimit.use_storage(None)
    yield
    monkeypatch.undo()
    ratelimit.use_storage(None)


@pytest.mark.usefixtures("redis_down")
def test_an_unreachable_redis_falls_back_to_memory_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="app.core.ratelimit")
    ratelimit.hit("t", "k", "2/minute")
    ratelimit.hit("t", "k", "2/minute")
    with pytest.raises(TooManyRequests) as caught:
        ratelimit.hit("t", "k", "2/minute")
    assert 1 <= caught.value.retry_after <= 60
    assert ratelimit.allow("t", "other", "1/hour") is True
    assert ratelimit.allow("t", "other", "1/hour") is False
    assert ratelimit.take("t", "more", "3/hour", 10) == 3
    ratelimit.clear("t", "k", "2/minute")
    ratelimit.hit("t", "k", "2/minute")
    # One warning for the outage, not one per attempt.
    warnings = [r for r in caplog.records if "rate limit store unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert ratelimit.status() == ratelimit.Status(store="memory_fallback", degraded=True)


@pytest.mark.usefixtures("redis_down")
def test_ready_says_the_limits_are_degraded_and_still_answers_200(client: TestClient) -> None:
    response = client.get("/api/v1/utils/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "rate_limits": "memory_fallback",
        "degraded": True,
    }


@pytest.mark.usefixtures("redis_down")
def test_one_time_codes_stay_limited_while_redis_is_down(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "OTP_REQUEST_LIMIT_PER_IP", "2/hour")
    monkeypatch.setattr(settings, "OTP_RESEND_SECONDS", 0)
    statuses = [
        client.post("/api/v1/auth/otp/request", json={"phone": f"+9198765432{n:02d}"}).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]


class FlakyStore(MemoryStorage):
    """A shared store that can be taken down and brought back (stands in for Redis)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _fail(self) -> None:
        if self.down:
            raise ConnectionError("connection refused")

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        self._fail()
        return super().acquire_entry(key, limit, expiry, amount)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        self._fail()
        return super().get_moving_window(key, limit, expiry)

    def check(self) -> bool:
        return not self.down


def test_limits_go_back_to_the_shared_store_when_it_answers_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.core.ratelimit")
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0.0)
    shared = FlakyStore()
    ratelimit.use_storage(shared)
    try:
        ratelimit.hit("t", "k", "2/minute")  # counted in the shared store
        shared.down = True
        ratelimit.hit("t", "k", "2/minute")  # in memory
        ratelimit.hit("t", "k", "2/minute")  # in memory: this process's own count
        with pytest.raises(TooManyRequests):
            ratelimit.hit("t", "k", "2/minute")
        assert ratelimit.status().degraded is True
        shared.down = False
        assert ratelimit.status() == ratelimit.Status(store="redis", degraded=False)
        # Back on the shared store, which still holds its own count of one.
        ratelimit.hit("t", "k", "2/minute")
        with pytest.raises(TooManyRequests):
            ratelimit.hit("t", "k", "2/minute")
        messages = [r.getMessage() for r in caplog.records]
        assert sum("unavailable" in m for m in messages) == 1
        assert sum("answers again after" in m for m in messages) == 1
    finally:
        ratelimit.use_storage(None)


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
