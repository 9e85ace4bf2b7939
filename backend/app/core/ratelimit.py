"""Rate limits with the `limits` library: Redis when `REDIS_URL` is set (shared by
every worker), memory otherwise.

    ratelimit.hit("otp-request-phone", phone, settings.OTP_REQUEST_LIMIT_PER_PHONE)

raises `TooManyRequests` (429 with `Retry-After`) once the limit is used up;
`allow(...)` counts the same way and answers a bool; `take(...)` grants up to a
number of units (counting that stops rather than refuses). Attempts are counted
before the work they guard (so parallel attempts cannot all pass a check made
before the first is counted); a success may `clear` the counter.

Never fully open: while Redis does not answer, every limit counts in this
process's memory instead (each process then enforces the limits on its own share
of the traffic: looser than one shared count, far from unlimited). The outage is
logged once, when it starts, and once when Redis answers again; `status()` tells
`/utils/ready`. During an outage Redis is tried again every `REDIS_RETRY_SECONDS`
(one request pays the short connect timeout, not every request).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.config import settings
from app.core.errors import TooManyRequests

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A Redis that does not answer must not hold requests up: connect and reply timeouts.
REDIS_TIMEOUT_SECONDS = 0.5
# While Redis is down, how often a request tries it again.
REDIS_RETRY_SECONDS = 5.0

StoreName = Literal["redis", "memory", "memory_fallback", "disabled"]


class _Stores:
    """The shared store (Redis, when configured) and this process's memory, which
    counts alone without Redis and stands in for it while it is down."""

    def __init__(self, shared: Storage | None) -> None:
        self.shared = MovingWindowRateLimiter(shared) if shared is not None else None
        self._shared_storage = shared
        self._memory_storage = MemoryStorage()
        self.memory = MovingWindowRateLimiter(self._memory_storage)
        self.down_since: float | None = None
        self.next_try = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self.shared is not None and self.down_since is not None

    def went_down(self, error: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            self.next_try = now + REDIS_RETRY_SECONDS
            if self.down_since is not None:
                return
            self.down_since = now
        logger.warning(
            "rate limit store unavailable (%s: %s): counting in this process's memory "
            "until it answers again",
            type(error).__name__,
            error,
        )

    def came_back(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            lasted = time.monotonic() - self.down_since
            self.down_since = None
        logger.warning("rate limit store answers again after %.0f s: counting in it", lasted)

    def run(self, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
        """Run on the shared store; on this process's memory while it is down."""
        if self.shared is not None and (
            self.down_since is None or time.monotonic() >= self.next_try
        ):
            try:
                result = operation(self.shared)
            except Exception as exc:  # any failure of the store
                self.went_down(exc)
            else:
                self.came_back()
                return result
        return operation(self.memory)

    def probe(self) -> None:
        """Ask the shared store whether it answers (the readiness probe)."""
        if self._shared_storage is None:
            return
        try:
            answers = self._shared_storage.check()
        except Exception as exc:
            self.went_down(exc)
            return
        if answers:
            self.came_back()
        else:
            self.went_down(ConnectionError("no answer to PING"))

    def reset(self) -> None:
        self._memory_storage.reset()
        if self._shared_storage is None:
            return
        try:
            self._shared_storage.reset()
        except Exception as exc:
            self.went_down(exc)


_lock = threading.Lock()
_stores: _Stores | None = None


def _configured_storage() -> Storage | None:
    if not settings.REDIS_URL:
        return None
    storage = storage_from_string(
        settings.REDIS_URL,
        key_prefix=settings.RATE_LIMIT_KEY_PREFIX,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    assert isinstance(storage, Storage)
    return storage


def _get() -> _Stores:
    global _stores
    if _stores is None:
        with _lock:
            if _stores is None:
                _stores = _Stores(_configured_storage())
    return _stores


def use_storage(storage: Storage | None) -> None:
    """Replace the shared store (None: the configured one, from the settings, on next use)."""
    global _stores
    with _lock:
        _stores = _Stores(storage) if storage is not None else None


def reset() -> None:
    """Forget every counter (tests; an operator after an incident)."""
    _get().reset()


@dataclass(frozen=True)
class Status:
    store: StoreName
    degraded: bool  # Redis is configured but does not answer


def status() -> Status:
    """Where the limits count now; asks Redis (when configured) whether it answers."""
    if not settings.RATE_LIMIT_ENABLED:
        return Status(store="disabled", degraded=False)
    stores = _get()
    stores.probe()
    if stores.shared is None:
        return Status(store="memory", degraded=False)
    if stores.degraded:
        return Status(store="memory_fallback", degraded=True)
    return Status(store="redis", degraded=False)


DEFAULT_MESSAGE = "Too many attempts; try again later"


def _hit(scope: str, identifier: str, limit: str) -> tuple[bool, int]:
    """Count one attempt: (allowed, seconds until the window has room again)."""
    item = parse(limit)

    def operation(limiter: MovingWindowRateLimiter) -> tuple[bool, int]:
        if limiter.hit(item, scope, identifier):
            return True, 0
        return False, _retry_after(limiter, item, [scope, identifier])

    return _get().run(operation)


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: list[str]) -> int:
    stats = limiter.get_window_stats(item, *key)
    return max(1, math.ceil(stats.reset_time - time.time()))


def allow(scope: str, identifier: str, limit: str) -> bool:
    """Count one attempt; False once it goes over the limit."""
    if not settings.RATE_LIMIT_ENABLED:
        return True
    return _hit(scope, identifier, limit)[0]


def take(scope: str, identifier: str, limit: str, wanted: int) -> int:
    """Count up to `wanted` units, as many as the limit still has room for, and answer
    how many were counted (0 once it is used up). Each grant is one atomic hit, so
    parallel callers together never get more than the limit."""
    if not settings.RATE_LIMIT_ENABLED or wanted <= 0:
        return max(wanted, 0)
    item = parse(limit)

    def operation(limiter: MovingWindowRateLimiter) -> int:
        for _ in range(3):  # another caller took some meanwhile: ask again
            room = limiter.get_window_stats(item, scope, identifier).remaining
            grant = min(wanted, room)
            if grant <= 0:
                return 0
            if limiter.hit(item, scope, identifier, cost=grant):
                return grant
        return 0

    return _get().run(operation)


def hit(scope: str, identifier: str, limit: str, *, message: str = DEFAULT_MESSAGE) -> None:
    """Count one attempt; raise 429 when it goes over the limit."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    allowed, retry_after = _hit(scope, identifier, limit)
    if not allowed:
        raise TooManyRequests(message, retry_after=retry_after)


def clear(scope: str, identifier: str, limit: str) -> None:
    """Forget one counter (a successful sign-in clears its failures)."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    item = parse(limit)
    _get().run(lambda limiter: limiter.clear(item, scope, identifier))


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
