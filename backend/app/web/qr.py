"""`GET /q/{token}`: the small page a scanned table code opens.

It names the venue and the table, with a button that opens the app's deep link
(only when tapped: no script jumps there by itself) and buttons for the web menu
and the app stores. A forged, revoked or unknown code gets a friendly page with
status 404; a code of a venue that is not verified yet says that the venue is not
open on Socia yet. Every open by a person counts as a scan;
`HEAD`, link previews fetched by messaging apps and opens beyond what any table of
people could do from one address (`QR_SCAN_LIMIT_PER_IP`) show the page without
counting (see `qr.counts_as_scan`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

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
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


@router.api_route("/q/{token:path}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def table_landing(token: str, request: Request, session: SessionDep) -> Response:
    try:
        table, venue = table_crud.open_code(session, token=token, count=qr.counts_as_scan(request))
        session.commit()
    except table_crud.VenueNotOpenYet as exc:
        return _page(request, qr.not_open_html(venue_name=exc.venue_name), 404)
    except NotFound:
        return _page(request, qr.not_found_html(), 404)
    return _page(request, qr.landing_html(venue_name=venue.name, table=table), 200)


def _page(request: Request, html: str, status_code: int) -> Response:
    if request.method == "HEAD":  # the headers a GET would send, without the page
        return Response(status_code=status_code, headers=PAGE_HEADERS, media_type="text/html")
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
