"""The authorization matrix of the table-session and order routes.

The world's consumer joined the table's session and placed the orders; every other
signed-in actor is "another consumer" to them (a 404, a platform admin too: these
are a person's own). The venue's routes follow the venue roles. Then the food-court
cases: a QSR's staff against another QSR's sub-order of the same food court, and a
consumer of another session at the same table.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import User
from app.models.menu import MenuItem
from app.models.order import Order, TableSession
from app.models.table import VenueTable
from app.models.venue import PaymentMode
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories import auth_headers, make_consumer
from tests.factories.menus import make_pickup_point
from tests.factories.orders import (
    join,
    line,
    make_food_court,
    make_menu_item,
    order_on_session,
    order_pickup,
    pay,
    token_of,
)
from tests.factories.places import make_table

V = "/api/v1/venues/{venue_id}"

OWN = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
SIGNED_IN = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=401)
PLACE = expect(owner=201, manager=201, staff=201, other_owner=201, consumer=201, anonymous=401)
STAFF = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)


def _consumer(world: World) -> User:
    consumer = world.users[Actor.CONSUMER]
    assert consumer is not None
    return consumer


def _table(world: World) -> None:
    world.venue.payment_mode = PaymentMode.AT_END  # a tab: orders are placed at once
    world.session.add(world.venue)
    table = make_table(world.session, venue=world.venue)
    item = make_menu_item(world.session, venue=world.venue)
    point = make_pickup_point(world.session, venue=world.venue)
    world.ids.update(
        table_id=table.id, table_token=token_of(table), item_id=item.id, pickup_point_id=point.id
    )


def _session(world: World) -> None:
    _table(world)
    table = world.session.get(VenueTable, world.ids["table_id"])
    assert table is not None
    world.ids["session_id"] = join(world.session, table=table, user=_consumer(world)).id


def _order(world: World) -> None:
    _session(world)
    ts = world.session.get(TableSession, world.ids["session_id"])
    item = world.session.get(MenuItem, world.ids["item_id"])
    assert ts is not None
    assert item is not None
    made = order_on_session(
        world.session, table_session=ts, consumer=_consumer(world), lines=[line(item)]
    )
    world.ids["order_id"] = made.order.id


def _two_sessions(world: World) -> None:
    _session(world)
    other = make_table(world.session, venue=world.venue)
    world.ids["into_session_id"] = join(world.session, table=other).id


def _free_table(world: World) -> None:
    _session(world)
    world.ids["free_table_id"] = make_table(world.session, venue=world.venue).id


def _join_body(world: World) -> dict[str, object]:
    return {"table_token": world.ids["table_token"]}


def _pickup_body(world: World) -> dict[str, object]:
    return {
        "pickup_point_id": str(world.ids["pickup_point_id"]),
        "lines": [{"item_id": str(world.ids["item_id"]), "quantity": 1}],
    }


CASES = [
    Case("POST", "/api/v1/table-sessions", SIGNED_IN, body=_join_body, setup=_table),
    Case("GET", "/api/v1/table-sessions/{session_id}", OWN, setup=_session),
    Case("GET", V + "/table-sessions", STAFF),
    Case("GET", V + "/table-sessions/{session_id}", STAFF, setup=_session),
    Case(
        "POST",
        V + "/table-sessions/{session_id}/move",
        STAFF,
        body=lambda w: {"table_id": str(w.ids["free_table_id"])},
        setup=_free_table,
    ),
    Case(
        "POST",
        V + "/table-sessions/{session_id}/merge",
        STAFF,
        body=lambda w: {"into_session_id": str(w.ids["into_session_id"])},
        setup=_two_sessions,
    ),
    Case("POST", V + "/table-sessions/{session_id}/close", STAFF, setup=_session),
    Case("POST", "/api/v1/orders", PLACE, body=_pickup_body, setup=_table),
    Case("GET", "/api/v1/orders", SIGNED_IN),
    Case("GET", "/api/v1/orders/{order_id}", OWN, setup=_order),
    Case("POST", "/api/v1/orders/{order_id}/cancel", OWN, body={}, setup=_order),
    Case("GET", V + "/orders", STAFF),
    Case("GET", V + "/reports/sales", STAFF),
    Case("GET", V + "/orders?status=placed", STAFF),
    Case("GET", V + "/orders/{order_id}", STAFF, setup=_order),
    Case("POST", V + "/orders/{order_id}/status", STAFF, body={"to": "accepted"}, setup=_order),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def test_every_order_and_session_route_is_in_the_matrix(client: TestClient) -> None:
    covered = {(c.method, c.path.split("?")[0]) for c in CASES}
    spec = client.get("/api/v1/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if set(operation.get("tags", [])) & {"orders", "sessions"}
        and (method.upper(), path) not in covered
    ]
    assert missing == []


def test_a_consumer_of_another_session_at_the_same_table_is_404(
    world: World, client: TestClient
) -> None:
    _order(world)  # the world's consumer at the table's first session
    ts = world.session.get(TableSession, world.ids["session_id"])
    table = world.session.get(VenueTable, world.ids["table_id"])
    item = world.session.get(MenuItem, world.ids["item_id"])
    assert ts is not None
    assert table is not None
    assert item is not None
    staff = world.users[Actor.STAFF]
    assert staff is not None
    rejected = client.post(  # the tab is empty again: it may be closed
        f"/api/v1/venues/{world.venue.id}/orders/{world.ids['order_id']}/status",
        json={"to": "rejected"},
        headers=auth_headers(staff),
    )
    assert rejected.status_code == 200, rejected.text
    closed = client.post(
        f"/api/v1/venues/{world.venue.id}/table-sessions/{ts.id}/close", headers=auth_headers(staff)
    )
    assert closed.status_code == 200
    later = make_consumer(world.session)
    new = join(world.session, table=table, user=later)
    assert new.id != ts.id
    h_first, h_later = auth_headers(_consumer(world)), auth_headers(later)
    order_id = world.ids["order_id"]
    assert client.get(f"/api/v1/table-sessions/{new.id}", headers=h_first).status_code == 404
    assert client.get(f"/api/v1/table-sessions/{ts.id}", headers=h_later).status_code == 404
    assert client.get(f"/api/v1/orders/{order_id}", headers=h_later).status_code == 404
    body = {"session_id": str(new.id), "lines": [{"item_id": str(item.id), "quantity": 1}]}
    assert client.post("/api/v1/orders", json=body, headers=h_first).status_code == 404
    assert client.post("/api/v1/orders", json=body, headers=h_later).status_code == 201


def test_a_qsr_staff_against_another_qsrs_sub_order_is_404(
    world: World, client: TestClient
) -> None:
    fc = make_food_court(world.session)
    made = order_pickup(world.session, point=fc.pickup, lines=[line(i) for i in fc.items])
    pay(world.session, made)
    subs = {
        o.venue_id: o
        for o in world.session.exec(select(Order).where(Order.parent_id == made.order.id))
    }
    a, b = fc.qsrs
    theirs = subs[b.id]
    h = auth_headers(fc.qsr_staff[0])
    for venue in (a, b, fc.court):
        base = f"/api/v1/venues/{venue.id}/orders/{theirs.id}"
        assert client.get(base, headers=h).status_code == 404
        moved = client.post(base + "/status", json={"to": "accepted"}, headers=h)
        assert moved.status_code == 404
    # the food court's staff see it (a move is B's staff's: 403), and B's staff move it
    court = auth_headers(fc.court_staff)
    assert (
        client.get(f"/api/v1/venues/{fc.court.id}/orders/{theirs.id}", headers=court).status_code
        == 200
    )
    by_court = client.post(
        f"/api/v1/venues/{fc.court.id}/orders/{theirs.id}/status",
        json={"to": "accepted"},
        headers=court,
    )
    assert by_court.status_code == 403
    assert by_court.json()["error"] == "sub_order_moved_by_its_venue"
    own = client.post(
        f"/api/v1/venues/{b.id}/orders/{theirs.id}/status",
        json={"to": "accepted"},
        headers=auth_headers(fc.qsr_staff[1]),
    )
    assert own.status_code == 200
    # the parent is on no board
    assert (
        client.get(
            f"/api/v1/venues/{fc.court.id}/orders/{made.order.id}", headers=court
        ).status_code
        == 404
    )
