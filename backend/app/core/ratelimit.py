"""Rate limits with the `limits` library: Redis when `REDIS_URL` is set (shared by
every worker), memory otherwise.

    ratelimit.hit("otp-request-phone", phone, settings.OTP_REQUEST_LIMIT_PER_PHONE)

raises `TooManyRequests` (429 with `Retry-After`) once the limit is used up;
`allow(...)` counts the same way and answers a bool. Attempts are counted before
the work they guard (so parallel attempts cannot all pass a check made before the
first is counted); a success may `clear` the counter.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.config import settings
from app.core.errors import TooManyRequests

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_limiter: MovingWindowRateLimiter | None = None
_storage: Storage | None = None


def _make_storage() -> Storage:
    if settings.REDIS_URL:
        storage = storage_from_string(settings.REDIS_URL, key_prefix=settings.RATE_LIMIT_KEY_PREFIX)
        assert isinstance(storage, Storage)
        return storage
    return MemoryStorage()


def get_limiter() -> MovingWindowRateLimiter:
    global _limiter, _storage
    if _limiter is None:
        with _lock:
            if _limiter is None:
                _storage = _make_storage()
                _limiter = MovingWindowRateLimiter(_storage)
    return _limiter


def reset() -> None:
    """Forget every counter (tests; an operator after an incident)."""
    get_limiter()
    assert _storage is not None
    _storage.reset()


def use_storage(storage: Storage | None) -> None:
    """Replace the storage (None: back to the configured one on next use)."""
    global _limiter, _storage
    with _lock:
        _storage = storage
        _limiter = MovingWindowRateLimiter(storage) if storage is not None else None


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: list[str]) -> int:
    stats = limiter.get_window_stats(item, *key)
    return max(1, math.ceil(stats.reset_time - time.time()))


DEFAULT_MESSAGE = "Too many attempts; try again later"


def allow(scope: str, identifier: str, limit: str) -> bool:
    """Count one attempt; False once it goes over the limit (True when the store is down)."""
    if not settings.RATE_LIMIT_ENABLED:
        return True
    try:
        return get_limiter().hit(parse(limit), scope, identifier)
    except Exception:  # the store is down: fail open, the other defences still hold
        logger.exception("rate limit store unavailable (%s)", scope)
        return True


def hit(scope: str, identifier: str, limit: str, *, message: str = DEFAULT_MESSAGE) -> None:
    """Count one attempt; raise 429 when it goes over the limit."""
    if allow(scope, identifier, limit):
        return
    item, key = parse(limit), [scope, identifier]
    try:
        retry_after = _retry_after(get_limiter(), item, key)
    except Exception:
        retry_after = 60
    raise TooManyRequests(message, retry_after=retry_after)


def clear(scope: str, identifier: str, limit: str) -> None:
    """Forget one counter (a successful sign-in clears its failures)."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    try:
        get_limiter().clear(parse(limit), scope, identifier)
    except Exception:
        logger.exception("rate limit store unavailable (%s)", scope)


def client_ip(request: Request) -> str:
    """The caller's address: the peer, or the entry `TRUSTED_PROXY_HOPS` from the
    right of `X-Forwarded-For` when we sit behind that many trusted proxies."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = request.headers.get("x-forwarded-for", "")
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    return request.client.host if request.client else "unknown"
