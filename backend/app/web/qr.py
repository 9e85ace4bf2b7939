"""`GET /q/{token}`: the small page a scanned table code opens.

It names the venue and the table and hands off to the app's deep link, with
buttons for the app stores and the web menu. A forged, revoked or unknown code
gets a friendly page with status 404. Every successful open by a person counts as
a scan: `HEAD` and link previews fetched by messaging apps open nothing and count
nothing, and an address that scans faster than any table could
(`QR_SCAN_LIMIT_PER_IP`) gets a friendly 429 page until it slows down.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import SessionDep
from app.core import ratelimit
from app.core.config import settings
from app.core.errors import NotFound, TooManyRequests
from app.crud import table as table_crud
from app.services import qr

router = APIRouter()

# Never cached (each open is a scan, and a revoked code must stop working at once),
# never indexed, no framing, nothing loaded from elsewhere.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


@router.api_route("/q/{token:path}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def table_landing(token: str, request: Request, session: SessionDep) -> Response:
    try:
        ratelimit.hit("qr-scan-ip", ratelimit.client_ip(request), settings.QR_SCAN_LIMIT_PER_IP)
    except TooManyRequests as exc:
        retry_after = {"Retry-After": str(exc.retry_after)}
        return _page(request, qr.busy_html(retry_after=exc.retry_after), 429, retry_after)
    counts = request.method == "GET" and not qr.is_link_preview(request.headers.get("user-agent"))
    try:
        if counts:
            table, venue = table_crud.scan(session, token=token)
            session.commit()
        else:
            table, venue = table_crud.resolve_token(session, token=token)
    except NotFound:
        return _page(request, qr.not_found_html(), 404)
    return _page(request, qr.landing_html(venue_name=venue.name, table=table), 200)


def _page(
    request: Request, html: str, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    all_headers = {**PAGE_HEADERS, **(headers or {})}
    if request.method == "HEAD":  # the headers a GET would send, without the page
        return Response(status_code=status_code, headers=all_headers, media_type="text/html")
    return HTMLResponse(html, status_code=status_code, headers=all_headers)
