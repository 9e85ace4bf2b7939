"""A holder's cover credits over HTTP: the list with balances, one with its ledger,
and nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import cover_credit
from tests.factories import auth_headers, make_consumer, make_user
from tests.factories.visits import enter, make_club_night, make_order, passes
from tests.utils import assert_error

URL = "/api/v1/users/me/cover-credits"


def test_a_holder_lists_their_credits_and_reads_one_with_its_ledger(
    session: Session, client: TestClient
) -> None:
    holder = make_consumer(session)
    night = make_club_night(session, credit_minor=100_000)
    past = make_club_night(
        session, starts_in=-timedelta(days=3), duration=timedelta(hours=5), credit_minor=50_000
    )
    [ticket] = passes(session, night=night, consumer=holder)
    [old] = passes(session, night=past, consumer=holder)
    enter(session, past, old, at=past.event.starts_at + timedelta(minutes=1))
    enter(session, night, ticket)
    order = make_order(session, venue=night.venue, consumer=holder, total_minor=30_000)
    cover_credit.spend(
        session,
        holder_id=holder.id,
        venue_id=night.venue.id,
        currency="INR",
        amount=30_000,
        order_id=order.id,
        at=datetime.now(UTC),
    )

    response = client.get(URL, headers=auth_headers(holder))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    newest, older = body["items"]
    assert newest["ticket_id"] == str(ticket.id)
    assert newest["venue_id"] == str(night.venue.id)
    assert newest["venue_name"] == night.venue.name
    assert newest["event_id"] == str(night.event.id)
    assert newest["event_title"] == night.event.title
    assert (newest["amount_minor"], newest["balance_minor"]) == (100_000, 70_000)
    assert newest["currency"] == "INR"
    assert newest["active"] is True
    assert datetime.fromisoformat(newest["expires_at"]) == night.event.ends_at
    assert (older["amount_minor"], older["balance_minor"], older["active"]) == (
        50_000,
        50_000,
        False,  # its event is over
    )

    response = client.get(f"{URL}/{newest['id']}", headers=auth_headers(holder))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["balance_minor"] == 70_000
    assert [
        (e["seq"], e["kind"], e["amount_minor"], e["balance_after_minor"], e["order_id"])
        for e in detail["entries"]
    ] == [
        (1, "granted", 100_000, 100_000, None),
        (2, "spent", -30_000, 70_000, str(order.id)),
    ]


def test_nobody_else_sees_a_credit(session: Session, client: TestClient) -> None:
    holder = make_consumer(session)
    night = make_club_night(session)
    [ticket] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket)
    [credit] = client.get(URL, headers=auth_headers(holder)).json()["items"]
    others = [
        make_consumer(session),
        night.owner,
        night.staff,
        make_user(session, is_superuser=True),
    ]
    for other in others:
        assert_error(client.get(f"{URL}/{credit['id']}", headers=auth_headers(other)), 404)
        assert client.get(URL, headers=auth_headers(other)).json()["items"] == []
    assert_error(client.get(f"{URL}/{credit['id']}"), 401)
    assert_error(client.get(URL), 401)
    assert_error(client.get(f"{URL}/not-an-id", headers=auth_headers(holder)), 422)
