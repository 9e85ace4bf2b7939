"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.core.errors import NotReady, error_body, errors

router = APIRouter(prefix="/utils", tags=["utils"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"


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
    """The database answers a query."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError as exc:
        return JSONResponse(
            error_body(NotReady.code, f"database unreachable: {type(exc).__name__}"),
            status_code=503,
        )
    return Readiness()
