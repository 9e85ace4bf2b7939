"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.core import ratelimit
from app.core.errors import NotReady, error_body, errors

router = APIRouter(prefix="/utils", tags=["utils"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"
    rate_limits: ratelimit.StoreName = Field(
        description="Where rate limits count: `redis` (shared), `memory` (no Redis "
        "configured), `memory_fallback` (Redis configured but not answering: each process "
        "counts on its own), or `disabled`"
    )
    degraded: bool = Field(
        description="Something this instance depends on is down but has a safe fallback "
        "(today: Redis, see `rate_limits`); the instance still serves"
    )


@router.get("/health", response_model=Health)
async def health() -> Health:
    """The process is alive (no dependencies checked)."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    responses=errors(NotReady),
)
def ready(session: SessionDep) -> Readiness | JSONResponse:
    """The database answers a query (503 otherwise).

    Redis down is `degraded`, still 200: rate limits then count in each process's
    memory (never open), so the instance serves safely; a 503 would take every
    instance out of the load balancer at once over one shared dependency that has
    a fallback, turning a degraded service into an outage."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError as exc:
        return JSONResponse(
            error_body(NotReady.code, f"database unreachable: {type(exc).__name__}"),
            status_code=503,
        )
    limits = ratelimit.status()
    return Readiness(rate_limits=limits.store, degraded=limits.degraded)
