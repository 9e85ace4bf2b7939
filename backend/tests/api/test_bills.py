"""Split the bill over HTTP: issuing and reading a session's bill (members, staff),
removing its service charge, paying shares on the test gateway's checkout page until
the session closes itself; hostile input, someone else's bill, retries with the same
Idempotency-Key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import User
from app.models.order import (
    BillShare,
    OrderLine,
    SessionCloseReason,
    TableSession,
    TableSessionStatus,
)
from app.models.payment import Payment
from tests.factories import auth_headers, make_consumer
from tests.factories.bills import AWKWARD_LINES, Tab, add_order, join, make_tab, make_table_session
from tests.factories.jobs import run_jobs
from tests.utils import QueryCounter


@pytest.fixture
def tab(session: Session) -> Tab:
    tab = make_tab(session, members=3, service_charge_bps=1000)
    add_order(session, tab=tab, lines=AWKWARD_LINES)  # total 115100
    return tab


def bill_url(tab: Tab) -> str:
    return f"/api/v1/table-sessions/{tab.table_session.id}/bill"


def issue(client: TestClient, tab: Tab, user: User | None = None) -> dict[str, Any]:
    resp = client.post(bill_url(tab), headers=auth_headers(user or tab.members[0]))
    assert resp.status_code in (200, 201), resp.text
    body: dict[str, Any] = resp.json()
    return body


def share(
    client: TestClient,
    bill: dict[str, Any],
    user: User,
    body: dict[str, Any] | None = None,
    **headers: str,
) -> Any:
    return client.post(
        f"/api/v1/bills/{bill['id']}/shares",
        json=body if body is not None else {"method": "full"},
        headers={**auth_headers(user), **headers},
    )


def pay(client: TestClient, session: Session, resp: Any, *, outcome: str = "pay") -> None:
    url: str = resp.json()["checkout"]["checkout_url"]
    path = "/" + url.split("/", 3)[3]
    done = client.post(f"{path}/{outcome}")
    assert done.status_code == 200, done.text
    run_jobs(session)


# --- issuing and reading --------------------------------------------------------------


def test_a_member_asks_for_the_bill_then_gets_the_same_one(client: TestClient, tab: Tab) -> None:
    first = client.post(bill_url(tab), headers=auth_headers(tab.members[0]))
    assert first.status_code == 201, first.text
    body = first.json()
    assert first.headers["location"] == f"/api/v1/bills/{body['id']}"
    assert (body["total_minor"], body["left_minor"], body["status"]) == (115_100, 115_100, "open")
    assert body["service_charge_minor"] == 9_333
    assert [line["share_id"] for line in body["lines"]] == [None, None]
    again = client.post(bill_url(tab), headers=auth_headers(tab.members[1]))
    assert again.status_code == 200
    assert again.json()["invoice_number"] == body["invoice_number"]
    read = client.get(bill_url(tab), headers=auth_headers(tab.members[2]))
    assert read.status_code == 200
    assert read.json()["id"] == body["id"]
    by_id = client.get(f"/api/v1/bills/{body['id']}", headers=auth_headers(tab.members[2]))
    assert by_id.json() == read.json()


def test_staff_issue_and_read_the_bill(client: TestClient, tab: Tab) -> None:
    url = f"/api/v1/venues/{tab.venue.id}/table-sessions/{tab.table_session.id}/bill"
    assert client.get(url, headers=auth_headers(tab.owner)).status_code == 404  # none yet
    made = client.post(url, headers=auth_headers(tab.owner))
    assert made.status_code == 201, made.text
    assert client.post(url, headers=auth_headers(tab.owner)).status_code == 200
    assert client.get(url, headers=auth_headers(tab.owner)).json()["id"] == made.json()["id"]
    assert issue(client, tab)["id"] == made.json()["id"]


def test_no_bill_before_it_is_asked_for(client: TestClient, tab: Tab) -> None:
    resp = client.get(bill_url(tab), headers=auth_headers(tab.members[0]))
    assert resp.status_code == 404


def test_nothing_ordered_is_a_409(session: Session, client: TestClient) -> None:
    empty = make_tab(session)
    resp = client.post(bill_url(empty), headers=auth_headers(empty.members[0]))
    assert resp.status_code == 409
    assert resp.json()["error"] == "nothing_to_bill"


def test_outsiders_get_404(session: Session, client: TestClient, tab: Tab) -> None:
    bill = issue(client, tab)
    stranger = make_consumer(session)
    for method, url in [
        ("POST", bill_url(tab)),
        ("GET", bill_url(tab)),
        ("GET", f"/api/v1/bills/{bill['id']}"),
        ("DELETE", f"/api/v1/bills/{bill['id']}/service-charge"),
        ("POST", f"/api/v1/bills/{bill['id']}/shares"),
        ("GET", f"/api/v1/bills/{uuid.uuid4()}"),
    ]:
        body = {"method": "full"} if url.endswith("/shares") else None
        resp = client.request(method, url, json=body, headers=auth_headers(stranger))
        assert resp.status_code == 404, (method, url, resp.text)
    anonymous = client.get(f"/api/v1/bills/{bill['id']}")
    assert anonymous.status_code == 401


def test_a_member_of_another_session_at_the_same_table_cannot_touch_this_bill(
    session: Session, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    # The table's session closes; a new one opens at the same table with a new member.
    next_member = make_consumer(session)
    tab.table_session.status = TableSessionStatus.CLOSED
    tab.table_session.close_reason = SessionCloseReason.STAFF
    tab.table_session.closed_at = tab.table_session.opened_at
    session.add(tab.table_session)
    session.flush()
    later = make_table_session(session, venue=tab.venue, table=tab.table, members=[next_member])
    assert later.table_id == tab.table_session.table_id
    headers = auth_headers(next_member)
    assert client.get(f"/api/v1/bills/{bill['id']}", headers=headers).status_code == 404
    assert share(client, bill, next_member).status_code == 404
    assert client.get(bill_url(tab), headers=headers).status_code == 404


# --- paying ---------------------------------------------------------------------------


def test_three_members_pay_equal_shares_and_the_session_closes(
    session: Session, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    answers = [share(client, bill, m, {"method": "equal", "parts": 3}) for m in tab.members]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[-1].text
    assert [a.json()["share"]["amount_minor"] for a in answers] == [38_366, 38_366, 38_368]
    assert answers[0].json()["checkout"]["amount_minor"] == 38_366
    assert answers[2].json()["bill"]["left_minor"] == 0
    again = share(client, bill, tab.members[0])
    assert (again.status_code, again.json()["error"]) == (409, "share_pending_for_payer")
    fourth = make_consumer(session)
    join(session, table_session=tab.table_session, user=fourth)
    more = share(client, bill, fourth)
    assert more.status_code == 409
    assert more.json()["error"] == "share_exceeds_bill"
    assert more.json()["detail"]["left_minor"] == 0
    for a in answers:
        pay(client, session, a)
    read = client.get(f"/api/v1/bills/{bill['id']}", headers=auth_headers(tab.members[0])).json()
    assert (read["status"], read["paid_minor"], read["left_minor"]) == ("paid", 115_100, 0)
    session.expire_all()
    table_session = session.get(TableSession, tab.table_session.id)
    assert table_session is not None
    assert table_session.status is TableSessionStatus.CLOSED
    assert table_session.close_reason is SessionCloseReason.SETTLED
    after = share(client, bill, tab.members[1])
    assert after.status_code == 409
    assert after.json()["error"] == "bill_paid"


def test_a_failed_payment_leaves_the_bill_open_for_others(
    session: Session, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    first = share(client, bill, tab.members[0])
    pay(client, session, first, outcome="fail")
    read = client.get(f"/api/v1/bills/{bill['id']}", headers=auth_headers(tab.members[1])).json()
    assert (read["status"], read["left_minor"]) == ("open", 115_100)
    assert read["shares"][0]["status"] == "failed"
    second = share(client, bill, tab.members[1])
    assert second.status_code == 201
    pay(client, session, second)
    read = client.get(f"/api/v1/bills/{bill['id']}", headers=auth_headers(tab.members[1])).json()
    assert read["status"] == "paid"


def test_items_shares_mark_their_lines(session: Session, client: TestClient, tab: Tab) -> None:
    bill = issue(client, tab)
    first_line = bill["lines"][0]["id"]
    mine = share(client, bill, tab.members[0], {"method": "items", "line_ids": [first_line]})
    assert mine.status_code == 201, mine.text
    assert mine.json()["share"]["amount_minor"] == 38_333
    assert mine.json()["bill"]["lines"][0]["share_id"] == mine.json()["share"]["id"]
    again = share(client, bill, tab.members[1], {"method": "items", "line_ids": [first_line]})
    assert again.status_code == 409
    assert again.json()["error"] == "line_already_paid"
    assert again.json()["detail"]["line_ids"] == [first_line]


def test_removing_the_service_charge(session: Session, client: TestClient, tab: Tab) -> None:
    bill = issue(client, tab)
    url = f"/api/v1/bills/{bill['id']}/service-charge"
    resp = client.delete(url, headers=auth_headers(tab.members[0]))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["service_charge_minor"], resp.json()["total_minor"]) == (0, 105_800)
    assert resp.json()["service_charge_removed"] is True
    paid = share(client, bill, tab.members[0], {"method": "custom", "amount_minor": 800})
    pending = client.delete(url, headers=auth_headers(tab.members[1]))
    assert pending.status_code == 200  # removed already: nothing changes
    pay(client, session, paid)
    assert client.delete(url, headers=auth_headers(tab.members[1])).status_code == 200


def test_the_service_charge_cannot_go_once_a_share_is_paid_or_pending(
    session: Session, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    url = f"/api/v1/bills/{bill['id']}/service-charge"
    paid = share(client, bill, tab.members[0], {"method": "custom", "amount_minor": 800})
    pending = client.delete(url, headers=auth_headers(tab.members[1]))
    assert pending.status_code == 409
    assert pending.json()["error"] == "bill_share_pending"
    pay(client, session, paid)
    resp = client.delete(url, headers=auth_headers(tab.members[1]))
    assert resp.status_code == 409
    assert resp.json()["error"] == "bill_partly_paid"


# --- hostile input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"method": "custom", "amount_minor": -100},
        {"method": "custom", "amount_minor": 0},
        {"method": "custom", "amount_minor": 10**13},
        {"method": "custom", "amount_minor": 10**40},
        {"method": "custom", "amount_minor": "100"},
        {"method": "custom", "amount_minor": 100.5},
        {"method": "custom", "amount_minor": True},
        {"method": "custom"},
        {"method": "equal", "parts": 0},
        {"method": "equal", "parts": -3},
        {"method": "equal", "parts": 101},
        {"method": "equal"},
        {"method": "items"},
        {"method": "items", "line_ids": []},
        {"method": "items", "line_ids": ["not-a-uuid"]},
        {"method": "full", "amount_minor": 100},
        {"method": "full", "parts": 2},
        {"method": "equal", "parts": 2, "amount_minor": 5},
        {"method": "half"},
        {"method": "full", "tip_minor": 5},
        {},
    ],
    ids=str,
)
def test_bad_share_requests_are_422(client: TestClient, tab: Tab, body: dict[str, Any]) -> None:
    bill = issue(client, tab)
    resp = share(client, bill, tab.members[0], body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"] == "invalid"


@pytest.mark.parametrize(
    "raw",
    [
        '{"method": "custom", "amount_minor": NaN}',
        '{"method": "custom", "amount_minor": Infinity}',
        '{"method": "custom", "amount_minor": 1e400}',
    ],
)
def test_nan_and_infinite_amounts_are_422(client: TestClient, tab: Tab, raw: str) -> None:
    bill = issue(client, tab)
    resp = client.post(
        f"/api/v1/bills/{bill['id']}/shares",
        content=raw,
        headers={**auth_headers(tab.members[0]), "Content-Type": "application/json"},
    )
    assert resp.status_code == 422, resp.text


def test_duplicate_and_unknown_lines_are_422(
    session: Session, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    line = bill["lines"][0]["id"]
    twice = share(client, bill, tab.members[0], {"method": "items", "line_ids": [line, line]})
    assert twice.status_code == 422
    other = make_tab(session)
    add_order(session, tab=other, lines=[(1_000, 1, 0)])
    [foreign] = session.exec(
        select(OrderLine.id).where(OrderLine.order_id == other.orders[0].id)
    ).all()
    resp = share(client, bill, tab.members[0], {"method": "items", "line_ids": [str(foreign)]})
    assert resp.status_code == 422
    assert resp.json()["error"] == "unknown_bill_line"
    assert resp.json()["detail"][0]["loc"] == ["body", "line_ids", 0]


def test_a_custom_amount_over_what_is_left_is_a_409(client: TestClient, tab: Tab) -> None:
    bill = issue(client, tab)
    resp = share(client, bill, tab.members[0], {"method": "custom", "amount_minor": 115_101})
    assert resp.status_code == 409
    assert resp.json()["error"] == "share_exceeds_bill"
    assert resp.json()["detail"]["left_minor"] == 115_100


def test_a_retried_share_request_makes_one_share_and_a_missing_key_none(
    session: Session, app: Any, client: TestClient, tab: Tab
) -> None:
    bill = issue(client, tab)
    payer = tab.members[0]
    body = {"method": "equal", "parts": 2}
    first = share(client, bill, payer, body, **{"Idempotency-Key": "split-1"})
    again = share(client, bill, payer, body, **{"Idempotency-Key": "split-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    reused = share(client, bill, payer, {"method": "full"}, **{"Idempotency-Key": "split-1"})
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"
    with TestClient(app, raise_server_exceptions=False) as plain:
        missing = plain.post(
            f"/api/v1/bills/{bill['id']}/shares", json=body, headers=auth_headers(payer)
        )
    assert missing.status_code == 400
    assert missing.json()["error"] == "idempotency_key_required"
    shares = session.exec(select(BillShare).where(BillShare.payer_id == payer.id)).all()
    assert len(shares) == 1
    ids = [s.id for s in shares]
    assert len(session.exec(select(Payment).where(col(Payment.bill_share_id).in_(ids))).all()) == 1


def test_a_new_member_can_pay_too(session: Session, client: TestClient, tab: Tab) -> None:
    bill = issue(client, tab)
    late = make_consumer(session)
    assert share(client, bill, late).status_code == 404
    join(session, table_session=tab.table_session, user=late)
    assert share(client, bill, late).status_code == 201


def test_the_bill_reads_in_a_fixed_number_of_queries(
    client: TestClient, tab: Tab, queries: QueryCounter
) -> None:
    bill = issue(client, tab)
    url = f"/api/v1/bills/{bill['id']}"
    headers = auth_headers(tab.members[0])

    def count() -> int:
        with queries.count() as counted:
            assert client.get(url, headers=headers).status_code == 200
        return counted.total

    share(client, bill, tab.members[0], {"method": "custom", "amount_minor": 100})
    one = count()
    for member in tab.members:
        share(client, bill, member, {"method": "custom", "amount_minor": 100})
    assert count() == one
