"""Public HTML pages served outside the API (`/q/{token}`: a table's QR landing page)."""

from fastapi import APIRouter

from app.web import qr

web_router = APIRouter(include_in_schema=False)
web_router.include_router(qr.router)

__all__ = ["web_router"]
