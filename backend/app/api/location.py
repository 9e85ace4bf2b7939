"""`Location` for 201 answers: the URL of the object a create route made."""

from __future__ import annotations

from fastapi import Response

from app.core.config import settings


def set_location(response: Response, path: str) -> None:
    """Point `Location` at `path` under the API root (`/venues/{id}` ...)."""
    response.headers["Location"] = f"{settings.API_V1_STR}{path}"
