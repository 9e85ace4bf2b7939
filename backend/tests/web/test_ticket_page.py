"""The ticket page `/t/{token}`: what a ticket's QR code opens on the guest's phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import ticket_token
from app.models import Event, EventStatus
from app.models.booking import Ticket
from app.services.tickets import void_tickets
from app.web.qr import PAGE_HEADERS
from tests.factories import make_user, make_venue
from tests.factories.bookings import make_offering
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets, token_of

# 21:30 on Saturday 5 December 2026 in Bengaluru (UTC+05:30), until 03:00.
STARTS = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)


def _event(session: Session, *, timezone: str = "Asia/Kolkata", **fields: Any) -> Event:
    venue = make_venue(session, owner=make_user(session), name="Skyline <Club>", timezone=timezone)
    event = make_event(session, venue=venue, title="Techno & Tonic", **fields)
    event.starts_at, event.ends_at = STARTS, STARTS + timedelta(hours=5, minutes=30)
    session.add(event)
    session.flush()
    return event


def _ticket(session: Session, event: Event) -> Ticket:
    couple = make_offering(session, event=event, name="Couple entry", guests_per_pass=2)
    return make_tickets(session, event=event, offering=couple)[1][0]


def test_a_valid_ticket(client: TestClient, session: Session) -> None:
    event = _event(session)
    ticket = _ticket(session, event)

    response = client.get(f"/t/{token_of(ticket)}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Techno &amp; Tonic" in html
    assert "Skyline &lt;Club&gt;" in html  # escaped, never markup
    assert "Sat 5 Dec 2026, 21:30 \u2013 03:00 IST" in html
    assert "Couple entry" in html
    assert "2 guests" in html
    assert 'data-state="valid"' in html
    assert "<svg" in html  # the code to show at the door
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value


def test_the_time_is_the_venues_own(client: TestClient, session: Session) -> None:
    ticket = _ticket(session, _event(session, timezone="Europe/London"))
    html = client.get(f"/t/{token_of(ticket)}").text
    assert "Sat 5 Dec 2026, 16:00 \u2013 21:30 GMT" in html


def test_a_guest_inside(client: TestClient, session: Session) -> None:
    ticket = _ticket(session, _event(session))
    ticket.inside, ticket.entered_at = True, datetime.now(UTC)
    session.add(ticket)
    session.flush()
    response = client.get(f"/t/{token_of(ticket)}")
    assert response.status_code == 200
    assert 'data-state="inside"' in response.text
    assert "Checked in" in response.text


def test_the_page_opens_from_the_ticket_url_itself(client: TestClient, session: Session) -> None:
    ticket = _ticket(session, _event(session))
    url = ticket_token.ticket_url(ticket_id=ticket.id, version=ticket.token_version)
    path = url[url.index("/t/") :]
    assert client.get(path).status_code == 200


def test_a_void_ticket_gets_a_friendly_404(client: TestClient, session: Session) -> None:
    event = _event(session)
    booking, [ticket] = make_tickets(session, event=event)
    old = token_of(ticket)
    void_tickets(session, booking=booking)
    for token in (old, token_of(ticket)):
        response = client.get(f"/t/{token}")
        assert response.status_code == 404
        assert 'data-state="void"' in response.text
        assert "no longer valid" in response.text
        assert "Techno &amp; Tonic" in response.text
        assert "<svg" not in response.text  # no code to show


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "A" * 50,
        "x" * 5000,
        "%00",
        "a/b/c",
        "\u00e9t\u00e9",
    ],
)
def test_a_code_that_is_not_ours_gets_a_friendly_404(client: TestClient, token: str) -> None:
    response = client.get(f"/t/{token}")
    assert response.status_code == 404
    assert "can't find this ticket" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_a_forged_or_unknown_ticket_gets_the_same_404(client: TestClient, session: Session) -> None:
    ticket = _ticket(session, _event(session))
    token = token_of(ticket)
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    unknown = ticket_token.encode_ticket_token(ticket_id=uuid.uuid4(), version=1)
    for code in (forged, unknown):
        response = client.get(f"/t/{code}")
        assert response.status_code == 404
        assert "can't find this ticket" in response.text


def test_a_cancelled_event_says_so(client: TestClient, session: Session) -> None:
    event = _event(session, status=EventStatus.CANCELLED)
    response = client.get(f"/t/{token_of(_ticket(session, event))}")
    assert response.status_code == 200
    assert "This event was cancelled" in response.text


def test_head_sends_the_headers_without_the_page(client: TestClient, session: Session) -> None:
    ticket = _ticket(session, _event(session))
    ok = client.head(f"/t/{token_of(ticket)}")
    assert ok.status_code == 200
    assert ok.content == b""
    assert ok.headers["x-robots-tag"] == "noindex, nofollow"
    missing = client.head("/t/nope")
    assert missing.status_code == 404
    assert missing.content == b""


def test_other_methods_are_not_allowed(client: TestClient) -> None:
    response = client.post("/t/nope")
    assert response.status_code == 405
