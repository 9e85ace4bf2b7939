"""Public discovery: nearest first with exact distances, filters, pages, food courts."""

from __future__ import annotations

import math
from datetime import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.geo import haversine_m
from app.models import VenueKind, VenueRole
from app.models.venue import VenueOpeningHours
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.utils import QueryCounter, assert_error, assert_whole_metres

URL = "/api/v1/venues"
# A point far from every other test's venues (the Kerala coast), so counts are exact.
LAT, LNG = 9.9312, 76.2673


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    dlat = north_m / 111_195.0
    dlng = east_m / (111_195.0 * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def test_nearest_first_with_exact_distance_within_radius(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    placed = {}
    for name, north, east in [
        ("Far", 2900, 0),
        ("Near", 100, 100),
        ("Middle", -1200, 800),
        ("Outside", 3200, 0),
        ("Way out", 0, 20_000),
    ]:
        lat, lng = offset(LAT, LNG, north, east)
        placed[name] = make_venue(session, owner=owner, name=name, latitude=lat, longitude=lng)
    make_venue(session, owner=owner, name="Draft", verified=False, latitude=LAT, longitude=LNG)
    make_venue(session, owner=owner, name="Closed", is_active=False, latitude=LAT, longitude=LNG)

    body = client.get(URL, params={"lat": LAT, "lng": LNG, "radius_m": 3000}).json()
    assert body["total"] == 3
    assert [i["name"] for i in body["items"]] == ["Near", "Middle", "Far"]
    for item in body["items"]:
        venue = placed[item["name"]]
        expected = haversine_m(LAT, LNG, venue.latitude, venue.longitude)
        assert_whole_metres(item["distance_m"], expected)
        assert item["distance_m"] <= 3000
    # The boundary is exact: 3200 m is in at 3250 m and out at 3150 m.
    body = client.get(URL, params={"lat": LAT, "lng": LNG, "radius_m": 3250}).json()
    assert "Outside" in [i["name"] for i in body["items"]]
    body = client.get(URL, params={"lat": LAT, "lng": LNG, "radius_m": 3150}).json()
    assert "Outside" not in [i["name"] for i in body["items"]]


def test_pages_have_a_total(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    for n in range(7):
        lat, lng = offset(LAT, LNG, 100 * (n + 1), 0)
        make_venue(session, owner=owner, name=f"V{n}", latitude=lat, longitude=lng)
    params = {"lat": LAT, "lng": LNG, "radius_m": 2000, "limit": 3}
    first = client.get(URL, params=params).json()
    assert first["total"] == 7
    assert [i["name"] for i in first["items"]] == ["V0", "V1", "V2"]
    last = client.get(URL, params={**params, "offset": 6}).json()
    assert [i["name"] for i in last["items"]] == ["V6"]
    assert last["total"] == 7
    beyond = client.get(URL, params={**params, "offset": 50}).json()
    assert beyond == {"items": [], "total": 7, "limit": 3, "offset": 50}


def test_filters(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    cheap = make_venue(
        session,
        owner=owner,
        name="Cheap Dosa Corner",
        kind=VenueKind.RESTAURANT,
        cuisines=["south indian"],
        avg_cost_for_two_minor=40_000,
        latitude=LAT,
        longitude=LNG,
    )
    make_venue(
        session,
        owner=owner,
        name="Pricey Grill 100%",
        kind=VenueKind.RESTAURANT,
        cuisines=["continental"],
        avg_cost_for_two_minor=400_000,
        latitude=LAT,
        longitude=LNG,
    )
    club = make_venue(
        session, owner=owner, name="Club", kind=VenueKind.NIGHTCLUB, latitude=LAT, longitude=LNG
    )
    base = {"lat": LAT, "lng": LNG, "radius_m": 500}

    def names(**params: object) -> list[str]:
        response = client.get(URL, params={**base, **params})
        assert response.status_code == 200, response.text
        return sorted(i["name"] for i in response.json()["items"])

    assert names(kind="nightclub") == ["Club"]
    assert names(kind=["nightclub", "restaurant"]) == [
        "Cheap Dosa Corner",
        "Club",
        "Pricey Grill 100%",
    ]
    assert names(cuisine="South Indian") == ["Cheap Dosa Corner"]
    assert names(max_cost_for_two=50_000) == ["Cheap Dosa Corner"]
    assert names(q="dosa") == ["Cheap Dosa Corner"]
    assert names(q="100%") == ["Pricey Grill 100%"]
    assert names(q="%") == ["Pricey Grill 100%"]  # wildcards are literal
    assert names(q="_") == []

    # open_now in the venue's own time zone: the club is open around the clock.
    for weekday in range(7):
        session.add(
            VenueOpeningHours(venue_id=club.id, weekday=weekday, opens=time(0), closes=time(0))
        )
    session.flush()
    assert names(open_now=True) == ["Club"]
    assert "Club" not in names(open_now=False)
    assert cheap.name in names(open_now=False)


def test_without_a_point_sorted_by_name(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    make_venue(session, owner=owner, name="zz-discovery-b")
    make_venue(session, owner=owner, name="zz-discovery-a")
    body = client.get(URL, params={"q": "zz-discovery"}).json()
    assert [i["name"] for i in body["items"]] == ["zz-discovery-a", "zz-discovery-b"]
    assert all(i["distance_m"] is None for i in body["items"])


@pytest.mark.parametrize(
    "params",
    [
        {"lat": LAT},
        {"lng": LNG},
        {"lat": 91, "lng": LNG},
        {"lat": LAT, "lng": 181},
        {"lat": LAT, "lng": LNG, "radius_m": 10},
        {"lat": LAT, "lng": LNG, "radius_m": 10_000_000},
        {"kind": "casino"},
        {"limit": 0},
        {"limit": 101},
        {"max_cost_for_two": -1},
        {"q": "nul\x00"},
        {"q": "   "},
        {"cuisine": " "},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    assert_error(client.get(URL, params=params), 422, "invalid")


def test_search_is_a_bounded_number_of_queries(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    owner = make_user(session)
    for n in range(25):
        lat, lng = offset(LAT, LNG, 50 * n, 0)
        make_venue(session, owner=owner, latitude=lat, longitude=lng)
    with queries.count() as counted:
        response = client.get(URL, params={"lat": LAT, "lng": LNG, "limit": 20})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 20
    assert counted.total <= 2, counted.statements


def test_food_court_lists_its_qsrs(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    court = make_venue(session, owner=owner, kind=VenueKind.FOOD_COURT, name="Court")
    body = {
        "kind": "qsr",
        "name": "Burger Counter",
        "address": "Court, stall 4",
        "latitude": LAT,
        "longitude": LNG,
        "food_court_id": str(court.id),
    }
    response = client.post(URL, json=body, headers=auth_headers(owner))
    assert response.status_code == 201, response.text
    inside = response.json()
    assert inside["food_court_id"] == str(court.id)
    # The QSR is a draft: the public list hides it; members of the food court see it.
    assert client.get(f"{URL}/{court.id}/qsrs").json() == []
    listed = client.get(f"{URL}/{court.id}/qsrs", headers=auth_headers(owner)).json()
    assert [q["id"] for q in listed] == [inside["id"]]

    # Someone who does not manage the food court cannot put a QSR in it.
    stranger = make_user(session)
    assert_error(client.post(URL, json=body, headers=auth_headers(stranger)), 404)
    staff = make_user(session)
    add_member(session, venue=court, user=staff, role=VenueRole.STAFF)
    assert_error(client.post(URL, json=body, headers=auth_headers(staff)), 403)
    restaurant = make_venue(session, owner=owner, kind=VenueKind.RESTAURANT)
    assert_error(
        client.post(
            URL, json={**body, "food_court_id": str(restaurant.id)}, headers=auth_headers(owner)
        ),
        409,
    )


def test_attach_and_detach_a_qsr_needs_both_venues(client: TestClient, session: Session) -> None:
    owner, qsr_owner = make_user(session), make_user(session)
    court = make_venue(session, owner=owner, kind=VenueKind.FOOD_COURT)
    qsr = make_venue(session, owner=qsr_owner, kind=VenueKind.QSR)
    url = f"{URL}/{court.id}/qsrs/{qsr.id}"
    # Managing only the food court is not enough.
    assert_error(client.put(url, headers=auth_headers(owner)), 404)
    add_member(session, venue=qsr, user=owner, role=VenueRole.STAFF)
    assert_error(client.put(url, headers=auth_headers(owner)), 403)
    # Managing only the QSR is not enough either.
    assert_error(client.put(url, headers=auth_headers(qsr_owner)), 404)

    add_member(session, venue=court, user=qsr_owner, role=VenueRole.MANAGER)
    response = client.put(url, headers=auth_headers(qsr_owner))
    assert response.status_code == 200, response.text
    assert response.json()["food_court_id"] == str(court.id)
    assert [q["id"] for q in client.get(f"{URL}/{court.id}/qsrs").json()] == [str(qsr.id)]

    other_court = make_venue(session, owner=qsr_owner, kind=VenueKind.FOOD_COURT)
    assert_error(
        client.put(f"{URL}/{other_court.id}/qsrs/{qsr.id}", headers=auth_headers(qsr_owner)), 409
    )
    not_qsr = make_venue(session, owner=qsr_owner, kind=VenueKind.RESTAURANT)
    assert_error(
        client.put(f"{URL}/{court.id}/qsrs/{not_qsr.id}", headers=auth_headers(qsr_owner)), 409
    )
    assert_error(
        client.put(f"{URL}/{not_qsr.id}/qsrs/{qsr.id}", headers=auth_headers(qsr_owner)), 409
    )

    assert client.delete(url, headers=auth_headers(qsr_owner)).status_code == 204
    assert client.get(f"{URL}/{court.id}/qsrs").json() == []
    assert_error(client.delete(url, headers=auth_headers(qsr_owner)), 404)
