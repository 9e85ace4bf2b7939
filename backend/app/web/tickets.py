"""`GET /t/{token}`: the page a ticket's QR code opens (see `app.services.ticket_page`).

A valid ticket's page (status 200) shows the code to show at the door; a code that
is not ours, and a void ticket (cancelled or refunded), get a friendly page with
status 404. Never cached, never indexed, like the table landing page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import SessionDep
from app.core.errors import NotFound
from app.crud import ticket as ticket_crud
from app.services import ticket_page
from app.web.qr import PAGE_HEADERS

router = APIRouter()


@router.api_route("/t/{token:path}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def ticket_landing(token: str, request: Request, session: SessionDep) -> Response:
    try:
        page = ticket_crud.open_page(session, token=token)
    except NotFound:
        return _page(request, ticket_page.not_found_html(), 404)
    if ticket_page.is_void(page):
        return _page(request, ticket_page.void_html(page), 404)
    return _page(request, ticket_page.ticket_html(page), 200)


def _page(request: Request, html: str, status_code: int) -> Response:
    if request.method == "HEAD":  # the headers a GET would send, without the page
        return Response(status_code=status_code, headers=PAGE_HEADERS, media_type="text/html")
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
