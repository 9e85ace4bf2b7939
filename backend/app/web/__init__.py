"""Public HTML pages served outside the API: `/q/{token}` (a table's QR landing page)
and `/account/...` (the pages emailed links open). `docs` adds `/docs` and `/redoc`."""

from fastapi import APIRouter

from app.web import account, qr

web_router = APIRouter(include_in_schema=False)
web_router.include_router(qr.router)
web_router.include_router(account.router)

__all__ = ["web_router"]
