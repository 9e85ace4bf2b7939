"""A consumer's tickets: the list with their codes, and each one's QR code."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import ticket_token
from app.core.config import settings
from app.main import create_app
from app.models import Event, User
from app.models.booking import BookingStatus, OfferingKind
from app.services import qr
from app.services.tickets import void_tickets
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets
from tests.utils import QueryCounter, assert_error


def _event(session: Session) -> Event:
    return make_event(session, venue=make_venue(session, owner=make_user(session)))


def _tickets_url(booking_id: object) -> str:
    return f"/api/v1/bookings/{booking_id}/tickets"


def test_the_consumer_lists_the_bookings_tickets_with_their_codes(
    client: TestClient, session: Session
) -> None:
    event = _event(session)
    consumer = make_consumer(session)
    couple = make_offering(
        session, event=event, name="Couple entry", kind=OfferingKind.COUPLE, guests_per_pass=2
    )
    booking, tickets = make_tickets(
        session, event=event, consumer=consumer, offering=couple, quantity=3
    )

    response = client.get(_tickets_url(booking.id), headers=auth_headers(consumer))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert {item["id"] for item in body["items"]} == {str(t.id) for t in tickets}
    for item in body["items"]:
        assert item["offering_name"] == "Couple entry"
        assert item["guests"] == 2
        assert item["status"] == "valid"
        assert item["inside"] is False
        assert item["entered_at"] is None
        claims = ticket_token.decode_ticket_token(item["token"])
        assert str(claims.ticket_id) == item["id"]
        assert item["ticket_url"].endswith("/t/" + item["token"])


def test_the_list_pages(client: TestClient, session: Session) -> None:
    consumer = make_consumer(session)
    booking, _ = make_tickets(session, event=_event(session), consumer=consumer, quantity=3)
    response = client.get(
        _tickets_url(booking.id) + "?limit=2&offset=2", headers=auth_headers(consumer)
    )
    assert response.status_code == 200
    assert (response.json()["total"], len(response.json()["items"])) == (3, 1)


def test_a_held_booking_has_no_tickets_yet(client: TestClient, session: Session) -> None:
    event = _event(session)
    consumer = make_consumer(session)
    booking = make_booking(
        session, consumer=consumer, items=[(make_offering(session, event=event), 1)]
    )
    response = client.get(_tickets_url(booking.id), headers=auth_headers(consumer))
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_void_tickets_have_no_code(client: TestClient, session: Session) -> None:
    consumer = make_consumer(session)
    booking, [ticket] = make_tickets(session, event=_event(session), consumer=consumer)
    booking.status = BookingStatus.CANCELLED
    void_tickets(session, booking=booking)
    headers = auth_headers(consumer)

    [item] = client.get(_tickets_url(booking.id), headers=headers).json()["items"]
    assert item["status"] == "void"
    assert item["token"] is None
    assert item["ticket_url"] is None
    for ext in ("png", "svg"):
        response = client.get(f"/api/v1/tickets/{ticket.id}/qr.{ext}", headers=headers)
        assert_error(response, 409, "ticket_void")


def test_nobody_else_sees_the_tickets(client: TestClient, session: Session) -> None:
    event = _event(session)
    booking, [ticket] = make_tickets(session, event=event)
    venue_owner = make_user(session)  # not even the venue's team sees a consumer's codes
    admin = make_user(session, is_superuser=True)
    for user in (make_consumer(session), venue_owner, admin):
        headers = auth_headers(user)
        assert_error(client.get(_tickets_url(booking.id), headers=headers), 404, "not_found")
        for ext in ("png", "svg"):
            response = client.get(f"/api/v1/tickets/{ticket.id}/qr.{ext}", headers=headers)
            assert_error(response, 404, "not_found")
    assert_error(client.get(_tickets_url(booking.id)), 401, "not_authenticated")
    assert_error(client.get(f"/api/v1/tickets/{ticket.id}/qr.png"), 401, "not_authenticated")


def test_unknown_and_malformed_ids(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_consumer(session))
    assert_error(client.get(_tickets_url(uuid.uuid4()), headers=headers), 404, "not_found")
    assert_error(
        client.get(f"/api/v1/tickets/{uuid.uuid4()}/qr.svg", headers=headers), 404, "not_found"
    )
    assert_error(client.get(_tickets_url("nope"), headers=headers), 422, "invalid")
    assert_error(client.get("/api/v1/tickets/nope/qr.png", headers=headers), 422, "invalid")


def _owner_and_ticket(session: Session) -> tuple[User, uuid.UUID, int]:
    consumer = make_consumer(session)
    _, [ticket] = make_tickets(session, event=_event(session), consumer=consumer)
    return consumer, ticket.id, ticket.token_version


def test_the_qr_png(client: TestClient, session: Session) -> None:
    consumer, ticket_id, _ = _owner_and_ticket(session)
    response = client.get(
        f"/api/v1/tickets/{ticket_id}/qr.png?scale=4", headers=auth_headers(consumer)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.headers["cache-control"] == "private, no-store"
    assert f"ticket-{ticket_id}.png" in response.headers["content-disposition"]


def test_the_qr_svg_encodes_the_ticket_page(client: TestClient, session: Session) -> None:
    consumer, ticket_id, version = _owner_and_ticket(session)
    response = client.get(f"/api/v1/tickets/{ticket_id}/qr.svg", headers=auth_headers(consumer))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in response.content
    # The same URL always gives the same image: the code is the ticket page's URL.
    url = ticket_token.ticket_url(ticket_id=ticket_id, version=version)
    assert response.content == qr.svg(url, scale=10, title="Ticket")


def test_the_image_scale_is_bounded(client: TestClient, session: Session) -> None:
    consumer, ticket_id, _ = _owner_and_ticket(session)
    for scale in ("0", "41", "big"):
        response = client.get(
            f"/api/v1/tickets/{ticket_id}/qr.png?scale={scale}", headers=auth_headers(consumer)
        )
        assert_error(response, 422, "invalid")


def test_the_list_takes_the_same_queries_for_one_ticket_or_many(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    event = _event(session)
    consumer = make_consumer(session)
    headers = auth_headers(consumer)
    one, _ = make_tickets(session, event=event, consumer=consumer, quantity=1)
    many, _ = make_tickets(session, event=event, consumer=consumer, quantity=20)
    counts = []
    for booking in (one, many):
        with queries.count() as counted:
            assert client.get(_tickets_url(booking.id), headers=headers).status_code == 200
        counts.append(counted.total)
    assert counts[0] == counts[1]


def test_the_openapi_document_describes_the_images_and_their_errors() -> None:
    document = create_app().openapi()
    one_ticket = f"{settings.API_V1_STR}/tickets/{{ticket_id}}"
    for suffix, media_type in (("/qr.png", "image/png"), ("/qr.svg", "image/svg+xml")):
        responses = document["paths"][one_ticket + suffix]["get"]["responses"]
        assert responses["200"]["content"] == {
            media_type: {"schema": {"type": "string", "format": "binary"}}
        }
        assert set(responses["409"]["content"]["application/json"]["examples"]) == {"ticket_void"}
