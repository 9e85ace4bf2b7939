"""Routes: tickets and the door.

A booking's consumer (only them: anyone else gets 404) lists its tickets and gets
each one's QR code, as PNG or SVG; the code encodes the ticket's page
(`/t/{token}`). Staff of the event's venue (and above) scan tickets at the door in
batches, and read how many guests are inside (the rules are in `app.services.door`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.api.deps import CurrentUser, OwnBooking, OwnTicket, SessionDep, StaffedEvent, commit
from app.core import ticket_token
from app.core.errors import TicketVoid, raises
from app.crud import ticket as ticket_crud
from app.models.booking import Ticket, TicketStatus
from app.schema.common import Page, PageParams, page_params
from app.schema.ticket import Attendance, ScanBatch, ScanBatchResult, TicketRead
from app.services import door as door_service
from app.services import qr

router = APIRouter(tags=["tickets"])

EVENT_DOOR = "/venues/{venue_id}/events/{event_id}"

ImageScale = Annotated[int, Query(ge=1, le=40, description="Pixels per module")]


# The booking's consumer


@router.get("/bookings/{booking_id}/tickets", response_model=Page[TicketRead])
def list_booking_tickets(
    booking: OwnBooking,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[TicketRead]:
    """The booking's tickets, one per pass, with the code each one's QR encodes (none
    until the booking is confirmed; a void ticket has no code)."""
    return ticket_crud.list_for_booking(session, booking_id=booking.id, page=page)


def _code_url(ticket: Ticket) -> str:
    if ticket.status != TicketStatus.VALID:
        raise TicketVoid()
    return ticket_token.ticket_url(ticket_id=ticket.id, version=ticket.token_version)


_IMAGE_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@router.get(
    "/tickets/{ticket_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The ticket's QR code"}},
)
@raises(TicketVoid)
def ticket_qr_png(ticket: OwnTicket, scale: ImageScale = 10) -> Response:
    return Response(
        qr.png(_code_url(ticket), scale=scale),
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="ticket-{ticket.id}.png"',
            **_IMAGE_HEADERS,
        },
    )


@router.get(
    "/tickets/{ticket_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The ticket's QR code"}},
)
@raises(TicketVoid)
def ticket_qr_svg(ticket: OwnTicket, scale: ImageScale = 10) -> Response:
    return Response(
        qr.svg(_code_url(ticket), scale=scale, title="Ticket"),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": f'inline; filename="ticket-{ticket.id}.svg"',
            **_IMAGE_HEADERS,
        },
    )


# Staff at the door


@router.post(EVENT_DOOR + "/scans", response_model=ScanBatchResult)
def scan_tickets(
    event: StaffedEvent, user: CurrentUser, data: ScanBatch, session: SessionDep
) -> ScanBatchResult:
    """Apply a batch of door scans (1 to 200; a device that was offline uploads what it
    scanned) and answer each at once: the outcome, the guests on the pass, the
    offering and whether the pass is inside now. Every scan is recorded, refused ones
    too. A scan whose `client_nonce` is already recorded for this event is not applied
    again and answers the recorded outcome (`replayed: true`).

    The door opens `DOOR_OPENS_MINUTES_BEFORE` (default 60) minutes before the event
    starts and lets nobody in from its end (`not_open_yet`, `event_over`), judged at
    each scan's `scanned_at`; exits are taken any time. After an exit, an entry is let
    in only if the pass's offering allows re-entry (`no_reentry`)."""
    results = door_service.record_scans(session, event=event, staff=user, scans=data.scans)
    commit(session)
    return ScanBatchResult(results=results)


@router.get(EVENT_DOOR + "/attendance", response_model=Attendance)
def event_attendance(event: StaffedEvent, session: SessionDep) -> Attendance:
    """Guests inside now, guests checked in at least once, and the passes sold."""
    return door_service.attendance(session, event=event)
