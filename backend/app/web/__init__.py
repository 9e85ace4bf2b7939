"""Public HTML pages served outside the API: `/q/{token}` (a table's QR landing page),
`/t/{token}` (a ticket's page), `/account/...` (the pages emailed links open),
`/demo/images/...` (the demo data's images) and `/checkout/test/...` (the test
payment gateway's page). `docs` adds `/docs` and `/redoc`."""

from fastapi import APIRouter

from app.web import account, checkout, demo, qr, tickets

#: Added flat by `app.main`, outside the OpenAPI document.
web_routers: tuple[APIRouter, ...] = (
    qr.router,
    tickets.router,
    account.router,
    demo.router,
    checkout.router,
)

__all__ = ["web_routers"]
