"""Demo data for tables and events (`app/seed/places.py`): idempotent, any venues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from app.models import Event, VenueKind
from app.models.table import VenueTable
from app.seed import images, places
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
    assert len({e.title for e in club_events}) == 3
    assert all(e.starts_at > now and e.ends_at > e.starts_at for e in club_events)
    assert {e.min_age for e in club_events} == {23}
    for event in club_events:
        plan = next(p for p in places.NIGHTCLUB_EVENTS if p.title == event.title)
        local = event.starts_at.astimezone(ZoneInfo("Asia/Kolkata"))
        # On the plan's weekday in the coming week, up to an hour after its time.
        assert local.weekday() == plan.weekday
        assert local.date() - now.date() <= timedelta(days=7)
        written = datetime.combine(local.date(), plan.starts, local.tzinfo)
        assert timedelta(0) <= local - written <= timedelta(hours=1)
        assert event.image_url == images.image_url(images.event_image(plan.image))
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


def test_demo_events_differ_from_venue_to_venue(session: Session) -> None:
    """Not one schedule copied everywhere: titles, days and times vary across venues."""
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    clubs = [make_venue(session, kind=VenueKind.NIGHTCLUB, name=f"Club {i}") for i in range(8)]
    restaurants = [
        make_venue(session, kind=VenueKind.RESTAURANT, name=f"Bistro {i}") for i in range(8)
    ]
    club_plans = [
        tuple(sorted(e.title for e in places.planned_events(club, now))) for club in clubs
    ]
    assert len(set(club_plans)) >= 4
    titles = {t for plan in club_plans for t in plan}
    assert len(titles) >= 6
    restaurant_events = [e for r in restaurants for e in places.planned_events(r, now)]
    assert len({e.title for e in restaurant_events}) >= 4
    # Two restaurants may host the same kind of night at the same time, but rarely.
    assert len({(e.title, e.starts_at) for e in restaurant_events}) > len(restaurant_events) * 3 / 4
    starts = {e.starts_at for c in clubs for e in places.planned_events(c, now)}
    assert len({s.astimezone(ZoneInfo("Asia/Kolkata")).time() for s in starts}) >= 3
    assert len({s.astimezone(ZoneInfo("Asia/Kolkata")).weekday() for s in starts}) >= 4
    # Deterministic: the same venue plans the same events (the seed stays idempotent).
    again = [tuple(sorted(e.title for e in places.planned_events(c, now))) for c in clubs]
    assert again == club_plans
