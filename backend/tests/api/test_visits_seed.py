"""Demo data for club visits (`app/seed/visits.py`): past nights at two demo clubs,
with guests scanned in and out, returning guests, bar spend by tender and an
inside-now curve, made once by real calls and read over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.crud import user as user_crud
from app.models import User, Venue, VenueMembership, VenueRole
from app.models.booking import ScanOutcome, TicketScan
from app.models.group import ClubVisit, CoverCredit
from app.models.order import Order, OrderStatus
from app.seed import seed_all
from app.seed.people import CONSUMERS
from tests.factories import auth_headers

ME = "/api/v1/users/me/visits"


def _consumer(session: Session, n: int) -> User:
    user = user_crud.get_by_phone(session, phone=CONSUMERS[n].phone)
    assert user is not None
    return user


def _staff(session: Session, venue_id: Any) -> User:
    return session.exec(
        select(User)
        .join(VenueMembership, col(VenueMembership.user_id) == col(User.id))
        .where(VenueMembership.venue_id == venue_id, VenueMembership.role == VenueRole.STAFF)
    ).one()


def test_past_demo_nights_have_guests_spend_and_a_curve_once(
    client: TestClient, session: Session
) -> None:
    seed_all(session)
    visits = session.exec(select(func.count()).select_from(ClubVisit)).one()
    seed_all(session)  # idempotent
    assert session.exec(select(func.count()).select_from(ClubVisit)).one() == visits == 12

    now = datetime.now(UTC)
    every = session.exec(select(ClubVisit)).all()
    assert {v.inside for v in every} == {False}  # everyone went home
    assert all(v.last_exit_at and v.first_entry_at < v.last_exit_at < now for v in every)
    assert len({(v.venue_id, v.night) for v in every}) == 3
    assert len({v.venue_id for v in every}) == 2
    # The door refused nothing; the cover credit came at the first entries, in the night.
    assert not session.exec(
        select(TicketScan).where(col(TicketScan.outcome) != ScanOutcome.OK)
    ).all()
    credits = session.exec(select(CoverCredit)).all()
    assert credits
    assert all(c.created_at < c.expires_at < now for c in credits)

    # A demo consumer's own nights: two at one club, the second as a returning guest.
    aarav = _consumer(session, 0)
    mine = client.get(ME, headers=auth_headers(aarav))
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert len(items) == 2
    later, earlier = items
    assert later["venue_id"] == earlier["venue_id"]
    assert later["night"] > earlier["night"]
    assert earlier["entries"] == 2  # went out and came back in
    assert all(i["guests"] == 2 and i["cover_charge_minor"] > 0 for i in items)
    assert all(i["spend"]["credit_minor"] > 0 for i in items)
    assert all(i["last_exit_at"] and not i["inside"] for i in items)

    # The club's later night: returning guests, spend by tender and per head, the curve.
    club = session.get(Venue, later["venue_id"])
    assert club is not None
    staff = auth_headers(_staff(session, club.id))
    nights = client.get(f"/api/v1/venues/{club.id}/visits/nights", headers=staff).json()
    assert [n["night"] for n in nights["items"]] == [later["night"], earlier["night"]]
    assert nights["items"][1]["returning_visits"] == 0
    night = client.get(
        f"/api/v1/venues/{club.id}/visits", params={"night": later["night"]}, headers=staff
    )
    assert night.status_code == 200, night.text
    body = night.json()
    assert body["visits"] == 4
    assert body["returning_visits"] == 3
    assert body["new_visits"] == 1
    assert body["guests"] == body["new_guests"] + body["returning_guests"] > body["visits"]
    spend = body["spend"]
    assert spend["credit_minor"] > 0
    assert spend["gateway_minor"] > 0
    assert spend["total_minor"] == spend["credit_minor"] + spend["gateway_minor"]
    assert body["spend_per_head_minor"] == spend["total_minor"] // body["guests"] > 0
    curve = body["inside_curve"]
    assert len(curve) > 8
    inside = [p["inside"] for p in curve]
    assert max(inside) >= 5
    assert inside[-1] == 0
    assert sum(p["entered"] for p in curve) > body["guests"]  # re-entries too
    assert sum(p["entered"] for p in curve) == sum(p["exited"] for p in curve)
    [event] = body["events"]
    ended = datetime.fromisoformat(event["ends_at"])
    assert ended < now
    # Its bar orders were placed that night, and the staff took them through.
    placed = session.exec(
        select(Order.status).where(
            col(Order.venue_id) == club.id,
            col(Order.placed_at) >= datetime.fromisoformat(event["starts_at"]),
            col(Order.placed_at) < ended,
        )
    ).all()
    assert placed
    assert set(placed) == {OrderStatus.COMPLETED}
