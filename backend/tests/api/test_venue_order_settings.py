"""A venue's order settings: payment mode (by kind by default), whether prices include
tax, the packaging charge, the service charge and whether it accepts orders."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Venue, VenueKind, VenueRole, VenueStatus
from app.models.venue import DEFAULT_PAYMENT_MODE, PaymentMode
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.utils import assert_error

URL = "/api/v1/venues"

SETTINGS = (
    "payment_mode",
    "prices_include_tax",
    "packaging_charge_minor",
    "service_charge_bps",
    "is_accepting_orders",
)


def payload(kind: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "name": f"A {kind}",
        "address": "1 Road, Bengaluru",
        "latitude": 12.97,
        "longitude": 77.6,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("kind", list(VenueKind))
def test_new_venues_get_the_defaults_of_their_kind(
    client: TestClient, session: Session, kind: VenueKind
) -> None:
    response = client.post(URL, json=payload(kind.value), headers=auth_headers(make_user(session)))
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in SETTINGS} == {
        "payment_mode": DEFAULT_PAYMENT_MODE[kind].value,
        "prices_include_tax": False,
        "packaging_charge_minor": 0,
        "service_charge_bps": 0,
        "is_accepting_orders": True,
    }


def test_settings_on_create_and_update(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    created = client.post(
        URL,
        json=payload(
            "restaurant",
            payment_mode="per_order",
            prices_include_tax=True,
            service_charge_bps=500,
            packaging_charge_minor=2_000,
            is_accepting_orders=False,
        ),
        headers=auth_headers(owner),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["payment_mode"] == "per_order"
    assert body["prices_include_tax"] is True
    assert body["service_charge_bps"] == 500
    assert body["packaging_charge_minor"] == 2_000
    assert body["is_accepting_orders"] is False

    manager = make_user(session)
    venue = session.get(Venue, body["id"])
    assert venue is not None
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    updated = client.patch(
        f"{URL}/{venue.id}",
        json={"payment_mode": "at_end", "service_charge_bps": 2500, "is_accepting_orders": True},
        headers=auth_headers(manager),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["payment_mode"] == PaymentMode.AT_END.value
    assert updated.json()["service_charge_bps"] == 2500
    assert updated.json()["prices_include_tax"] is True  # untouched
    session.refresh(venue)
    assert venue.payment_mode == PaymentMode.AT_END
    assert venue.is_accepting_orders is True
    # Anyone sees them on the public venue (a consumer needs them to know the bill).
    venue.status = VenueStatus.VERIFIED
    session.add(venue)
    session.flush()
    public = client.get(f"{URL}/{venue.id}").json()
    assert public["service_charge_bps"] == 2500


@pytest.mark.parametrize(
    "body",
    [
        {"service_charge_bps": -1},
        {"service_charge_bps": 2501},
        {"service_charge_bps": 10**30},
        {"service_charge_bps": 5.5},
        {"service_charge_bps": "500"},
        {"packaging_charge_minor": -1},
        {"packaging_charge_minor": 10**8 + 1},
        {"packaging_charge_minor": 10**40},
        {"payment_mode": "whenever"},
        {"payment_mode": "AT_END\u0000"},
        {"prices_include_tax": "yes"},
        {"is_accepting_orders": 1},
        {"payment_mode": None},
        {"prices_include_tax": None},
        {"service_charge_bps": None},
        {"packaging_charge_minor": None},
        {"is_accepting_orders": None},
    ],
)
def test_bad_settings_are_422(client: TestClient, session: Session, body: dict[str, Any]) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    assert_error(client.patch(f"{URL}/{venue.id}", json=body, headers=auth_headers(owner)), 422)
    if all(v is not None for v in body.values()):
        assert_error(
            client.post(URL, json=payload("qsr", **body), headers=auth_headers(owner)), 422
        )


def test_staff_and_consumers_cannot_change_settings(client: TestClient, session: Session) -> None:
    owner, staff = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    url = f"{URL}/{venue.id}"
    assert_error(
        client.patch(url, json={"is_accepting_orders": False}, headers=auth_headers(staff)), 403
    )
    assert_error(
        client.patch(
            url, json={"is_accepting_orders": False}, headers=auth_headers(make_consumer(session))
        ),
        404,
    )
    session.refresh(venue)
    assert venue.is_accepting_orders is True
