"""Sales per night: what a venue sold, summed in the database per night (06:00 to 06:00
in the venue's own time zone) and currency, the newest night first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import VenueKind, VenueRole
from app.models.order import OrderStatus
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.visits import make_order

IST = timezone(timedelta(hours=5, minutes=30))


def _sales(
    client: TestClient, venue_id: object, headers: dict[str, str], **params: object
) -> dict[str, Any]:
    resp = client.get(f"/api/v1/venues/{venue_id}/reports/sales", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_sold_orders_are_summed_per_local_night_newest_first(
    session: Session, client: TestClient
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)  # Asia/Kolkata
    guest = make_consumer(session)
    monday_evening = datetime(2026, 11, 23, 22, 0, tzinfo=IST)
    for placed_at, total, status in [
        (monday_evening, 10_000, OrderStatus.COMPLETED),
        # 02:00 and 05:59 on Tuesday still belong to Monday's night.
        (monday_evening + timedelta(hours=4), 20_000, OrderStatus.SERVED),
        (monday_evening + timedelta(hours=7, minutes=59), 30_000, OrderStatus.PICKED_UP),
        # 06:00 starts Tuesday's night; 00:30 UTC on Tuesday is Tuesday 06:00 IST.
        (datetime(2026, 11, 24, 0, 30, tzinfo=UTC), 40_000, OrderStatus.COMPLETED),
        # Not sold: never counted.
        (monday_evening, 99_000, OrderStatus.REJECTED),
        (monday_evening, 99_000, OrderStatus.CANCELLED),
        (monday_evening, 99_000, OrderStatus.PREPARING),
    ]:
        make_order(
            session,
            venue=venue,
            consumer=guest,
            total_minor=total,
            status=status,
            placed_at=placed_at,
        )
    other = make_venue(session)
    make_order(session, venue=other, consumer=guest, total_minor=77_000, placed_at=monday_evening)

    page = _sales(client, venue.id, auth_headers(owner))
    assert page["total"] == 2
    assert page["items"] == [
        {"night": "2026-11-24", "currency": "INR", "orders": 1, "total_minor": 40_000},
        {"night": "2026-11-23", "currency": "INR", "orders": 3, "total_minor": 60_000},
    ]
    older = _sales(client, venue.id, auth_headers(owner), limit=1, offset=1)
    assert (older["total"], [r["night"] for r in older["items"]]) == (2, ["2026-11-23"])


def test_the_nights_are_the_venues_own(session: Session, client: TestClient) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, timezone="America/New_York")
    # 10:00 UTC on 24 November is 05:00 in New York: still the night of the 23rd there
    # (in India it would be the 24th's).
    make_order(
        session,
        venue=venue,
        consumer=make_consumer(session),
        total_minor=5_000,
        placed_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
    )
    [night] = _sales(client, venue.id, auth_headers(owner))["items"]
    assert night["night"] == "2026-11-23"


def test_a_food_court_counts_its_qsrs_parts_once(session: Session, client: TestClient) -> None:
    manager = make_user(session)
    court = make_venue(session, owner=manager, kind=VenueKind.FOOD_COURT)
    qsrs = [make_venue(session, kind=VenueKind.QSR, food_court_id=court.id) for _ in range(2)]
    guest = make_consumer(session)
    placed = datetime(2026, 11, 23, 20, 0, tzinfo=IST)
    parent = make_order(session, venue=court, consumer=guest, total_minor=30_000, placed_at=placed)
    for qsr, part in zip(qsrs, (10_000, 20_000), strict=True):
        make_order(
            session, venue=qsr, consumer=guest, total_minor=part, placed_at=placed, parent=parent
        )
    court_sales = _sales(client, court.id, auth_headers(manager))["items"]
    assert court_sales == [
        {"night": "2026-11-23", "currency": "INR", "orders": 2, "total_minor": 30_000}
    ]
    # Each QSR sees its own part.
    qsr_staff = make_user(session)
    add_member(session, venue=qsrs[0], user=qsr_staff, role=VenueRole.STAFF)
    assert _sales(client, qsrs[0].id, auth_headers(qsr_staff))["items"] == [
        {"night": "2026-11-23", "currency": "INR", "orders": 1, "total_minor": 10_000}
    ]
