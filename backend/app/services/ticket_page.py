"""The ticket page `/t/{token}`: what a ticket's QR code opens on the guest's phone.

It shows the event, the venue, the date and time in the venue's time zone, the
pass, the guests it admits, its state (valid, inside, void) and the code itself,
to show at the door. A code that is not ours gets a friendly 404 page; so does a
void ticket (cancelled or refunded), saying so.
"""

from __future__ import annotations

from datetime import datetime

from app.core import ticket_token, timezones
from app.crud.ticket import TicketPage
from app.models import EventStatus
from app.models.booking import TicketStatus
from app.services import qr


def _when(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
    """`Sat 5 Dec 2026, 22:00 to 03:00 IST` (with a dash), in the venue's time zone."""
    zone = timezones.zone(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = f"{start:%a} {start.day} {start:%b %Y}"
    until = (
        f"{end:%H:%M}" if (end - start).days < 1 else f"{end:%a} {end.day} {end:%b}, {end:%H:%M}"
    )
    return f"{day}, {start:%H:%M} \u2013 {until} {end:%Z}".strip()


def is_void(page: TicketPage) -> bool:
    """A void ticket, or a code issued before it was voided."""
    return page.ticket.status == TicketStatus.VOID or not page.current


def ticket_html(page: TicketPage) -> str:
    ticket, event = page.ticket, page.event
    url = ticket_token.ticket_url(ticket_id=ticket.id, version=ticket.token_version)
    if event.status == EventStatus.CANCELLED:
        note = "This event was cancelled. Your booking will be refunded."
    elif event.ends_at <= datetime.now(event.ends_at.tzinfo):
        note = "This event is over."
    else:
        note = None
    return qr.render(
        "ticket",
        event_title=event.title,
        venue_name=page.venue.name,
        when=_when(event.starts_at, event.ends_at, page.venue.timezone),
        offering_name=page.offering.name,
        guests=ticket.guests,
        state="inside" if ticket.inside else "valid",
        qr_svg=qr.svg_inline(url),
        note=note,
    )


def void_html(page: TicketPage) -> str:
    return qr.render(
        "ticket_void",
        event_title=page.event.title,
        venue_name=page.venue.name,
        when=_when(page.event.starts_at, page.event.ends_at, page.venue.timezone),
        offering_name=page.offering.name,
    )


def not_found_html() -> str:
    return qr.render("ticket_not_found")
