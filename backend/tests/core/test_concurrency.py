"""64 concurrent requests on a sync database endpoint queue; they never stall.

An untuned FastAPI + SQLAlchemy app served zero requests at 64 connections: every
worker thread waited for a pooled connection while the requests holding the
connections waited for a thread to release them (see app/core/db.py). This runs
a real uvicorn server with a deliberately tiny pool and thread count, and a
short pool timeout so that a regression shows up as errors rather than a hang.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bench.common import serve
from tests.conftest import TestDatabase

CONCURRENT = 64
HANG_GUARD_S = 120  # only guards against a hang; not a timing assertion


async def _fire(base: str, path: str) -> list[int]:
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=HANG_GUARD_S) as client:

        async def one() -> int:
            return (await client.get(path)).status_code

        return list(
            await asyncio.wait_for(
                asyncio.gather(*(one() for _ in range(CONCURRENT))), HANG_GUARD_S
            )
        )


@pytest.mark.slow
def test_64_concurrent_requests_on_a_tiny_pool_all_complete(
    test_database: TestDatabase, engine: object
) -> None:
    env = {
        "DATABASE_URL": test_database.url,
        "DB_POOL_SIZE": "2",
        "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT": "3",
        "THREADPOOL_SIZE": "4",
    }
    with serve("app.main:app", env=env) as base:
        for _ in range(2):  # twice: the server must be healthy after a burst too
            statuses = asyncio.run(_fire(base, "/api/v1/utils/ready"))
            assert statuses == [200] * CONCURRENT
