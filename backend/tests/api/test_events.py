"""Events: a venue's team creates, changes, cancels and lists them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Event, EventStatus, User, Venue, VenueKind, VenueRole
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.places import make_event
from tests.utils import QueryCounter, assert_error


def _owner_venue(session: Session) -> tuple[User, Venue]:
    owner = make_user(session)
    return owner, make_venue(session, owner=owner, kind=VenueKind.NIGHTCLUB)


def _payload(**overrides: Any) -> dict[str, Any]:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    body: dict[str, Any] = {
        "title": "  Techno Friday ",
        "description": "Four DJs, one long night.",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "image_url": "https://cdn.example.com/techno.jpg",
        "min_age": 21,
        "dress_code": "Smart casual",
    }
    body.update(overrides)
    return body


def test_create_event(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    payload = _payload()
    resp = client.post(
        f"/api/v1/venues/{venue.id}/events", json=payload, headers=auth_headers(owner)
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["title"] == "Techno Friday"
    assert body["venue_id"] == str(venue.id)
    assert body["status"] == "scheduled"
    assert body["cancelled_at"] is None
    assert body["image_url"] == "https://cdn.example.com/techno.jpg"
    assert (body["min_age"], body["dress_code"]) == (21, "Smart casual")
    assert datetime.fromisoformat(body["starts_at"]) == datetime.fromisoformat(payload["starts_at"])
    # The default refund policy: in full, until a day before the start.
    assert (body["refund_percent"], body["cancel_cutoff_minutes"]) == (100, 1440)
    assert session.get(Event, body["id"]) is not None


def test_create_event_with_a_refund_policy(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    url = f"/api/v1/venues/{venue.id}/events"
    headers = auth_headers(owner)
    for percent, cutoff in ((50, 180), (0, 0), (100, 525_600)):
        resp = client.post(
            url,
            json=_payload(refund_percent=percent, cancel_cutoff_minutes=cutoff),
            headers=headers,
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert (body["refund_percent"], body["cancel_cutoff_minutes"]) == (percent, cutoff)
        event = session.get(Event, body["id"])
        assert event is not None
        assert (event.refund_percent, event.cancel_cutoff_minutes) == (percent, cutoff)
        public = client.get(f"/api/v1/events/{body['id']}").json()
        assert (public["refund_percent"], public["cancel_cutoff_minutes"]) == (percent, cutoff)


def test_create_keeps_offsets_as_instants(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    payload = _payload(starts_at=f"{day}T21:00:00+05:30", ends_at=f"{day}T23:30:00+05:30")
    resp = client.post(
        f"/api/v1/venues/{venue.id}/events", json=payload, headers=auth_headers(owner)
    )
    assert resp.status_code == 201, resp.text
    starts = datetime.fromisoformat(resp.json()["starts_at"])
    assert starts == datetime.fromisoformat(f"{day}T15:30:00+00:00")


def test_create_rejects_bad_payloads(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    url = f"/api/v1/venues/{venue.id}/events"
    headers = auth_headers(owner)
    now = datetime.now(UTC)
    bad = [
        _payload(starts_at="2099-01-01T21:00:00", ends_at="2099-01-02T03:00:00"),  # naive
        _payload(ends_at=(now + timedelta(days=2)).isoformat()),  # ends before it starts
        _payload(
            starts_at=(now - timedelta(days=2)).isoformat(),
            ends_at=(now - timedelta(days=1)).isoformat(),
        ),  # over
        _payload(ends_at=(now + timedelta(days=30)).isoformat()),  # too long
        _payload(
            starts_at="9999-12-31T20:00:00-05:00", ends_at="9999-12-31T23:00:00-05:00"
        ),  # too far ahead
        _payload(image_url="http://cdn.example.com/a.jpg"),
        _payload(image_url="javascript:alert(1)"),
        _payload(image_url="not a url"),
        _payload(min_age=-1),
        _payload(min_age=100),
        _payload(title="   "),
        _payload(title="x" * 201),
        _payload(dress_code=""),
        _payload(status="cancelled"),
        _payload(refund_percent=101),
        _payload(refund_percent=-1),
        _payload(refund_percent=50.5),
        _payload(refund_percent="50"),
        _payload(refund_percent=True),
        _payload(refund_percent=None),
        _payload(refund_percent=10**30),
        _payload(cancel_cutoff_minutes=-1),
        _payload(cancel_cutoff_minutes=525_601),
        _payload(cancel_cutoff_minutes=60.5),
        _payload(cancel_cutoff_minutes="60"),
        {"title": "No times"},
    ]
    for payload in bad:
        assert_error(client.post(url, json=payload, headers=headers), 422, "invalid")
    body = assert_error(
        client.post(url, json=_payload(image_url="http://x.example/a.jpg"), headers=headers), 422
    )
    assert "https" in str(body["detail"])


def test_manager_list(session: Session, client: TestClient, queries: QueryCounter) -> None:
    owner, venue = _owner_venue(session)
    later = make_event(session, venue=venue, title="Later", starts_in=timedelta(days=9))
    soon = make_event(session, venue=venue, title="Soon", starts_in=timedelta(days=1))
    past = make_event(session, venue=venue, title="Past", starts_in=timedelta(days=-5))
    cancelled = make_event(
        session, venue=venue, title="Off", starts_in=timedelta(days=2), status=EventStatus.CANCELLED
    )
    make_event(session, venue=make_venue(session), title="Elsewhere")
    url = f"/api/v1/venues/{venue.id}/events"
    headers = auth_headers(owner)

    with queries.count() as counted:
        body = client.get(url, headers=headers).json()
    assert [e["id"] for e in body["items"]] == [
        str(past.id),
        str(soon.id),
        str(cancelled.id),
        str(later.id),
    ]
    assert body["total"] == 4
    assert counted.total <= 5

    body = client.get(url, params={"upcoming": True}, headers=headers).json()
    assert [e["title"] for e in body["items"]] == ["Soon", "Off", "Later"]
    body = client.get(url, params={"status": "cancelled"}, headers=headers).json()
    assert [e["title"] for e in body["items"]] == ["Off"]
    body = client.get(url, params={"limit": 1, "offset": 1}, headers=headers).json()
    assert ([e["title"] for e in body["items"]], body["total"]) == (["Soon"], 4)
    assert_error(client.get(url, params={"status": "nope"}, headers=headers), 422)


def test_read_venue_event(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    event = make_event(session, venue=venue, title="Jazz")
    other = make_event(session, venue=make_venue(session))
    headers = auth_headers(owner)
    resp = client.get(f"/api/v1/venues/{venue.id}/events/{event.id}", headers=headers)
    assert resp.status_code == 200
    assert resp.json()["title"] == "Jazz"
    missing = f"/api/v1/venues/{venue.id}/events/{other.id}"
    assert_error(client.get(missing, headers=headers), 404, "not_found")


def test_update_event(session: Session, client: TestClient) -> None:
    _, venue = _owner_venue(session)
    manager = make_user(session)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    event = make_event(session, venue=venue, starts_in=timedelta(days=2))
    url = f"/api/v1/venues/{venue.id}/events/{event.id}"
    headers = auth_headers(manager)

    resp = client.patch(url, json={"title": "Renamed", "dress_code": None}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["title"] == "Renamed"
    new_end = (event.starts_at + timedelta(hours=8)).isoformat()
    resp = client.patch(url, json={"ends_at": new_end}, headers=headers)
    assert datetime.fromisoformat(resp.json()["ends_at"]) == event.starts_at + timedelta(hours=8)

    # Checked against the stored start.
    before_start = (event.starts_at - timedelta(hours=1)).isoformat()
    body = assert_error(client.patch(url, json={"ends_at": before_start}, headers=headers), 422)
    assert "after starts_at" in str(body["detail"])
    resp = client.patch(
        url, json={"refund_percent": 25, "cancel_cutoff_minutes": 120}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["refund_percent"], resp.json()["cancel_cutoff_minutes"]) == (25, 120)
    assert resp.json()["title"] == "Renamed"
    for payload in (
        {"title": None},
        {"starts_at": None},
        {"refund_percent": None},
        {"refund_percent": 101},
        {"refund_percent": "25"},
        {"cancel_cutoff_minutes": None},
        {"cancel_cutoff_minutes": -5},
        {"cancel_cutoff_minutes": 10**12},
        {"starts_at": "2099-01-01T10:00:00"},
        {"image_url": "http://a.example/b.png"},
        {"venue_id": str(venue.id)},
    ):
        assert_error(client.patch(url, json=payload, headers=headers), 422, "invalid")
    session.refresh(event)
    assert event.title == "Renamed"
    assert (event.refund_percent, event.cancel_cutoff_minutes) == (25, 120)


def test_cancel_event(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    event = make_event(session, venue=venue)
    url = f"/api/v1/venues/{venue.id}/events/{event.id}"
    headers = auth_headers(owner)

    resp = client.post(f"{url}/cancel", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled"
    assert resp.json()["cancelled_at"] is not None
    assert_error(client.post(f"{url}/cancel", headers=headers), 409, "event_cancelled")
    assert_error(
        client.patch(url, json={"title": "Back on"}, headers=headers), 409, "event_cancelled"
    )


def test_an_event_that_is_over_cannot_be_cancelled(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    event = make_event(session, venue=venue, starts_in=timedelta(days=-3))
    url = f"/api/v1/venues/{venue.id}/events/{event.id}/cancel"
    assert_error(client.post(url, headers=auth_headers(owner)), 409, "event_over")
    session.refresh(event)
    assert event.status == EventStatus.SCHEDULED


def test_event_answers_carry_the_venue_name_without_a_query_per_event(
    session: Session, client: TestClient, queries: QueryCounter
) -> None:
    owner, venue = _owner_venue(session)
    venue.name = "Skyye & Co"
    session.add(venue)
    make_event(session, venue=venue, title="One")
    url = f"/api/v1/venues/{venue.id}/events"
    headers = auth_headers(owner)

    def listed() -> tuple[list[str], int]:
        session.expunge_all()  # as in a fresh request: nothing loaded yet
        with queries.count() as counted:
            body = client.get(url, headers=headers).json()
        return [e["venue_name"] for e in body["items"]], counted.total

    names, one = listed()
    assert names == ["Skyye & Co"]
    for i in range(7):
        make_event(session, venue=session.merge(venue), title=f"More {i}")
    names, eight = listed()
    assert names == ["Skyye & Co"] * 8
    assert eight == one
    # Reading, creating and changing one event carry it too.
    event_id = client.get(url, headers=headers).json()["items"][0]["id"]
    assert client.get(f"{url}/{event_id}", headers=headers).json()["venue_name"] == "Skyye & Co"
    created = client.post(url, json=_payload(), headers=headers)
    assert created.json()["venue_name"] == "Skyye & Co"
    changed = client.patch(f"{url}/{event_id}", json={"title": "Renamed"}, headers=headers)
    assert changed.json()["venue_name"] == "Skyye & Co"
