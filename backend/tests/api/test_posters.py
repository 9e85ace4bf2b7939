"""Managers run their venue's carousel posters: create, list, read, update, pause, delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import geo_index
from app.models import EventStatus, VenueRole
from app.models.base import utcnow
from app.models.poster import Poster, PosterCell
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.posters import make_event, make_poster, poster_payload
from tests.utils import QueryCounter, assert_error


def url(venue_id: Any, poster_id: Any = None, suffix: str = "") -> str:
    base = f"/api/v1/venues/{venue_id}/posters"
    return f"{base}/{poster_id}{suffix}" if poster_id is not None else base


def cells_of(session: Session, poster_id: Any) -> set[int]:
    return set(
        session.exec(select(PosterCell.cell).where(col(PosterCell.poster_id) == poster_id)).all()
    )


@pytest.fixture
def manager_world(session: Session) -> tuple[Any, dict[str, str]]:
    owner = make_user(session)
    manager = make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    return venue, auth_headers(manager)


def test_create_a_venue_poster_stores_its_covering(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    response = client.post(
        url(venue.id), json=poster_payload(venue_id=str(venue.id)), headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["promotes"] == "venue"
    assert body["venue_id"] == str(venue.id)
    assert body["event_id"] is None
    assert body["radius_m"] == 3000
    assert body["is_paused"] is False
    _, expected = geo_index.poster_covering(venue.latitude, venue.longitude, 3000)
    assert cells_of(session, body["id"]) == expected


def test_create_an_event_poster(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    event = make_event(session, venue=venue)
    response = client.post(
        url(venue.id), json=poster_payload(event_id=str(event.id)), headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["promotes"] == "event"
    assert response.json()["event_id"] == str(event.id)
    assert response.json()["venue_id"] == str(venue.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of a venue or an event"),
        ({"venue_id": "VENUE", "event_id": "EVENT"}, "not both"),
        ({"venue_id": "VENUE", "image_url": "http://cdn.example.com/a.jpg"}, "https://"),
        ({"venue_id": "VENUE", "image_url": "https:///no-host"}, "https://"),
        ({"venue_id": "VENUE", "deep_link": "ftp://x"}, "socia://"),
        ({"venue_id": "VENUE", "deep_link": "socia://"}, "socia://"),
        ({"venue_id": "VENUE", "deep_link": "socia://venue/1 x"}, "spaces"),
        ({"venue_id": "VENUE", "radius_m": 99}, "greater than or equal to 100"),
        ({"venue_id": "VENUE", "radius_m": 50_001}, "less than or equal to 50000"),
        ({"venue_id": "VENUE", "priority": -1}, "greater than or equal to 0"),
        ({"venue_id": "VENUE", "expires_at": "PAST"}, "expires_at must be in the future"),
        ({"venue_id": "VENUE", "starts_at": "LATER"}, "starts_at must be before expires_at"),
        ({"venue_id": "VENUE", "expires_at": "2030-01-01T00:00:00"}, "timezone"),
        ({"venue_id": "VENUE", "colour": "red"}, "Extra inputs"),
    ],
)
def test_create_rejects_bad_posters_with_a_clear_422(
    client: TestClient,
    session: Session,
    manager_world: tuple[Any, dict[str, str]],
    fields: dict[str, Any],
    message: str,
) -> None:
    venue, headers = manager_world
    event = make_event(session, venue=venue)
    now = utcnow()
    replace = {
        "VENUE": str(venue.id),
        "EVENT": str(event.id),
        "PAST": (now - timedelta(minutes=1)).isoformat(),
        "LATER": (now + timedelta(days=8)).isoformat(),
    }
    body = poster_payload(
        **{k: replace.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    )
    response = client.post(url(venue.id), json=body, headers=headers)
    error = assert_error(response, 422, "invalid")
    assert message in str(error["detail"]), error


def test_deep_links_use_the_configured_app_scheme(
    client: TestClient,
    manager_world: tuple[Any, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core.config import settings

    monkeypatch.setattr(settings, "APP_DEEP_LINK_SCHEME", "sociastaging")
    venue, headers = manager_world

    def create(deep_link: str) -> Any:
        body = poster_payload(venue_id=str(venue.id), deep_link=deep_link)
        return client.post(url(venue.id), json=body, headers=headers)

    for accepted in ("sociastaging://venue/1", "SociaStaging://event/2", "https://socia.app/e/3"):
        response = create(accepted)
        assert response.status_code == 201, response.text
        assert response.json()["deep_link"] == accepted
    for refused in ("socia://venue/1", "sociastaging://", "sociastagingx://venue/1"):
        error = assert_error(create(refused), 422, "invalid")
        assert "sociastaging://" in str(error["detail"]), error


def test_create_for_another_venue_id_is_422(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    elsewhere = make_venue(session)
    response = client.post(
        url(venue.id), json=poster_payload(venue_id=str(elsewhere.id)), headers=headers
    )
    body = assert_error(response, 422, "poster_venue_mismatch")
    assert body["detail"][0]["loc"] == ["body", "venue_id"]
    assert "only promote the venue" in body["detail"][0]["msg"]


def test_create_for_an_event_of_another_venue_is_404(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    foreign_event = make_event(session, venue=make_venue(session))
    response = client.post(
        url(venue.id), json=poster_payload(event_id=str(foreign_event.id)), headers=headers
    )
    assert_error(response, 404, "not_found")


def test_create_for_a_cancelled_or_finished_event_is_409(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    cancelled = make_event(session, venue=venue, status=EventStatus.CANCELLED)
    over = make_event(
        session,
        venue=venue,
        starts_at=utcnow() - timedelta(hours=6),
        ends_at=utcnow() - timedelta(hours=1),
    )
    for event, code in ((cancelled, "event_cancelled"), (over, "event_over")):
        response = client.post(
            url(venue.id), json=poster_payload(event_id=str(event.id)), headers=headers
        )
        assert_error(response, 409, code)
    assert session.exec(select(Poster).where(Poster.venue_id == venue.id)).all() == []


def test_list_is_scoped_paged_and_bounded_in_queries(
    client: TestClient,
    session: Session,
    queries: QueryCounter,
    manager_world: tuple[Any, dict[str, str]],
) -> None:
    venue, headers = manager_world
    mine = {make_poster(session, venue=venue).id for _ in range(5)}
    make_poster(session, venue=make_venue(session))
    with queries.count() as counted:
        response = client.get(url(venue.id), params={"limit": 3}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 5
    assert len(page["items"]) == 3
    rest = client.get(url(venue.id), params={"limit": 3, "offset": 3}, headers=headers).json()
    assert {p["id"] for p in page["items"] + rest["items"]} == {str(i) for i in mine}
    assert counted.total <= 5  # auth user, membership, count, page


def test_read_update_pause_resume_delete(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    poster = make_poster(session, venue=venue, radius_m=500)
    before = cells_of(session, poster.id)

    assert client.get(url(venue.id, poster.id), headers=headers).json()["id"] == str(poster.id)

    response = client.patch(
        url(venue.id, poster.id),
        json={"radius_m": 20_000, "priority": 7, "title": None},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["radius_m"] == 20_000
    assert response.json()["priority"] == 7
    assert response.json()["title"] is None
    after = cells_of(session, poster.id)
    _, expected = geo_index.poster_covering(venue.latitude, venue.longitude, 20_000)
    assert after == expected != before

    assert (
        client.post(url(venue.id, poster.id, "/pause"), headers=headers).json()["is_paused"] is True
    )
    assert (
        client.post(url(venue.id, poster.id, "/resume"), headers=headers).json()["is_paused"]
        is False
    )

    assert client.delete(url(venue.id, poster.id), headers=headers).status_code == 204
    assert_error(client.get(url(venue.id, poster.id), headers=headers), 404, "not_found")
    assert cells_of(session, poster.id) == set()


@pytest.mark.parametrize(
    "body",
    [
        {"radius_m": None},
        {"image_url": "http://x.example.com/a.png"},
        {"event_id": None},
        {"expires_at": "2020-01-01T00:00:00+00:00"},
    ],
)
def test_update_rejects_bad_changes(
    client: TestClient,
    session: Session,
    manager_world: tuple[Any, dict[str, str]],
    body: dict[str, Any],
) -> None:
    venue, headers = manager_world
    poster = make_poster(session, venue=venue)
    assert_error(client.patch(url(venue.id, poster.id), json=body, headers=headers), 422, "invalid")


def test_update_checks_the_window_against_stored_values(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    poster = make_poster(session, venue=venue, expires_at=utcnow() + timedelta(days=2))
    later = (utcnow() + timedelta(days=3)).isoformat()
    response = client.patch(url(venue.id, poster.id), json={"starts_at": later}, headers=headers)
    assert "starts_at must be before expires_at" in str(assert_error(response, 422)["detail"])


def test_a_poster_of_another_venue_is_not_found_through_this_one(
    client: TestClient, session: Session, manager_world: tuple[Any, dict[str, str]]
) -> None:
    venue, headers = manager_world
    foreign = make_poster(session, venue=make_venue(session))
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(method, url(venue.id, foreign.id), json={}, headers=headers)
        assert_error(response, 404, "not_found")
    assert_error(client.post(url(venue.id, foreign.id, "/pause"), headers=headers), 404)
    assert session.get(Poster, foreign.id) is not None
