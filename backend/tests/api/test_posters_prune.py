"""Poster data that can no longer matter is pruned: event receipts too old to dedupe
anything (events that old, or dated in the future, are not counted), and the geo cells
of long-expired posters, which come back when a poster is extended."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from app.core import geo_index
from app.models import Venue
from app.models.base import utcnow
from app.models.poster import Poster, PosterCell, PosterEventReceipt
from app.schema.poster import PosterEventBatch
from app.services import poster_stats
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.posters import make_poster

EVENTS = "/api/v1/posters/events"
CITY = (12.9716, 77.5946)


def event(poster_id: uuid.UUID, at: datetime, event_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "id": str(event_id or uuid.uuid4()),
        "poster_id": str(poster_id),
        "kind": "impression",
        "occurred_at": at.isoformat(),
    }


def receipts(session: Session, *ids: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.exec(
            select(PosterEventReceipt.client_event_id).where(
                col(PosterEventReceipt.client_event_id).in_(ids)
            )
        ).all()
    )


def cell_count(session: Session, poster_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count()).select_from(PosterCell).where(col(PosterCell.poster_id) == poster_id)
    ).one()


# -- events dated in the future -------------------------------------------------------------


def test_events_dated_ahead_of_the_server_clock_are_ignored(
    client: TestClient, session: Session
) -> None:
    poster = make_poster(session, venue=make_venue(session))
    now = utcnow()
    slightly_fast = event(poster.id, now + timedelta(minutes=2))
    far_ahead = event(poster.id, now + timedelta(minutes=10))
    next_year = event(poster.id, now + timedelta(days=365))

    response = client.post(EVENTS, json={"events": [slightly_fast, far_ahead, next_year]})

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "ignored": 2}
    ids = [uuid.UUID(e["id"]) for e in (slightly_fast, far_ahead, next_year)]
    assert receipts(session, *ids) == {ids[0]}  # no receipt: never counted, nothing to dedupe


# -- receipts -------------------------------------------------------------------------------


def test_prune_removes_receipts_that_can_no_longer_dedupe_anything(session: Session) -> None:
    poster = make_poster(session, venue=make_venue(session))
    received = utcnow() - timedelta(days=60)
    # The latest an event received then may be dated: the receipt must outlive it.
    latest = event(poster.id, received + poster_stats.MAX_CLOCK_AHEAD)
    batch = PosterEventBatch.model_validate({"events": [latest]})
    assert poster_stats.record_events(session, batch=batch, client=None, now=received).accepted == 1
    recent = event(poster.id, utcnow())
    poster_stats.record_events(
        session, batch=PosterEventBatch.model_validate({"events": [recent]}), client=None
    )
    old_id, recent_id = uuid.UUID(latest["id"]), uuid.UUID(recent["id"])

    just_before = received + poster_stats.RECEIPTS_KEPT - timedelta(seconds=1)
    assert poster_stats.prune(session, now=just_before).receipts == 0
    assert receipts(session, old_id, recent_id) == {old_id, recent_id}
    # Up to the last moment the event can be counted, a retry is a duplicate.
    last_countable = received + poster_stats.COUNTING_WINDOW + poster_stats.MAX_CLOCK_AHEAD
    assert last_countable < just_before
    retried = poster_stats.record_events(session, batch=batch, client=None, now=last_countable)
    assert (retried.accepted, retried.duplicates) == (0, 1)

    just_after = received + poster_stats.RECEIPTS_KEPT + timedelta(seconds=1)
    pruned = poster_stats.prune(session, now=just_after)
    assert pruned.receipts == 1
    assert pruned.receipts_before == just_after - poster_stats.RECEIPTS_KEPT
    assert receipts(session, old_id, recent_id) == {recent_id}
    # With its receipt gone the same event is still not counted twice: it is too old.
    again = poster_stats.record_events(session, batch=batch, client=None, now=just_after)
    assert (again.accepted, again.duplicates, again.ignored) == (0, 0, 1)

    assert poster_stats.prune(session, now=just_after).receipts == 0  # idempotent


# -- geo cells of expired posters -----------------------------------------------------------


def test_prune_removes_the_cells_of_long_expired_posters_only(session: Session) -> None:
    venue = make_venue(session)
    now = utcnow()
    live = make_poster(session, venue=venue)
    lately = make_poster(
        session, venue=venue, starts_at=now - timedelta(days=9), expires_at=now - timedelta(days=6)
    )
    long_ago = make_poster(
        session, venue=venue, starts_at=now - timedelta(days=20), expires_at=now - timedelta(days=8)
    )
    cells = cell_count(session, long_ago.id)
    assert cells > 0

    pruned = poster_stats.prune(session, now=now)

    assert (pruned.cells, pruned.posters) == (cells, 1)
    assert pruned.expired_before == now - poster_stats.EXPIRED_CELLS_KEPT
    assert cell_count(session, long_ago.id) == 0
    assert cell_count(session, lately.id) > 0
    assert cell_count(session, live.id) > 0
    assert session.get(Poster, long_ago.id) is not None  # the poster itself stays
    again = poster_stats.prune(session, now=now)
    assert (again.cells, again.posters, again.receipts) == (0, 0, 0)

    shorter = poster_stats.prune(session, now=now, expired_cells_kept=timedelta(days=5))
    assert (shorter.cells, shorter.posters) == (cell_count(session, live.id), 1)
    assert cell_count(session, lately.id) == 0


def test_extending_a_pruned_poster_puts_it_back_in_the_feed(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, latitude=CITY[0], longitude=CITY[1])
    now = utcnow()
    poster = make_poster(
        session, venue=venue, starts_at=now - timedelta(days=20), expires_at=now - timedelta(days=8)
    )
    assert poster_stats.prune(session).posters == 1

    response = client.patch(
        f"/api/v1/venues/{venue.id}/posters/{poster.id}",
        json={"expires_at": (now + timedelta(days=3)).isoformat()},
        headers=auth_headers(owner),
    )

    assert response.status_code == 200, response.text
    _, expected = geo_index.poster_covering(*CITY, poster.radius_m)
    assert cell_count(session, poster.id) == len(expected)
    feed = client.get("/api/v1/posters/feed", params={"lat": CITY[0], "lng": CITY[1]}).json()
    assert [item["id"] for item in feed["items"]] == [str(poster.id)]


@pytest.fixture
def committed_expired_poster(engine: Engine) -> Iterator[uuid.UUID]:
    with Session(engine) as setup:
        venue = make_venue(setup)
        now = utcnow()
        poster = make_poster(
            setup,
            venue=venue,
            starts_at=now - timedelta(days=20),
            expires_at=now - timedelta(days=8),
        )
        setup.commit()
        venue_id, poster_id = venue.id, poster.id
    yield poster_id
    with Session(engine) as cleanup:
        cleanup.execute(sa.delete(Venue).where(col(Venue.id) == venue_id))
        cleanup.commit()


def test_prune_skips_a_poster_a_request_is_changing_and_never_waits(
    engine: Engine, committed_expired_poster: uuid.UUID
) -> None:
    poster_id = committed_expired_poster
    with Session(engine) as request, Session(engine) as pruner:
        # A request extending the poster holds its row (and will write its cells).
        request.exec(select(Poster).where(Poster.id == poster_id).with_for_update()).one()
        pruner.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        try:
            skipped = poster_stats.prune(pruner)
        except OperationalError as exc:  # pragma: no cover - the failure being guarded
            raise AssertionError(f"prune waited for the request's lock: {exc.orig}") from exc
        assert (skipped.cells, skipped.posters) == (0, 0)
        pruner.rollback()
        request.rollback()

        assert poster_stats.prune(pruner).posters == 1  # the next run takes it
        assert cell_count(pruner, poster_id) == 0
        pruner.rollback()
