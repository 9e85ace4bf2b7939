"""`socia seed` adds posters for the demo venues and events, once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.models.poster import Poster
from app.seed import posters
from tests.factories import make_venue
from tests.factories.posters import make_event


def test_seed_adds_venue_and_event_posters_once(client: TestClient, session: Session) -> None:
    venue = make_venue(session, latitude=12.9716, longitude=77.5946)
    event = make_event(session, venue=venue)
    posters.seed(session)
    posters.seed(session)
    rows = session.exec(select(Poster).where(Poster.venue_id == venue.id)).all()
    assert sorted((p.event_id is not None) for p in rows) == [False, True]
    assert {p.event_id for p in rows} == {None, event.id}
    total = session.exec(select(func.count()).select_from(Poster)).one()
    posters.seed(session)
    assert session.exec(select(func.count()).select_from(Poster)).one() == total
    feed = client.get("/api/v1/posters/feed", params={"lat": 12.9716, "lng": 77.5946}).json()
    ids = {item["id"] for item in feed["items"]}
    assert {str(p.id) for p in rows} <= ids
    assert session.exec(select(func.count()).where(col(Poster.radius_m) < 100)).one() == 0
