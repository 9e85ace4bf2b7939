"""The public poster feed: live posters whose radius covers the caller, nearest first,
then higher priority, with exact great-circle distances, and exactly those."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.core.geo import haversine_m
from app.crud import poster as poster_crud
from app.models import Event, EventStatus, Venue
from app.models.base import utcnow
from app.models.poster import Poster
from tests.core.test_geo_index import destination
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.posters import make_event, make_poster
from tests.utils import QueryCounter, assert_error, assert_whole_metres

CITY = (12.9716, 77.5946)
FEED = "/api/v1/posters/feed"


def feed(client: TestClient, lat: float, lng: float, limit: int = 50) -> list[dict[str, Any]]:
    response = client.get(FEED, params={"lat": lat, "lng": lng, "limit": limit})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_feed_is_public_nearest_first_then_priority(client: TestClient, session: Session) -> None:
    near = make_venue(session, latitude=CITY[0], longitude=CITY[1] + 0.005, name="Near")
    far = make_venue(session, latitude=CITY[0], longitude=CITY[1] + 0.02, name="Far")
    low = make_poster(session, venue=near, priority=1)
    high = make_poster(session, venue=near, priority=9)
    farther = make_poster(session, venue=far, priority=100)
    event = make_event(session, venue=far, title="Techno")
    for_event = make_poster(session, venue=far, event=event, priority=100)

    items = feed(client, *CITY)
    assert [i["id"] for i in items] == [
        str(p.id) for p in (high, low, *sorted([farther, for_event], key=lambda p: p.id))
    ]
    assert items[0]["venue_name"] == "Near"
    assert items[0]["promotes"] == "venue"
    assert_whole_metres(items[0]["distance_m"], haversine_m(*CITY, near.latitude, near.longitude))
    by_id = {i["id"]: i for i in items}
    assert by_id[str(for_event.id)]["promotes"] == "event"
    assert by_id[str(for_event.id)]["event_title"] == "Techno"
    assert feed(client, *CITY, limit=1) == items[:1]


def test_feed_shows_only_live_posters(client: TestClient, session: Session) -> None:
    now = utcnow()
    venue = make_venue(session, latitude=CITY[0], longitude=CITY[1])
    live = make_poster(session, venue=venue)
    make_poster(session, venue=venue, is_paused=True)
    make_poster(session, venue=venue, starts_at=now + timedelta(hours=1))
    make_poster(
        session,
        venue=venue,
        starts_at=now - timedelta(days=2),
        expires_at=now - timedelta(seconds=1),
    )
    cancelled = make_event(session, venue=venue)
    make_poster(session, venue=venue, event=cancelled)
    cancelled.status = EventStatus.CANCELLED
    over = make_event(session, venue=venue)
    make_poster(session, venue=venue, event=over)
    over.starts_at, over.ends_at = now - timedelta(hours=5), now - timedelta(minutes=1)
    upcoming = make_event(session, venue=venue)
    upcoming_poster = make_poster(session, venue=venue, event=upcoming)
    draft = make_venue(session, latitude=CITY[0], longitude=CITY[1], verified=False)
    make_poster(session, venue=draft)
    closed = make_venue(session, latitude=CITY[0], longitude=CITY[1], is_active=False)
    make_poster(session, venue=closed)
    session.flush()

    assert {i["id"] for i in feed(client, *CITY)} == {str(live.id), str(upcoming_poster.id)}


@pytest.mark.parametrize("radius_m", [100, 999, 3000, 12_345, 50_000])
def test_feed_radius_is_exact_at_the_rim(
    client: TestClient, session: Session, radius_m: int
) -> None:
    venue = make_venue(session, latitude=CITY[0], longitude=CITY[1])
    poster = make_poster(session, venue=venue, radius_m=radius_m)
    for bearing in (0, 45, 90, 180, 270, 333):
        inside = destination(*CITY, bearing, radius_m - 0.5)
        outside = destination(*CITY, bearing, radius_m + 0.5)
        assert [i["id"] for i in feed(client, *inside)] == [str(poster.id)]
        assert feed(client, *outside) == []


def test_feed_follows_the_venue_when_it_moves(client: TestClient, session: Session) -> None:
    venue = make_venue(session, latitude=CITY[0], longitude=CITY[1])
    poster = make_poster(session, venue=venue, radius_m=1000)
    event_poster = make_poster(
        session, venue=venue, event=make_event(session, venue=venue), radius_m=1000
    )
    moved_to = destination(*CITY, 90, 10_000)
    venue.latitude, venue.longitude = moved_to
    session.add(venue)
    poster_crud.refresh_cells_for_venue(session, venue_id=venue.id)

    assert feed(client, *CITY) == []
    assert {i["id"] for i in feed(client, *moved_to)} == {str(poster.id), str(event_poster.id)}


@pytest.mark.parametrize("bearing", [0, 90])  # latitude only, then longitude only
def test_moving_the_venue_through_the_api_moves_its_posters(
    client: TestClient, session: Session, bearing: float
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, latitude=CITY[0], longitude=CITY[1])
    poster = make_poster(session, venue=venue, radius_m=1000)
    event_poster = make_poster(
        session, venue=venue, event=make_event(session, venue=venue), radius_m=1000
    )
    assert {i["id"] for i in feed(client, *CITY)} == {str(poster.id), str(event_poster.id)}
    moved_to = destination(*CITY, bearing, 10_000)
    changed = {"latitude": moved_to[0]} if bearing == 0 else {"longitude": moved_to[1]}

    response = client.patch(f"/api/v1/venues/{venue.id}", json=changed, headers=auth_headers(owner))
    assert response.status_code == 200, response.text

    here = (response.json()["latitude"], response.json()["longitude"])
    assert feed(client, *CITY) == []
    items = feed(client, *here)
    assert {i["id"] for i in items} == {str(poster.id), str(event_poster.id)}
    assert all(i["distance_m"] == 0 for i in items)


def test_feed_is_one_query(client: TestClient, session: Session, queries: QueryCounter) -> None:
    for n in range(10):
        venue = make_venue(session, latitude=CITY[0] + n * 0.001, longitude=CITY[1])
        make_event(session, venue=venue)
        make_poster(session, venue=venue)
    with queries.count() as counted:
        assert len(feed(client, *CITY)) == 10
    assert counted.total == 1
    assert "ANY" in counted.statements[0]


def test_feed_answers_in_the_page_shape_of_every_list(client: TestClient, session: Session) -> None:
    venue = make_venue(session, latitude=CITY[0], longitude=CITY[1] + 0.005)
    posters = [make_poster(session, venue=venue, priority=p) for p in range(5)]
    by_priority = [str(p.id) for p in reversed(posters)]

    first = client.get(FEED, params={"lat": CITY[0], "lng": CITY[1], "limit": 2}).json()
    assert first["total"] == 5
    assert (first["limit"], first["offset"]) == (2, 0)
    assert [i["id"] for i in first["items"]] == by_priority[:2]
    last = client.get(FEED, params={"lat": CITY[0], "lng": CITY[1], "limit": 2, "offset": 4})
    assert last.json()["total"] == 5
    assert [i["id"] for i in last.json()["items"]] == by_priority[4:]
    beyond = client.get(FEED, params={"lat": CITY[0], "lng": CITY[1], "limit": 2, "offset": 9})
    assert beyond.json() == {"items": [], "total": 5, "limit": 2, "offset": 9}
    nothing = client.get(FEED, params={"lat": -CITY[0], "lng": CITY[1], "offset": 9}).json()
    assert nothing == {"items": [], "total": 0, "limit": 20, "offset": 9}


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 91, "lng": 0},
        {"lat": 0, "lng": 181},
        {"lat": 0},
        {"lat": 0, "lng": 0, "limit": 0},
        {"lat": 0, "lng": 0, "limit": 51},
        {"lat": 0, "lng": 0, "offset": -1},
    ],
)
def test_feed_rejects_bad_parameters(client: TestClient, params: dict[str, Any]) -> None:
    assert_error(client.get(FEED, params=params), 422, "invalid")


# -- the property: the feed equals a brute-force great-circle check over every poster -----


@dataclass
class GenPoster:
    venue: int
    radius_m: int
    priority: int
    state: str  # live | paused | expired | future
    event: str | None  # None | scheduled | cancelled | over


venue_strategy = st.tuples(
    st.floats(-0.12, 0.12),
    st.floats(-0.12, 0.12),
    st.booleans() | st.just(True),
    st.booleans() | st.just(True),
)
poster_strategy = st.builds(
    GenPoster,
    venue=st.integers(0, 7),
    radius_m=st.one_of(st.integers(100, 3000), st.integers(3000, 50_000)),
    priority=st.integers(0, 3),
    state=st.sampled_from(["live", "live", "live", "paused", "expired", "future"]),
    event=st.sampled_from([None, None, "scheduled", "cancelled", "over"]),
)
# A caller anywhere around the city, or close to the rim of one poster's circle.
anywhere = st.tuples(st.just("offset"), st.floats(-0.15, 0.15), st.floats(-0.15, 0.15))
near_rim = st.tuples(st.integers(0, 15), st.floats(0.0, 360.0), st.floats(0.9, 1.1))
caller_strategy = st.one_of(anywhere, near_rim)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    venues=st.lists(venue_strategy, min_size=1, max_size=8),
    posters=st.lists(poster_strategy, min_size=1, max_size=16),
    callers=st.lists(caller_strategy, min_size=1, max_size=3),
)
def test_feed_equals_brute_force_great_circle_check(
    client: TestClient,
    session: Session,
    venues: list[tuple[float, float, bool, bool]],
    posters: list[GenPoster],
    callers: list[tuple[Any, float, float]],
) -> None:
    now = utcnow()
    nested = session.begin_nested()
    try:
        made_venues: list[Venue] = [
            make_venue(
                session,
                latitude=CITY[0] + dlat,
                longitude=CITY[1] + dlng,
                verified=verified,
                is_active=active,
            )
            for dlat, dlng, verified, active in venues
        ]
        rows: list[tuple[Poster, Venue, bool]] = []
        for spec in posters:
            venue = made_venues[spec.venue % len(made_venues)]
            event: Event | None = None
            event_live = True
            if spec.event is not None:
                event = make_event(session, venue=venue)
            poster = make_poster(
                session,
                venue=venue,
                event=event,
                radius_m=spec.radius_m,
                priority=spec.priority,
                is_paused=spec.state == "paused",
                starts_at=now + timedelta(hours=1) if spec.state == "future" else None,
                expires_at=now - timedelta(minutes=1) if spec.state == "expired" else None,
            )
            if spec.state == "expired":
                poster.starts_at = now - timedelta(days=1)
            if event is not None and spec.event == "cancelled":
                event.status = EventStatus.CANCELLED
                event_live = False
            if event is not None and spec.event == "over":
                event.starts_at, event.ends_at = (
                    now - timedelta(hours=5),
                    now - timedelta(minutes=1),
                )
                event_live = False
            live = (
                spec.state == "live"
                and event_live
                and venue.status == "verified"
                and venue.is_active
            )
            rows.append((poster, venue, live))
        session.flush()

        for where, a, b in callers:
            if where == "offset":
                lat, lng = CITY[0] + a, CITY[1] + b
            else:
                poster, venue, _ = rows[where % len(rows)]
                lat, lng = destination(venue.latitude, venue.longitude, a, poster.radius_m * b)
            expected: list[tuple[float, int, uuid.UUID]] = []
            for poster, venue, live in rows:
                distance = haversine_m(lat, lng, venue.latitude, venue.longitude)
                # Leave out cases on the rim itself (SQL and Python may round differently).
                assume(abs(distance - poster.radius_m) > 0.01)
                if live and distance <= poster.radius_m:
                    expected.append((distance, -poster.priority, poster.id))
            expected.sort()
            got = feed(client, lat, lng)
            assert len(got) == len(expected)
            assert {i["id"] for i in got} == {str(e[2]) for e in expected}
            key_of = {str(pid): (distance, -neg) for distance, neg, pid in expected}
            for item, (distance, neg_priority, _) in zip(got, expected, strict=True):
                own_distance, own_priority = key_of[item["id"]]
                assert_whole_metres(item["distance_m"], own_distance)
                # The rank key at each place matches; only exact ties may swap ids.
                assert math.isclose(own_distance, distance, rel_tol=0, abs_tol=1e-6)
                assert own_priority == -neg_priority
    finally:
        nested.rollback()
