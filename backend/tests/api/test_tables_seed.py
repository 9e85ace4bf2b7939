"""Demo data for tables and events (`app/seed/places.py`): idempotent, any venues."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, func, select

from app.models import Event, VenueKind
from app.models.table import VenueTable
from app.seed import places
from tests.factories import make_venue


def _count(session: Session, model: type[VenueTable] | type[Event]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_seed_without_venues_is_a_no_op(session: Session) -> None:
    before = (_count(session, VenueTable), _count(session, Event))
    places.seed(session)
    assert (_count(session, VenueTable), _count(session, Event)) == before


def test_seed_adds_tables_and_events_once(session: Session) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # a Thursday
    restaurant = make_venue(session, kind=VenueKind.RESTAURANT, name="Seed Bistro")
    club = make_venue(session, kind=VenueKind.NIGHTCLUB, name="Seed Club", min_age=23)
    qsr = make_venue(session, kind=VenueKind.QSR, name="Seed Burgers")
    tables_before, events_before = _count(session, VenueTable), _count(session, Event)

    places.seed(session, now=now)

    def tables_of(venue_id: object) -> list[VenueTable]:
        return list(session.exec(select(VenueTable).where(VenueTable.venue_id == venue_id)).all())

    def events_of(venue_id: object) -> list[Event]:
        return list(session.exec(select(Event).where(Event.venue_id == venue_id)).all())

    assert 6 <= len(tables_of(restaurant.id)) <= 20
    club_tables = tables_of(club.id)
    assert 8 <= len(club_tables) <= 20
    assert any(t.label.startswith("VIP") for t in club_tables)
    assert len({t.label for t in club_tables}) == len(club_tables)
    assert tables_of(qsr.id) == []

    club_events = events_of(club.id)
    assert len(club_events) == 3
    assert all(e.starts_at > now and e.ends_at > e.starts_at for e in club_events)
    assert {e.min_age for e in club_events} == {23}
    friday = next(e for e in club_events if e.title == "Techno Fridays")
    # 22:00 in Bengaluru on Friday 27 November is 16:30 UTC.
    assert friday.starts_at == datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    assert 1 <= len(events_of(restaurant.id)) <= 2
    assert events_of(qsr.id) == []

    counts = (_count(session, VenueTable), _count(session, Event))
    assert counts[0] > tables_before
    assert counts[1] > events_before
    places.seed(session, now=now)
    assert (_count(session, VenueTable), _count(session, Event)) == counts

    # A removed table comes back; nothing else is added.
    session.delete(club_tables[0])
    session.flush()
    places.seed(session, now=now)
    assert (_count(session, VenueTable), _count(session, Event)) == counts
