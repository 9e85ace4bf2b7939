"""The public URLs of this backend and every link sent by email, built in one place.

`PUBLIC_BASE_URL` is where people reach this backend (table codes, the backend's
own pages, demo images); `socia dev --port N` sets it to `http://localhost:N` unless
it is set explicitly. Emailed links open the staff dashboard's pages when
`FRONTEND_HOST` is set; until the dashboard exists (the default) they open small
pages of the backend itself (app/web/account.py).
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlencode

from app.core.config import settings


class EmailedPage(StrEnum):
    """The pages an email links to."""

    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105
    VENUE_INVITE = "venue-invite"


# Where each page is: on the dashboard (FRONTEND_HOST), or on this backend.
DASHBOARD_PATHS = {
    EmailedPage.VERIFY_EMAIL: "/verify-email",
    EmailedPage.RESET_PASSWORD: "/reset-password",
    EmailedPage.VENUE_INVITE: "/invites/accept",
}
BACKEND_PATHS = {
    EmailedPage.VERIFY_EMAIL: "/account/verify-email",
    EmailedPage.RESET_PASSWORD: "/account/reset-password",
    EmailedPage.VENUE_INVITE: "/account/invitation",
}


def public_url(path: str = "") -> str:
    """An absolute URL of this backend (`path` starts with `/`, or is empty)."""
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + path


def emailed_link(page: EmailedPage, token: str) -> str:
    """The link an email carries to `page`, with its token."""
    query = urlencode({"token": token})
    if settings.FRONTEND_HOST:
        return f"{str(settings.FRONTEND_HOST).rstrip('/')}{DASHBOARD_PATHS[page]}?{query}"
    return f"{public_url(BACKEND_PATHS[page])}?{query}"
