"""Orders over HTTP: placing (with Idempotency-Key retries and hostile input), the
consumer's own orders, the staff's board and moves, food courts."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import VenueKind
from app.models.order import Order, OrderStatus
from app.models.payment import Payment, Refund
from app.models.venue import PaymentMode
from tests.factories import auth_headers, make_consumer
from tests.factories.jobs import run_jobs
from tests.factories.orders import (
    join,
    line,
    make_dining,
    make_food_court,
    order_on_session,
    order_pickup,
    pay,
)
from tests.utils import QueryCounter, assert_error

URL = "/api/v1/orders"


def _board(venue_id: uuid.UUID, suffix: str = "") -> str:
    return f"/api/v1/venues/{venue_id}/orders{suffix}"


def _lines(*items: Any, quantity: int = 1) -> list[dict[str, Any]]:
    return [{"item_id": str(i.id), "quantity": quantity} for i in items]


def _checkout_path(resp: Any) -> str:
    url: str = resp.json()["checkout"]["checkout_url"]
    return "/" + url.split("/", 3)[3]


def test_a_pickup_order_retried_with_its_key_is_one_order_and_one_charge(
    session: Session, client: TestClient
) -> None:
    d = make_dining(session, kind=VenueKind.QSR)
    consumer = make_consumer(session)
    h = {**auth_headers(consumer), "Idempotency-Key": "order-1"}
    body = {"pickup_point_id": str(d.pickup.id), "lines": _lines(d.item, quantity=2)}
    first = client.post(URL, json=body, headers=h)
    assert first.status_code == 201, first.text
    again = client.post(URL, json=body, headers=h)
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    created = first.json()
    assert created["order"]["status"] == "awaiting_payment"
    assert created["order"]["kind"] == "pickup"
    assert created["order"]["total_minor"] == 50_000
    assert created["checkout"]["amount_minor"] == 50_000
    assert first.headers["Location"].endswith(f"/orders/{created['order']['id']}")
    orders = session.exec(select(Order).where(Order.placed_by_id == consumer.id)).all()
    assert len(orders) == 1
    assert len(session.exec(select(Payment).where(Payment.order_id == orders[0].id)).all()) == 1
    other_body = {**body, "lines": _lines(d.item)}
    assert_error(client.post(URL, json=other_body, headers=h), 422, "idempotency_key_reused")

    done = client.post(_checkout_path(first) + "/pay")
    assert done.status_code == 200, done.text
    run_jobs(session)
    mine = client.get(f"{URL}/{created['order']['id']}", headers=auth_headers(consumer))
    assert mine.status_code == 200
    assert mine.json()["status"] == "placed"
    assert [h["to_status"] for h in mine.json()["history"]] == ["awaiting_payment", "placed"]
    assert mine.json()["lines"][0]["quantity"] == 2


def test_a_tab_order_is_placed_with_no_checkout(session: Session, client: TestClient) -> None:
    d = make_dining(session, kind=VenueKind.NIGHTCLUB)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    resp = client.post(
        URL,
        json={"session_id": str(ts.id), "lines": _lines(d.item), "kind": "tab"},
        headers=auth_headers(consumer),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["checkout"] is None
    assert resp.json()["order"]["status"] == "placed"
    assert resp.json()["order"]["session_id"] == str(ts.id)


def test_hostile_order_input_is_a_clear_4xx(session: Session, client: TestClient) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    h = auth_headers(consumer)
    base = {"session_id": str(ts.id)}
    for lines in (
        _lines(d.item, quantity=100),
        _lines(d.item, quantity=0),
        _lines(d.item, quantity=10**12),
        [],
        _lines(*([d.item] * 51)),
        [{"item_id": "not-a-uuid", "quantity": 1}],
        [{"item_id": str(d.item.id), "quantity": 1, "unit_price_minor": 1}],
        [{"item_id": str(d.item.id), "quantity": 1, "add_on_ids": [str(d.item.id)] * 2}],
    ):
        assert_error(client.post(URL, json={**base, "lines": lines}, headers=h), 422)
    assert_error(client.post(URL, json={"lines": _lines(d.item)}, headers=h), 422)
    both = {**base, "pickup_point_id": str(d.pickup.id), "lines": _lines(d.item)}
    assert_error(client.post(URL, json=both, headers=h), 422)
    unknown = client.post(URL, json={**base, "lines": _lines(d.pickup)}, headers=h)
    body = assert_error(unknown, 422, "unknown_item")
    assert body["detail"][0]["loc"] == ["body", "lines", 0, "item_id"]
    nobody = client.post(
        URL, json={"session_id": str(uuid.uuid4()), "lines": _lines(d.item)}, headers=h
    )
    assert_error(nobody, 404)
    stranger = make_consumer(session)
    assert_error(
        client.post(URL, json={**base, "lines": _lines(d.item)}, headers=auth_headers(stranger)),
        404,
    )
    nul = client.post(URL, json={**base, "lines": _lines(d.item), "note": "a\x00b"}, headers=h)
    assert_error(nul, 422)
    d.item.is_available = False
    session.add(d.item)
    session.flush()
    sold = assert_error(
        client.post(URL, json={**base, "lines": _lines(d.item)}, headers=h), 409, "item_sold_out"
    )
    assert sold["detail"]["item_id"] == str(d.item.id)
    assert_error(client.post(URL, json={**base, "lines": _lines(d.item)}), 401)


def test_a_consumer_sees_and_cancels_only_their_own_orders(
    session: Session, client: TestClient
) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    me, friend = make_consumer(session), make_consumer(session)
    ts = join(session, table=d.table, user=me)
    join(session, table=d.table, user=friend)  # the same table, the same session
    mine = order_on_session(session, table_session=ts, consumer=me, lines=[line(d.item)]).order
    theirs = order_on_session(
        session, table_session=ts, consumer=friend, lines=[line(d.item)]
    ).order
    h = auth_headers(me)
    listed = client.get(URL, headers=h)
    assert [o["id"] for o in listed.json()["items"]] == [str(mine.id)]
    assert_error(client.get(f"{URL}/{theirs.id}", headers=h), 404)
    assert_error(client.post(f"{URL}/{theirs.id}/cancel", json={}, headers=h), 404)
    assert_error(client.get(f"{URL}/{uuid.uuid4()}", headers=h), 404)
    cancelled = client.post(f"{URL}/{mine.id}/cancel", json={"reason": "too slow"}, headers=h)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["history"][-1]["reason"] == "too slow"
    again = client.post(f"{URL}/{mine.id}/cancel", json={}, headers=h)
    body = assert_error(again, 409, "invalid_order_transition")
    assert body["detail"]["from"] == "cancelled"
    assert body["detail"]["to"] == "cancelled"


def test_the_board_lists_open_orders_oldest_first_in_bounded_queries(
    session: Session, client: TestClient
) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    consumer = make_consumer(session)
    ts = join(session, table=d.table, user=consumer)
    made = [
        order_on_session(session, table_session=ts, consumer=consumer, lines=[line(d.item)]).order
        for _ in range(5)
    ]
    h = auth_headers(d.staff)
    move = client.post(
        _board(d.venue.id, f"/{made[0].id}/status"), json={"to": "accepted"}, headers=h
    )
    assert move.status_code == 200, move.text
    assert move.json()["status"] == "accepted"
    done = made[1]
    for to in ("accepted", "ready", "served", "completed"):
        assert (
            client.post(
                _board(d.venue.id, f"/{done.id}/status"), json={"to": to}, headers=h
            ).status_code
            == 200
        )
    bad = client.post(_board(d.venue.id, f"/{done.id}/status"), json={"to": "ready"}, headers=h)
    assert_error(bad, 409, "invalid_order_transition")
    assert_error(
        client.post(_board(d.venue.id, f"/{done.id}/status"), json={"to": "nope"}, headers=h), 422
    )
    queries = QueryCounter(session.connection())
    with queries.count() as one_order:
        client.get(_board(d.venue.id, "?limit=1"), headers=h)
    with queries.count() as counted:
        board = client.get(_board(d.venue.id), headers=h)
    assert board.status_code == 200
    assert counted.total == one_order.total  # the same statements for 1 order or 4
    ids = [o["id"] for o in board.json()["items"]]
    assert ids == [str(o.id) for o in made if o.id != done.id]
    accepted = client.get(_board(d.venue.id, "?status=accepted"), headers=h)
    assert [o["id"] for o in accepted.json()["items"]] == [str(made[0].id)]
    one = client.get(_board(d.venue.id, f"/{made[2].id}"), headers=h)
    assert one.status_code == 200
    other = make_dining(session)
    assert_error(
        client.get(_board(other.venue.id, f"/{made[2].id}"), headers=auth_headers(other.staff)), 404
    )
    assert_error(client.get(_board(d.venue.id, f"/{uuid.uuid4()}"), headers=h), 404)


def test_food_court_staff_see_all_and_a_qsr_only_its_own(
    session: Session, client: TestClient
) -> None:
    fc = make_food_court(session)
    consumer = make_consumer(session)
    made = order_pickup(
        session, point=fc.pickup, consumer=consumer, lines=[line(i) for i in fc.items]
    )
    pay(session, made)
    subs = {
        o.venue_id: o
        for o in session.exec(select(Order).where(col(Order.parent_id) == made.order.id))
    }
    a, b = fc.qsrs
    sub_a, sub_b = subs[a.id], subs[b.id]
    court = client.get(_board(fc.court.id), headers=auth_headers(fc.court_staff))
    assert {o["id"] for o in court.json()["items"]} == {str(sub_a.id), str(sub_b.id)}
    qsr_a = client.get(_board(a.id), headers=auth_headers(fc.qsr_staff[0]))
    assert [o["id"] for o in qsr_a.json()["items"]] == [str(sub_a.id)]
    # QSR A's staff against QSR B's sub-order, by either venue's path
    ha = auth_headers(fc.qsr_staff[0])
    assert_error(client.get(_board(a.id, f"/{sub_b.id}"), headers=ha), 404)
    assert_error(
        client.post(_board(a.id, f"/{sub_b.id}/status"), json={"to": "rejected"}, headers=ha), 404
    )
    assert_error(
        client.post(_board(b.id, f"/{sub_b.id}/status"), json={"to": "rejected"}, headers=ha), 404
    )
    assert_error(
        client.post(_board(a.id, f"/{made.order.id}/status"), json={"to": "accepted"}, headers=ha),
        404,
    )
    # QSR B rejects its part: refunded exactly that; A's part goes on
    hb = auth_headers(fc.qsr_staff[1])
    rejected = client.post(
        _board(b.id, f"/{sub_b.id}/status"),
        json={"to": "rejected", "reason": "out of buns"},
        headers=hb,
    )
    assert rejected.status_code == 200, rejected.text
    assert made.payment is not None
    refunds = session.exec(select(Refund).where(Refund.payment_id == made.payment.id)).all()
    assert [r.amount_minor for r in refunds] == [sub_b.total_minor]
    accepted = client.post(_board(a.id, f"/{sub_a.id}/status"), json={"to": "accepted"}, headers=ha)
    assert accepted.json()["status"] == "accepted"
    mine = client.get(f"{URL}/{made.order.id}", headers=auth_headers(consumer))
    statuses = {s["venue_id"]: s["status"] for s in mine.json()["sub_orders"]}
    assert statuses == {str(a.id): "accepted", str(b.id): "rejected"}
    assert_error(client.get(f"{URL}/{sub_a.id}", headers=auth_headers(consumer)), 404)
    # the food court's staff see a part too
    seen = client.get(_board(fc.court.id, f"/{sub_a.id}"), headers=auth_headers(fc.court_staff))
    assert seen.status_code == 200
    assert seen.json()["status"] == OrderStatus.ACCEPTED.value
