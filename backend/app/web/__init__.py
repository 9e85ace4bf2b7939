"""Public HTML pages served outside the API: `/q/{token}` (a table's QR landing page),
`/t/{token}` (a ticket's page), `/account/...` (the pages emailed links open),
`/demo/images/...` (the demo data's images) and `/checkout/test/...` (the test
payment gateway's page). `docs` adds `/docs` and `/redoc`."""

from fastapi import APIRouter

from app.web import account, checkout, demo, qr, tickets

web_router = APIRouter(include_in_schema=False)
web_router.include_router(qr.router)
web_router.include_router(tickets.router)
web_router.include_router(account.router)
web_router.include_router(demo.router)
web_router.include_router(checkout.router)

__all__ = ["web_router"]
