"""Routes: a venue's tables, their QR codes and scan counts; resolving a scanned code.

Who may do what: staff (and above) read the tables and their codes, since they
work the floor and may reprint a lost card; managers and owners create, change,
deactivate, delete and rotate them and read the scan counts. Anyone (signed in
or not) may resolve a code, as anyone may scan one.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from app.api.deps import (
    CurrentUser,
    ManagedTable,
    ManagedVenue,
    SessionDep,
    StaffedTable,
    StaffedVenue,
    commit,
)
from app.api.location import set_location
from app.core.errors import DateRangeTooLong, InvalidDateRange, TableLabelTaken, raises
from app.crud import table as table_crud
from app.models.table import VenueTable
from app.schema.common import IsoDate, Page, PageParams, page_params
from app.schema.table import (
    TableCreate,
    TableRead,
    TableResolved,
    TableScanReport,
    TableSheetLink,
    TableUpdate,
)
from app.services import qr
from app.services import table_sheet as table_sheet_service

router = APIRouter(tags=["tables"])

VENUE_TABLES = "/venues/{venue_id}/tables"
ONE_TABLE = VENUE_TABLES + "/{table_id}"

ImageScale = Annotated[int, Query(ge=1, le=40, description="Pixels per module")]


def _filename(table: VenueTable, ext: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", table.label).strip("-") or "table"
    return f"table-{slug}.{ext}"


# Public


@router.get("/tables/resolve/{token}", response_model=TableResolved)
def resolve_table(token: str, request: Request, session: SessionDep) -> TableResolved:
    """The venue and table a scanned code opens (counts as a scan, within the same
    per-address limit as the landing page); 404 if the code is forged, revoked or its
    table or venue is gone or inactive."""
    table, venue = table_crud.open_code(session, token=token, count=qr.counts_as_scan(request))
    commit(session)
    return TableResolved(
        venue_id=venue.id,
        venue_name=venue.name,
        table_id=table.id,
        table_label=table.label,
        deep_link=qr.deep_link(venue_id=venue.id, table_id=table.id),
    )


# Staff and managers


@router.get(VENUE_TABLES, response_model=Page[TableRead])
def list_tables(
    venue: StaffedVenue,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    is_active: Annotated[bool | None, Query(description="Only active or inactive")] = None,
) -> Page[VenueTable]:
    return table_crud.list_for_venue(session, venue_id=venue.id, is_active=is_active, page=page)


@router.post(VENUE_TABLES, response_model=TableRead, status_code=status.HTTP_201_CREATED)
@raises(TableLabelTaken)
def create_table(
    venue: ManagedVenue, data: TableCreate, session: SessionDep, response: Response
) -> VenueTable:
    table = table_crud.create(session, venue_id=venue.id, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/tables/{table.id}")
    return table


@router.get(
    VENUE_TABLES + "/qr-sheet",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "Printable page"}},
)
def table_qr_sheet(venue: StaffedVenue, session: SessionDep) -> HTMLResponse:
    """One printable page with the code and label of every active table (to open it in
    a browser, without a bearer header, ask for a `sheet-link`)."""
    return _sheet_response(table_sheet_service.sheet_html(session, venue=venue))


@router.post(VENUE_TABLES + "/sheet-link", response_model=TableSheetLink)
def table_sheet_link(venue: StaffedVenue, user: CurrentUser) -> TableSheetLink:
    """A link to open the printable sheet in a browser: signed for this venue and the
    caller, valid a few minutes (the caller's role is checked again when it is opened)."""
    return table_sheet_service.issue_link(venue=venue, user=user)


@router.get(
    VENUE_TABLES + "/qr-sheet/open",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "Printable page"},
        400: {"description": "The link is invalid or has expired"},
    },
)
def open_table_qr_sheet(
    venue_id: uuid.UUID,
    token: Annotated[str, Query(max_length=2048, description="From `sheet-link`")],
    session: SessionDep,
) -> HTMLResponse:
    """The printable sheet, opened with a link from `sheet-link` (no bearer header)."""
    html = table_sheet_service.open_sheet(session, venue_id=venue_id, token=token)
    return _sheet_response(html)


def _sheet_response(html: str) -> HTMLResponse:
    # The signed link is in the URL: never cached, never sent on as a referrer.
    return HTMLResponse(
        html, headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
    )


@router.get(VENUE_TABLES + "/scans", response_model=TableScanReport)
@raises(InvalidDateRange, DateRangeTooLong)
def table_scans(
    venue: ManagedVenue,
    session: SessionDep,
    date_from: Annotated[
        IsoDate | None, Query(description="First day (venue's local date)")
    ] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last day, included")] = None,
    table_id: Annotated[uuid.UUID | None, Query(description="Only this table")] = None,
) -> TableScanReport:
    """Scans per table per day (default: the last 30 days)."""
    return table_crud.scan_report(
        session, venue=venue, date_from=date_from, date_to=date_to, table_id=table_id
    )


@router.get(ONE_TABLE, response_model=TableRead)
def read_table(table: StaffedTable) -> VenueTable:
    return table


@router.patch(ONE_TABLE, response_model=TableRead)
@raises(TableLabelTaken)
def update_table(table: ManagedTable, data: TableUpdate, session: SessionDep) -> VenueTable:
    """Change a table; `is_active: false` deactivates it and revokes its code for good."""
    table = table_crud.update(session, table=table, data=data)
    commit(session)
    return table


@router.delete(ONE_TABLE, status_code=status.HTTP_204_NO_CONTENT)
def delete_table(table: ManagedTable, session: SessionDep) -> Response:
    table_crud.delete(session, table=table)
    commit(session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ONE_TABLE + "/rotate-token", response_model=TableRead)
def rotate_table_token(table: ManagedTable, session: SessionDep) -> VenueTable:
    """Issue a new code for the table; every code printed before stops working."""
    table = table_crud.rotate_token(session, table=table)
    commit(session)
    return table


@router.get(
    ONE_TABLE + "/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The table's QR code"}},
)
def table_qr_png(table: StaffedTable, scale: ImageScale = 10) -> Response:
    return Response(
        qr.png(qr.table_code_url(table), scale=scale),
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{_filename(table, "png")}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    ONE_TABLE + "/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The table's QR code"}},
)
def table_qr_svg(table: StaffedTable, scale: ImageScale = 10) -> Response:
    return Response(
        qr.svg(qr.table_code_url(table), scale=scale, title=f"Table {table.label}"),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": f'inline; filename="{_filename(table, "svg")}"',
            "Cache-Control": "private, no-store",
        },
    )
