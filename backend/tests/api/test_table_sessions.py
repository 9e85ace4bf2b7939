"""Table sessions over HTTP: open or join from a table's code, read one's own, and the
staff's list, move, merge and close."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models.order import (
    Order,
    SessionCloseReason,
    TableSession,
    TableSessionMember,
    TableSessionStatus,
)
from app.models.venue import PaymentMode
from tests.factories import auth_headers, make_consumer
from tests.factories.orders import join, line, make_dining, order_on_session, token_of
from tests.factories.places import make_table
from tests.utils import assert_error

URL = "/api/v1/table-sessions"


def _venue_url(venue_id: uuid.UUID, suffix: str = "") -> str:
    return f"/api/v1/venues/{venue_id}/table-sessions{suffix}"


def test_two_phones_at_one_table_share_one_session(session: Session, client: TestClient) -> None:
    d = make_dining(session)
    a, b = make_consumer(session), make_consumer(session)
    first = client.post(URL, json={"table_token": token_of(d.table)}, headers=auth_headers(a))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["table_id"] == str(d.table.id)
    assert body["table_label"] == d.table.label
    assert body["status"] == "open"
    assert body["payment_mode"] == d.venue.payment_mode.value
    assert body["members"] == 1
    second = client.post(URL, json={"table_token": token_of(d.table)}, headers=auth_headers(b))
    assert second.json()["id"] == body["id"]
    assert second.json()["members"] == 2
    member = session.exec(
        select(TableSessionMember).where(TableSessionMember.user_id == a.id)
    ).one()
    before = member.joined_at
    again = client.post(URL, json={"table_token": token_of(d.table)}, headers=auth_headers(a))
    assert again.json()["members"] == 2
    session.refresh(member)
    assert member.joined_at >= before
    mine = client.get(f"{URL}/{body['id']}", headers=auth_headers(b))
    assert mine.status_code == 200


def test_a_session_is_read_by_its_members_only(session: Session, client: TestClient) -> None:
    d = make_dining(session)
    ts = join(session, table=d.table)
    outsider = make_consumer(session)
    assert_error(client.get(f"{URL}/{ts.id}", headers=auth_headers(outsider)), 404, "not_found")
    assert_error(client.get(f"{URL}/{uuid.uuid4()}", headers=auth_headers(outsider)), 404)
    assert_error(client.get(f"{URL}/{ts.id}"), 401)


def test_joining_needs_a_live_code_and_a_near_position(
    session: Session, client: TestClient
) -> None:
    d = make_dining(session)
    user = make_consumer(session)
    h = auth_headers(user)
    assert_error(client.post(URL, json={"table_token": "forged"}, headers=h), 404)
    far = client.post(
        URL,
        json={
            "table_token": token_of(d.table),
            "position": {"latitude": d.venue.latitude + 0.1, "longitude": d.venue.longitude},
        },
        headers=h,
    )
    assert_error(far, 403, "too_far_from_venue")
    half = client.post(
        URL, json={"table_token": token_of(d.table), "position": {"latitude": 12.0}}, headers=h
    )
    assert_error(half, 422)
    assert_error(
        client.post(URL, json={"table_token": token_of(d.table), "extra": 1}, headers=h), 422
    )
    d.table.token_version += 1
    session.add(d.table)
    session.flush()
    old = client.post(URL, json={"table_token": token_of(d.table)[:-2] + "AA"}, headers=h)
    assert_error(old, 404)


def test_staff_list_move_merge_and_close(session: Session, client: TestClient) -> None:
    d = make_dining(session, payment_mode=PaymentMode.AT_END)
    h = auth_headers(d.staff)
    t2, t3 = make_table(session, venue=d.venue), make_table(session, venue=d.venue)
    guest, friend = make_consumer(session), make_consumer(session)
    s1 = join(session, table=d.table, user=guest)
    s2 = join(session, table=t2, user=friend)
    order = order_on_session(session, table_session=s1, consumer=guest, lines=[line(d.item)]).order

    listed = client.get(_venue_url(d.venue.id), headers=h)
    assert listed.status_code == 200
    assert {s["id"] for s in listed.json()} == {str(s1.id), str(s2.id)}  # one transaction: one time

    busy = client.post(
        _venue_url(d.venue.id, f"/{s1.id}/move"), json={"table_id": str(t2.id)}, headers=h
    )
    assert_error(busy, 409, "table_not_free")
    moved = client.post(
        _venue_url(d.venue.id, f"/{s1.id}/move"), json={"table_id": str(t3.id)}, headers=h
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["table_id"] == str(t3.id)
    other = make_dining(session)
    foreign = client.post(
        _venue_url(d.venue.id, f"/{s1.id}/move"), json={"table_id": str(other.table.id)}, headers=h
    )
    assert_error(foreign, 404)

    assert_error(
        client.post(
            _venue_url(d.venue.id, f"/{s1.id}/merge"),
            json={"into_session_id": str(s1.id)},
            headers=h,
        ),
        409,
        "session_merge_refused",
    )
    merged = client.post(
        _venue_url(d.venue.id, f"/{s1.id}/merge"), json={"into_session_id": str(s2.id)}, headers=h
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == str(s2.id)
    assert merged.json()["members"] == 2
    session.expire_all()
    source = session.get(TableSession, s1.id)
    assert source is not None
    assert source.status is TableSessionStatus.CLOSED
    assert source.close_reason is SessionCloseReason.MERGED
    assert source.merged_into_id == s2.id
    moved_order = session.get(Order, order.id)
    assert moved_order is not None
    assert moved_order.session_id == s2.id
    # the guest of the merged session orders on the new one
    again = order_on_session(session, table_session=s2, consumer=guest, lines=[line(d.item)])
    assert again.order.session_id == s2.id

    # A tab with orders on it is not closed before its bill is paid: no tab is lost.
    unpaid = client.post(_venue_url(d.venue.id, f"/{s2.id}/close"), headers=h)
    assert_error(unpaid, 409, "session_not_settled")
    for placed in (order, again.order):
        rejected = client.post(
            f"/api/v1/venues/{d.venue.id}/orders/{placed.id}/status",
            json={"to": "rejected", "reason": "kitchen closed"},
            headers=h,
        )
        assert rejected.status_code == 200, rejected.text
    closed = client.post(_venue_url(d.venue.id, f"/{s2.id}/close"), headers=h)
    assert closed.status_code == 200
    assert closed.json()["close_reason"] == "staff"
    assert_error(
        client.post(_venue_url(d.venue.id, f"/{s2.id}/close"), headers=h),
        409,
        "table_session_closed",
    )
    assert client.get(_venue_url(d.venue.id), headers=h).json() == []
    opened = session.exec(
        select(TableSession).where(col(TableSession.venue_id) == d.venue.id)
    ).all()
    assert len(opened) == 2


def test_another_venues_session_is_not_found(session: Session, client: TestClient) -> None:
    d, other = make_dining(session), make_dining(session)
    theirs = join(session, table=other.table)
    h = auth_headers(d.staff)
    assert_error(client.get(_venue_url(d.venue.id, f"/{theirs.id}"), headers=h), 404)
    assert_error(client.post(_venue_url(d.venue.id, f"/{theirs.id}/close"), headers=h), 404)
    mine = join(session, table=d.table)
    merge = client.post(
        _venue_url(d.venue.id, f"/{mine.id}/merge"),
        json={"into_session_id": str(theirs.id)},
        headers=h,
    )
    assert_error(merge, 404)
