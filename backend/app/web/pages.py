"""Rendering the backend's own HTML pages (Jinja2 templates under `app/templates`)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from app.core import templates
from app.core.config import settings

# Never cached or indexed (they carry signed tokens), never framed, nothing loaded
# from elsewhere; forms post only to this backend.
FORM_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; img-src data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def render(template: str, **context: Any) -> str:
    """Render `app/templates/{template}` (a path such as `account/verify_email.html`)."""
    ctx = {"project_name": settings.PROJECT_NAME, "docs_url": "/docs", **context}
    return templates.environment().get_template(template).render(ctx)


def page(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        render(template, **context), status_code=status_code, headers=FORM_PAGE_HEADERS
    )
