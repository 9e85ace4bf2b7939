"""`GET /q/{token}`: the small page a scanned table code opens.

It names the venue and the table and hands off to the app's deep link, with
buttons for the app stores and the web menu. A forged, revoked or unknown code
gets a friendly page with status 404. Every successful open counts as a scan.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep
from app.core.errors import NotFound
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


@router.get("/q/{token:path}", response_class=HTMLResponse)
def table_landing(token: str, session: SessionDep) -> HTMLResponse:
    try:
        table, venue = table_crud.scan(session, token=token)
    except NotFound:
        return HTMLResponse(qr.not_found_html(), status_code=404, headers=PAGE_HEADERS)
    session.commit()
    return HTMLResponse(qr.landing_html(venue_name=venue.name, table=table), headers=PAGE_HEADERS)
