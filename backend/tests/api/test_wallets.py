"""The wallet's routes: balance and rules, the ledger, top-ups (idempotent), spends from
an order, approvals over HTTP, and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.venue import VenueKind
from app.services import payments
from tests.factories import auth_headers
from tests.factories.jobs import run_jobs
from tests.factories.orders import Dining, make_dining, token_of
from tests.factories.wallets import Crew, make_crew, top_up

API = "/api/v1"


@pytest.fixture
def crew(session: Session) -> Crew:
    return make_crew(session, members=3, approval_above_minor=15_000)


@pytest.fixture
def qsr(session: Session) -> Dining:
    return make_dining(session, kind=VenueKind.QSR, price_minor=10_000)


def _wallet(crew: Crew) -> str:
    return f"{API}/groups/{crew.group.id}/wallet"


def test_a_member_reads_the_balance_and_the_rules(
    session: Session, client: TestClient, crew: Crew
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=40_000)
    body = client.get(_wallet(crew), headers=auth_headers(crew.others[0])).json()
    assert body["balance_minor"] == 40_000
    assert body["approval_above_minor"] == 15_000
    assert body["waiting_spends"] == 0
    assert body["my_spent_minor"] == 0


def test_a_top_up_answers_its_checkout_and_a_retry_replays_it(
    session: Session, client: TestClient, crew: Crew
) -> None:
    headers = {**auth_headers(crew.others[0]), "Idempotency-Key": "top-up-1"}
    first = client.post(f"{_wallet(crew)}/top-ups", json={"amount_minor": 25_000}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["Location"].endswith(f"/payments/{first.json()['payment_id']}")
    again = client.post(f"{_wallet(crew)}/top-ups", json={"amount_minor": 25_000}, headers=headers)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    checkout = first.json()["checkout"]
    payments.complete_test_checkout(session, order_id=checkout["order_id"], succeed=True)
    run_jobs(session)
    assert client.get(_wallet(crew), headers=auth_headers(crew.admin)).json()["balance_minor"] == (
        25_000
    )


@pytest.mark.parametrize(
    "body",
    [
        {"amount_minor": 0},
        {"amount_minor": 99},
        {"amount_minor": 10**30},
        {"amount_minor": 100.5},
        {"amount_minor": "1000"},
        {"amount_minor": float("nan")},
        {"amount_minor": 1000, "group_id": "x"},
        {},
    ],
    ids=["zero", "below_a_rupee", "huge", "fraction", "text", "nan", "unknown_field", "empty"],
)
def test_bad_top_ups_are_a_422(client: TestClient, crew: Crew, body: dict[str, Any]) -> None:
    response = client.post(
        f"{_wallet(crew)}/top-ups",
        content=json.dumps(body, allow_nan=True),
        headers={**auth_headers(crew.admin), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]


def test_a_top_up_past_the_most_one_may_add_is_a_409(client: TestClient, crew: Crew) -> None:
    response = client.post(
        f"{_wallet(crew)}/top-ups",
        json={"amount_minor": 5_000_000},
        headers=auth_headers(crew.admin),
    )
    assert response.status_code == 409
    assert response.json()["error"] == "wallet_full"


def test_an_order_paid_from_the_wallet_then_approved_over_http(
    session: Session, client: TestClient, crew: Crew, qsr: Dining
) -> None:
    top_up(session, crew=crew, member=crew.admin, amount=100_000)
    member = crew.others[0]
    order = {
        "pickup_point_id": str(qsr.pickup.id),
        "lines": [{"item_id": str(qsr.item.id), "quantity": 2}],
        "wallet_group_id": str(crew.group.id),
    }
    placed = client.post(f"{API}/orders", json=order, headers=auth_headers(member))
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["checkout"] is None
    assert body["wallet_spend"]["status"] == "waiting"  # 20,000 is above 15,000
    assert body["order"]["status"] == "awaiting_payment"
    waiting = client.get(
        f"{_wallet(crew)}/spends?status=waiting", headers=auth_headers(member)
    ).json()
    assert [s["id"] for s in waiting["items"]] == [body["wallet_spend"]["id"]]
    spend_id = body["wallet_spend"]["id"]
    refused = client.post(
        f"{_wallet(crew)}/spends/{spend_id}/approve", headers=auth_headers(member)
    )
    assert refused.status_code == 403
    approved = client.post(
        f"{_wallet(crew)}/spends/{spend_id}/approve", headers=auth_headers(crew.admin)
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "spent"
    mine = client.get(f"{API}/orders/{body['order']['id']}", headers=auth_headers(member)).json()
    assert mine["status"] == "placed"
    again = client.post(
        f"{_wallet(crew)}/spends/{spend_id}/decline", headers=auth_headers(crew.admin)
    )
    assert again.status_code == 409
    assert again.json()["error"] == "wallet_spend_decided"
    ledger = client.get(f"{_wallet(crew)}/entries", headers=auth_headers(member)).json()
    assert [e["kind"] for e in ledger["items"]] == ["spend", "release", "hold", "top_up"]
    assert ledger["items"][0]["paid_for"] == "order"
    assert ledger["items"][0]["subject_id"] == body["order"]["id"]
    assert ledger["total"] == 4


def test_a_tab_order_cannot_name_a_wallet(session: Session, client: TestClient, crew: Crew) -> None:
    dining = make_dining(session, kind=VenueKind.RESTAURANT)
    member = crew.others[0]
    opened = client.post(
        f"{API}/table-sessions",
        json={"table_token": token_of(dining.table)},
        headers=auth_headers(member),
    )
    assert opened.status_code in (200, 201), opened.text
    response = client.post(
        f"{API}/orders",
        json={
            "session_id": opened.json()["id"],
            "lines": [{"item_id": str(dining.item.id), "quantity": 1}],
            "wallet_group_id": str(crew.group.id),
        },
        headers=auth_headers(member),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "wallet_group_id"]


def test_a_wallet_of_a_group_you_are_not_in_is_a_404(
    session: Session, client: TestClient, crew: Crew, qsr: Dining
) -> None:
    other = make_crew(session, members=1)
    response = client.post(
        f"{API}/orders",
        json={
            "pickup_point_id": str(qsr.pickup.id),
            "lines": [{"item_id": str(qsr.item.id), "quantity": 1}],
            "wallet_group_id": str(crew.group.id),
        },
        headers=auth_headers(other.admin),
    )
    assert response.status_code == 404
