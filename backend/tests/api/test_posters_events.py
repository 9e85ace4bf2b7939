"""Impressions and taps: batches from the app, each client event counted once, per poster
per day and per H3 resolution-7 area; managers read the counts."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core import geo_index
from app.core.config import settings
from app.models import User, Venue, VenueRole
from app.models.base import utcnow
from app.models.poster import PosterDailyStat
from app.schema.poster import PosterEventBatch
from app.services import poster_stats
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.posters import make_poster
from tests.utils import assert_error

EVENTS = "/api/v1/posters/events"
HERE = (12.9716, 77.5946)
THERE = (12.9352, 77.6245)  # Koramangala, another resolution-7 area


def event(
    poster_id: Any,
    kind: str = "impression",
    *,
    at: datetime | None = None,
    where: tuple[float, float] | None = HERE,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "poster_id": str(poster_id),
        "kind": kind,
        "occurred_at": (at or utcnow()).isoformat(),
    }
    if where is not None:
        body["lat"], body["lng"] = where
    return body


def stats_url(venue: Venue, poster_id: Any) -> str:
    return f"/api/v1/venues/{venue.id}/posters/{poster_id}/stats"


def test_batch_is_counted_once_per_client_event_id(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many impressions of one poster from one client: no per-client window here.
    monkeypatch.setattr(settings, "POSTER_EVENT_WINDOW_SECONDS", 0)
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    poster = make_poster(session, venue=venue)
    now = utcnow()
    yesterday = now - timedelta(days=1)
    batch = [
        event(poster.id),
        event(poster.id),
        event(poster.id, "tap"),
        event(poster.id, where=THERE),
        event(poster.id, "tap", where=None),
        event(poster.id, at=yesterday),
        event(uuid.uuid4()),  # an unknown (deleted) poster
        event(poster.id, at=now - timedelta(days=31)),  # too old to count
    ]
    first = client.post(EVENTS, json={"events": batch})
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 6, "duplicates": 0, "ignored": 2}
    retry = client.post(EVENTS, json={"events": [*batch, event(poster.id, "tap")]})
    assert retry.json() == {"accepted": 1, "duplicates": 6, "ignored": 2}

    response = client.get(stats_url(venue, poster.id), headers=auth_headers(owner))
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["totals"] == {"impressions": 4, "taps": 3}
    assert [(d["impressions"], d["taps"]) for d in stats["days"]] == [(1, 0), (3, 3)]
    areas = {a["area"]: (a["impressions"], a["taps"]) for a in stats["areas"]}
    here = geo_index.cell_to_str(geo_index.area_cell(*HERE))
    there = geo_index.cell_to_str(geo_index.area_cell(*THERE))
    assert here != there
    assert areas == {here: (3, 2), there: (1, 0)}

    only_yesterday = client.get(
        stats_url(venue, poster.id),
        params={"date_from": str(stats["days"][0]["day"]), "date_to": str(stats["days"][0]["day"])},
        headers=auth_headers(owner),
    ).json()
    assert only_yesterday["totals"] == {"impressions": 1, "taps": 0}


def test_day_is_the_venues_local_date(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, timezone="Asia/Kolkata")
    poster = make_poster(session, venue=venue)
    # 20:00 UTC is 01:30 the next day in India.
    at = (utcnow() - timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    client.post(EVENTS, json={"events": [event(poster.id, at=at)]})
    stats = client.get(stats_url(venue, poster.id), headers=auth_headers(owner)).json()
    assert [d["day"] for d in stats["days"]] == [str((at + timedelta(days=1)).date())]


@pytest.mark.parametrize(
    "events",
    [
        [],
        [
            {
                "id": "not-a-uuid",
                "poster_id": str(uuid.uuid4()),
                "kind": "impression",
                "occurred_at": "2030-01-01T00:00:00Z",
            }
        ],
        [
            {
                "id": str(uuid.uuid4()),
                "poster_id": str(uuid.uuid4()),
                "kind": "like",
                "occurred_at": "2030-01-01T00:00:00Z",
            }
        ],
        [
            {
                "id": str(uuid.uuid4()),
                "poster_id": str(uuid.uuid4()),
                "kind": "tap",
                "occurred_at": "2030-01-01T00:00:00",
            }
        ],
        [
            {
                "id": str(uuid.uuid4()),
                "poster_id": str(uuid.uuid4()),
                "kind": "tap",
                "occurred_at": "2030-01-01T00:00:00Z",
                "lat": 12.9,
            }
        ],
    ],
)
def test_bad_batches_are_422(client: TestClient, events: list[dict[str, Any]]) -> None:
    assert_error(client.post(EVENTS, json={"events": events}), 422, "invalid")


def test_a_batch_repeating_an_id_is_422(client: TestClient) -> None:
    one = event(uuid.uuid4())
    body = assert_error(client.post(EVENTS, json={"events": [one, one]}), 422)
    assert "unique within a batch" in str(body["detail"])


def test_a_batch_is_at_most_500_events(client: TestClient) -> None:
    poster_id = uuid.uuid4()
    assert_error(client.post(EVENTS, json={"events": [event(poster_id) for _ in range(501)]}), 422)


def test_stats_range_is_checked(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    poster = make_poster(session, venue=venue)
    headers = auth_headers(owner)
    url = stats_url(venue, poster.id)
    assert_error(
        client.get(
            url, params={"date_from": "2026-02-02", "date_to": "2026-02-01"}, headers=headers
        ),
        422,
    )
    assert_error(
        client.get(
            url, params={"date_from": "2024-01-01", "date_to": "2026-01-01"}, headers=headers
        ),
        422,
    )
    assert_error(client.get(url, params={"date_from": "yesterday"}, headers=headers), 422)
    early = client.get(url, params={"date_to": "0001-01-02"}, headers=headers)
    assert early.status_code == 200, early.text
    assert early.json()["date_from"] == "0001-01-01"


def test_concurrent_retries_of_one_batch_count_once(engine: Engine) -> None:
    """Two connections send the same batch at the same moment: one counts it, the other
    sees duplicates (the receipt's primary key decides, not a read-then-write)."""
    with Session(engine) as setup:
        owner = make_user(setup)
        venue = make_venue(setup, owner=owner)
        poster = make_poster(setup, venue=venue)
        setup.commit()
        venue_id, poster_id, owner_id = venue.id, poster.id, owner.id
    batch = PosterEventBatch.model_validate(
        {
            "events": [event(poster_id) for _ in range(20)]
            + [event(poster_id, "tap") for _ in range(5)]
        }
    )
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with Session(engine) as session:
                barrier.wait(timeout=30)
                result = poster_stats.record_events(session, batch=batch, client=None)
                session.commit()
                results.append(result.accepted)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sorted(results) == [0, 0, 0, 25]
        with Session(engine) as check:
            rows = check.exec(
                select(PosterDailyStat).where(PosterDailyStat.poster_id == poster_id)
            ).all()
            assert sum(r.impressions for r in rows) == 20
            assert sum(r.taps for r in rows) == 5
    finally:
        with Session(engine) as cleanup:
            venue_row = cleanup.get(Venue, venue_id)
            if venue_row is not None:
                cleanup.delete(venue_row)
            owner_row = cleanup.get(User, owner_id)
            if owner_row is not None:
                cleanup.delete(owner_row)
            cleanup.commit()


def test_events_for_posters_of_any_venue_need_no_sign_in(
    client: TestClient, session: Session
) -> None:
    staff = make_user(session)
    venue = make_venue(session)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    poster = make_poster(session, venue=venue)
    response = client.post(EVENTS, json={"events": [event(poster.id, "tap")]})
    assert response.json()["accepted"] == 1


def test_event_batches_are_rate_limited_per_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import settings

    monkeypatch.setattr(settings, "POSTER_EVENTS_LIMIT_PER_IP", "2/minute")
    body: dict[str, Any] = {"events": []}
    statuses = [client.post("/api/v1/posters/events", json=body).status_code for _ in range(2)]
    assert 429 not in statuses
    limited = client.post("/api/v1/posters/events", json=body)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_default_range_ends_on_the_venues_own_today(
    client: TestClient, session: Session, zone: str
) -> None:
    # UTC+14 and UTC-11: at any moment at least one of them is on a different date from UTC,
    # so a range ending on the UTC date would miss an impression made just now.
    owner = make_user(session)
    venue = make_venue(session, owner=owner, timezone=zone)
    poster = make_poster(session, venue=venue)
    assert client.post(EVENTS, json={"events": [event(poster.id)]}).json()["accepted"] == 1

    stats = client.get(stats_url(venue, poster.id), headers=auth_headers(owner)).json()

    local_today = utcnow().astimezone(ZoneInfo(zone)).date()
    assert stats["totals"] == {"impressions": 1, "taps": 0}
    assert stats["days"][-1]["day"] == local_today.isoformat()


# --- one client cannot inflate the counts ------------------------------------------------


def _send_from(client: TestClient, address: str, events: list[dict[str, Any]]) -> Any:
    response = client.post(EVENTS, json={"events": events}, headers={"X-Forwarded-For": address})
    assert response.status_code == 200, response.text
    return response.json()


def test_1500_impressions_from_one_client_count_once_per_poster_per_window(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    poster = make_poster(session, venue=venue)
    other = make_poster(session, venue=venue)
    answers = [
        _send_from(
            client,
            "6.6.6.6",
            [event(poster.id) for _ in range(499)] + [event(other.id, "tap")],
        )
        for _ in range(3)
    ]
    # Never refused; one impression of each poster and one tap counted, the rest ignored.
    assert [a["accepted"] for a in answers] == [2, 0, 0]
    assert sum(a["ignored"] for a in answers) == 1500 - 2
    # Another client address counts too (an impression of its own).
    assert _send_from(client, "1.2.3.4", [event(poster.id)])["accepted"] == 1
    stats = client.get(stats_url(venue, poster.id), headers=auth_headers(owner)).json()
    assert stats["totals"] == {"impressions": 2, "taps": 0}
    other_stats = client.get(stats_url(venue, other.id), headers=auth_headers(owner)).json()
    assert other_stats["totals"] == {"impressions": 0, "taps": 1}


def test_a_client_counts_at_most_its_number_of_events_per_hour(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setattr(settings, "POSTER_EVENT_WINDOW_SECONDS", 0)
    monkeypatch.setattr(settings, "POSTER_EVENTS_COUNTED_PER_IP", "40/hour")
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    poster = make_poster(session, venue=venue)
    answers = [
        _send_from(client, "6.6.6.6", [event(poster.id) for _ in range(500)]) for _ in range(3)
    ]
    assert [a["accepted"] for a in answers] == [40, 0, 0]
    assert sum(a["ignored"] for a in answers) == 1500 - 40
    stats = client.get(stats_url(venue, poster.id), headers=auth_headers(owner)).json()
    assert stats["totals"] == {"impressions": 40, "taps": 0}


def test_a_retried_batch_is_duplicates_and_uses_up_none_of_the_limits(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "POSTER_EVENTS_COUNTED_PER_IP", "2/hour")
    venue = make_venue(session)
    posters = [make_poster(session, venue=venue) for _ in range(2)]
    batch = [event(p.id) for p in posters]
    assert client.post(EVENTS, json={"events": batch}).json() == {
        "accepted": 2,
        "duplicates": 0,
        "ignored": 0,
    }
    # Sent again after a timeout: already counted, inside the window and the hour's budget.
    assert client.post(EVENTS, json={"events": batch}).json() == {
        "accepted": 0,
        "duplicates": 2,
        "ignored": 0,
    }
