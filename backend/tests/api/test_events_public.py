"""Events as consumers see them: nearby, by venue, one; hidden when not public."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.geo import haversine_m
from app.models import EventStatus, Venue, VenueKind
from tests.factories import auth_headers, make_consumer, make_venue
from tests.factories.places import make_event
from tests.utils import QueryCounter, assert_error, assert_whole_metres

# A point in central Bengaluru, and venues at known offsets from it.
LAT, LNG = 12.9716, 77.5946


def _venue_at(session: Session, north_m: float, **fields: Any) -> Venue:
    # One degree of latitude is ~111.2 km.
    return make_venue(
        session, kind=VenueKind.NIGHTCLUB, latitude=LAT + north_m / 111_195, longitude=LNG, **fields
    )


def _nearby(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get("/api/v1/events/nearby", params={"lat": LAT, "lng": LNG, **params})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_nearby_lists_upcoming_public_events(session: Session, client: TestClient) -> None:
    near = _venue_at(session, 1_000, name="Near Club")
    nearer = _venue_at(session, 200)
    far = _venue_at(session, 30_000)
    draft = _venue_at(session, 300, verified=False)
    closed = _venue_at(session, 300, is_active=False)

    tonight_near = make_event(
        session, venue=near, title="Tonight near", starts_in=timedelta(hours=3)
    )
    tonight_nearer = make_event(
        session, venue=nearer, title="Tonight nearer", starts_in=timedelta(hours=3)
    )
    # Same start as the two above: the nearer one first.
    tonight_nearer.starts_at = tonight_near.starts_at
    tonight_nearer.ends_at = tonight_near.ends_at
    session.add(tonight_nearer)
    ongoing = make_event(
        session,
        venue=near,
        title="Ongoing",
        starts_in=timedelta(hours=-1),
        duration=timedelta(hours=4),
    )
    later = make_event(session, venue=nearer, title="Next week", starts_in=timedelta(days=7))
    make_event(session, venue=near, title="Over", starts_in=timedelta(days=-1))
    make_event(session, venue=near, title="Called off", status=EventStatus.CANCELLED)
    make_event(session, venue=far, title="Far")
    make_event(session, venue=draft, title="Draft venue")
    make_event(session, venue=closed, title="Closed venue")
    session.flush()

    body = _nearby(client, radius_m=5_000)
    items = body["items"]
    assert isinstance(items, list)
    assert [e["title"] for e in items] == ["Ongoing", "Tonight nearer", "Tonight near", "Next week"]
    assert body["total"] == 4
    first = items[0]
    assert first["id"] == str(ongoing.id)
    assert first["venue"]["name"] == "Near Club"
    assert first["venue"]["kind"] == "nightclub"
    assert_whole_metres(first["distance_m"], haversine_m(LAT, LNG, near.latitude, LNG))
    assert 990 < first["distance_m"] < 1010
    assert {str(tonight_near.id), str(later.id)} <= {e["id"] for e in items}

    # The radius is exact great-circle distance: 900 m leaves out the venue 1 km away.
    body = _nearby(client, radius_m=900)
    assert [e["title"] for e in body["items"]] == ["Tonight nearer", "Next week"]
    body = _nearby(client, radius_m=50_000)
    assert body["total"] == 5

    body = _nearby(client, radius_m=5_000, limit=2, offset=2)
    assert [e["title"] for e in body["items"]] == ["Tonight near", "Next week"]
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 2)


@pytest.mark.parametrize(("venue_lng", "caller_lng"), [(179.99, -179.99), (-179.99, 179.99)])
def test_nearby_finds_events_across_the_180th_meridian(
    session: Session, client: TestClient, venue_lng: float, caller_lng: float
) -> None:
    """Fiji (about 2.2 km apart here): the bounding box wraps, as in the venue search."""
    venue = make_venue(session, kind=VenueKind.NIGHTCLUB, latitude=-17.0, longitude=venue_lng)
    event = make_event(session, venue=venue)
    far = make_venue(session, kind=VenueKind.NIGHTCLUB, latitude=-17.0, longitude=0.0)
    make_event(session, venue=far)

    resp = client.get(
        "/api/v1/events/nearby", params={"lat": -17.0, "lng": caller_lng, "radius_m": 5_000}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [item["id"] for item in body["items"]] == [str(event.id)]
    assert_whole_metres(
        body["items"][0]["distance_m"], haversine_m(-17, caller_lng, -17, venue_lng)
    )


def test_nearby_is_bounded_in_queries(
    session: Session, client: TestClient, queries: QueryCounter
) -> None:
    for i in range(6):
        venue = _venue_at(session, 100 * i)
        make_event(session, venue=venue)
        make_event(session, venue=venue, starts_in=timedelta(days=3))
    with queries.count() as counted:
        body = _nearby(client)
    assert body["total"] == 12
    assert counted.total <= 2
    assert all(item["venue_name"] == item["venue"]["name"] for item in body["items"])


def test_nearby_works_signed_in_and_rejects_bad_input(session: Session, client: TestClient) -> None:
    make_event(session, venue=_venue_at(session, 0))
    consumer = make_consumer(session)
    resp = client.get(
        "/api/v1/events/nearby", params={"lat": LAT, "lng": LNG}, headers=auth_headers(consumer)
    )
    assert resp.json()["total"] == 1
    for params in (
        {"lat": 91, "lng": LNG},
        {"lat": LAT, "lng": -181},
        {"lat": LAT},
        {"lat": LAT, "lng": LNG, "radius_m": 50},
        {"lat": LAT, "lng": LNG, "radius_m": 50_001},
        {"lat": LAT, "lng": LNG, "limit": 101},
        {"lat": "north", "lng": LNG},
    ):
        assert_error(client.get("/api/v1/events/nearby", params=params), 422, "invalid")


def test_venue_upcoming_events(session: Session, client: TestClient, queries: QueryCounter) -> None:
    venue = _venue_at(session, 0)
    second = make_event(session, venue=venue, title="Second", starts_in=timedelta(days=5))
    first = make_event(session, venue=venue, title="First", starts_in=timedelta(days=1))
    make_event(session, venue=venue, title="Over", starts_in=timedelta(days=-2))
    make_event(session, venue=venue, title="Off", status=EventStatus.CANCELLED)
    make_event(session, venue=_venue_at(session, 0), title="Elsewhere")

    with queries.count() as counted:
        resp = client.get("/api/v1/events", params={"venue_id": str(venue.id)})
    assert resp.status_code == 200, resp.text
    assert counted.total <= 3
    body = resp.json()
    assert [e["id"] for e in body["items"]] == [str(first.id), str(second.id)]
    assert body["total"] == 2
    assert body["items"][0]["venue"]["id"] == str(venue.id)
    assert body["items"][0]["venue_name"] == venue.name
    assert body["items"][0]["distance_m"] is None


def test_venue_events_of_hidden_venues_are_not_found(session: Session, client: TestClient) -> None:
    for venue in (_venue_at(session, 0, verified=False), _venue_at(session, 0, is_active=False)):
        make_event(session, venue=venue)
        resp = client.get("/api/v1/events", params={"venue_id": str(venue.id)})
        assert_error(resp, 404, "not_found")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(client.get("/api/v1/events", params={"venue_id": unknown}), 404, "not_found")
    assert_error(client.get("/api/v1/events"), 422, "invalid")
    assert_error(client.get("/api/v1/events", params={"venue_id": "x"}), 422, "invalid")


def test_read_public_event(session: Session, client: TestClient) -> None:
    venue = _venue_at(session, 0, name="Pebble")
    event = make_event(session, venue=venue, title="Sundowner", image_url="https://x.example/a.jpg")
    resp = client.get(f"/api/v1/events/{event.id}")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["title"], body["venue"]["name"], body["status"]) == (
        "Sundowner",
        "Pebble",
        "scheduled",
    )
    assert body["image_url"] == "https://x.example/a.jpg"
    assert "created_at" not in body

    # Cancelled and past events stay readable (a shared link says what happened).
    cancelled = make_event(session, venue=venue, status=EventStatus.CANCELLED)
    assert client.get(f"/api/v1/events/{cancelled.id}").json()["status"] == "cancelled"
    past = make_event(session, venue=venue, starts_in=timedelta(days=-10))
    assert client.get(f"/api/v1/events/{past.id}").status_code == 200


def test_events_of_hidden_venues_cannot_be_read(session: Session, client: TestClient) -> None:
    for venue in (_venue_at(session, 0, verified=False), _venue_at(session, 0, is_active=False)):
        event = make_event(session, venue=venue)
        assert_error(client.get(f"/api/v1/events/{event.id}"), 404, "not_found")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(client.get(f"/api/v1/events/{unknown}"), 404, "not_found")
    assert_error(client.get("/api/v1/events/not-a-uuid"), 422)
