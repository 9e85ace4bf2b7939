"""Pickup points: managers add, rename, reorder and (de)activate them; staff read them;
anyone sees a visible venue's active ones."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User, Venue, VenueKind, VenueRole
from app.models.order import Order, OrderKind, OrderStatus
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.menus import make_pickup_point
from tests.utils import assert_error

URL = "/api/v1/venues"


@pytest.fixture
def team(session: Session) -> tuple[Venue, User, User, User]:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = make_venue(session, owner=owner, kind=VenueKind.QSR)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    return venue, owner, manager, staff


def test_pickup_points_crud(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, staff = team
    h, p = auth_headers(manager), f"{URL}/{venue.id}/pickup-points"
    counter = client.post(p, json={"name": "  Counter   A "}, headers=h)
    assert counter.status_code == 201, counter.text
    a = counter.json()
    assert a["name"] == "Counter A"
    assert a["is_active"] is True
    assert a["display_order"] == 0
    assert counter.headers["Location"].endswith(f"/pickup-points/{a['id']}")
    b = client.post(p, json={"name": "Counter B"}, headers=h).json()
    assert b["display_order"] == 1
    bar = client.post(p, json={"name": "Bar", "is_active": False}, headers=h).json()
    assert_error(
        client.post(p, json={"name": "counter a"}, headers=h), 409, "pickup_point_name_taken"
    )
    assert_error(
        client.patch(f"{p}/{b['id']}", json={"name": "COUNTER A"}, headers=h),
        409,
        "pickup_point_name_taken",
    )

    listed = client.get(p, headers=auth_headers(staff))
    assert listed.status_code == 200
    assert [x["name"] for x in listed.json()] == ["Counter A", "Counter B", "Bar"]
    public = client.get(f"{p}/active")
    assert public.status_code == 200
    assert public.json() == [
        {"id": a["id"], "name": "Counter A", "display_order": 0},
        {"id": b["id"], "name": "Counter B", "display_order": 1},
    ]

    moved = client.patch(f"{p}/{b['id']}", json={"display_order": 0, "name": "Pickup"}, headers=h)
    assert moved.status_code == 200, moved.text
    client.patch(f"{p}/{a['id']}", json={"is_active": False}, headers=h)
    client.patch(f"{p}/{bar['id']}", json={"is_active": True}, headers=h)
    assert [x["name"] for x in client.get(f"{p}/active").json()] == ["Pickup", "Bar"]

    assert client.delete(f"{p}/{bar['id']}", headers=h).status_code == 204
    assert_error(client.delete(f"{p}/{bar['id']}", headers=h), 404)
    assert_error(client.post(p, json={"name": "X"}, headers=auth_headers(staff)), 403)
    assert_error(
        client.patch(f"{p}/{a['id']}", json={"name": "X"}, headers=auth_headers(staff)), 403
    )


def test_a_pickup_point_with_orders_is_deactivated_not_deleted(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    point = make_pickup_point(session, venue=venue, name="Counter")
    order = Order(
        venue_id=venue.id,
        kind=OrderKind.PICKUP,
        status=OrderStatus.PLACED,
        pickup_point_id=point.id,
        placed_by_id=make_consumer(session).id,
        currency="INR",
    )
    session.add(order)
    session.flush()
    url = f"{URL}/{venue.id}/pickup-points/{point.id}"
    assert_error(client.delete(url, headers=auth_headers(owner)), 409, "pickup_point_in_use")
    assert (
        client.patch(url, json={"is_active": False}, headers=auth_headers(owner)).status_code == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "Coun\u0000ter"},
        {"name": "x" * 101},
        {"name": "Counter", "display_order": -1},
        {"name": "Counter", "display_order": 10**20},
        {"name": "Counter", "is_active": "true"},
        {"name": "Counter", "venue_id": str(uuid.uuid4())},
        {},
    ],
)
def test_pickup_point_bad_input(
    client: TestClient, session: Session, team: Any, body: dict[str, Any]
) -> None:
    venue, owner, _m, _s = team
    h = auth_headers(owner)
    assert_error(client.post(f"{URL}/{venue.id}/pickup-points", json=body, headers=h), 422)
    point = make_pickup_point(session, venue=venue)
    if body:  # an empty update changes nothing, and is fine
        assert_error(
            client.patch(f"{URL}/{venue.id}/pickup-points/{point.id}", json=body, headers=h), 422
        )


def test_update_refuses_nulls(client: TestClient, session: Session, team: Any) -> None:
    venue, owner, _m, _s = team
    point = make_pickup_point(session, venue=venue)
    for body in ({"name": None}, {"is_active": None}, {"display_order": None}):
        assert_error(
            client.patch(
                f"{URL}/{venue.id}/pickup-points/{point.id}", json=body, headers=auth_headers(owner)
            ),
            422,
        )


def test_pickup_points_of_another_venue_are_404(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    foreign = make_pickup_point(session, venue=make_venue(session), name="Theirs")
    h, p = auth_headers(owner), f"{URL}/{venue.id}/pickup-points"
    assert_error(client.patch(f"{p}/{foreign.id}", json={"name": "Mine"}, headers=h), 404)
    assert_error(client.delete(f"{p}/{foreign.id}", headers=h), 404)
    assert client.get(p, headers=h).json() == []
    session.refresh(foreign)
    assert foreign.name == "Theirs"


def test_the_public_list_is_only_for_visible_venues(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    draft = make_venue(session, owner=owner, verified=False)
    make_pickup_point(session, venue=draft, name="Counter")
    assert_error(client.get(f"{URL}/{draft.id}/pickup-points/active"), 404)
    assert_error(
        client.get(
            f"{URL}/{draft.id}/pickup-points/active", headers=auth_headers(make_consumer(session))
        ),
        404,
    )
    members = client.get(f"{URL}/{draft.id}/pickup-points/active", headers=auth_headers(owner))
    assert [x["name"] for x in members.json()] == ["Counter"]
    assert_error(client.get(f"{URL}/{uuid.uuid4()}/pickup-points/active"), 404)
