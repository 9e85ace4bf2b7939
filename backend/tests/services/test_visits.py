"""Club visits kept by the door: one visit per consumer, venue and night, whatever
the entries and exits; guests, cover charge and presence follow the passes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from app.core.timezones import night_bounds, night_of
from app.models import User
from app.models.booking import OfferingKind, ScanDirection
from app.models.group import ClubVisit
from tests.factories import make_consumer
from tests.factories.bookings import make_offering
from tests.factories.visits import (
    ClubNight,
    door,
    enter,
    leave,
    make_club_night,
    passes,
    past_evening,
)


def _visits(session: Session, consumer: User) -> list[ClubVisit]:
    session.expire_all()
    return list(
        session.exec(
            select(ClubVisit)
            .where(col(ClubVisit.consumer_id) == consumer.id)
            .order_by(col(ClubVisit.night))
        )
    )


@pytest.fixture
def night(session: Session) -> ClubNight:
    return make_club_night(session, price_minor=200_000)


def test_entries_exits_and_re_entries_of_one_night_are_one_visit(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    t0 = night.event.starts_at + timedelta(minutes=5)
    enter(session, night, ticket, at=t0)
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.inside, visit.guests) == (1, True, 2)
    assert visit.first_entry_at == t0
    assert visit.last_exit_at is None
    assert visit.cover_charge_minor == 200_000
    assert visit.venue_id == night.venue.id
    assert visit.event_id == night.event.id
    assert visit.night == night_of("Asia/Kolkata", night.event.starts_at)

    leave(session, night, ticket, at=t0 + timedelta(minutes=20))
    [visit] = _visits(session, holder)
    assert visit.inside is False
    assert visit.last_exit_at == t0 + timedelta(minutes=20)

    enter(session, night, ticket, at=t0 + timedelta(minutes=40))
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.inside, visit.guests) == (2, True, 2)
    assert visit.first_entry_at == t0
    assert visit.cover_charge_minor == 200_000  # the pass's price, once


def test_refused_and_replayed_scans_change_nothing(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket)
    [result] = door(session, night=night, scans=[(ticket, ScanDirection.ENTRY)])
    assert result.outcome == "already_inside"
    door(session, night=night, scans=[(ticket, ScanDirection.EXIT)], nonce="exit-1")
    door(session, night=night, scans=[(ticket, ScanDirection.EXIT)], nonce="exit-1")
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.inside) == (1, False)


def test_several_passes_of_one_holder_add_up(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    stag = make_offering(session, event=night.event, kind=OfferingKind.STAG, price_minor=120_000)
    [couple] = passes(session, night=night, consumer=holder)
    [single] = passes(session, night=night, consumer=holder, offering=stag)
    t0 = night.event.starts_at + timedelta(minutes=5)
    enter(session, night, couple, at=t0)
    enter(session, night, single, at=t0 + timedelta(minutes=1))
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.guests, visit.inside) == (2, 3, True)
    assert visit.cover_charge_minor == 320_000

    leave(session, night, couple, at=t0 + timedelta(minutes=10))
    [visit] = _visits(session, holder)
    assert visit.inside is True  # the stag pass is still in
    assert visit.guests == 3  # the most inside at once
    leave(session, night, single, at=t0 + timedelta(minutes=11))
    enter(session, night, single, at=t0 + timedelta(minutes=12))
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.guests, visit.inside) == (3, 3, True)
    assert visit.cover_charge_minor == 320_000


def test_a_batch_counts_the_most_guests_inside_at_once(session: Session, night: ClubNight) -> None:
    """An offline device uploads in, out, in of two passes: the peak is counted."""
    holder = make_consumer(session)
    stag = make_offering(session, event=night.event, kind=OfferingKind.STAG)
    [couple] = passes(session, night=night, consumer=holder)
    [single] = passes(session, night=night, consumer=holder, offering=stag)
    t0 = night.event.starts_at + timedelta(minutes=5)
    results = door(
        session,
        night=night,
        scans=[
            (couple, ScanDirection.ENTRY, t0),
            (single, ScanDirection.ENTRY, t0 + timedelta(minutes=1)),
            (couple, ScanDirection.EXIT, t0 + timedelta(minutes=2)),
            (single, ScanDirection.EXIT, t0 + timedelta(minutes=3)),
        ],
    )
    assert [r.outcome for r in results] == ["ok"] * 4
    [visit] = _visits(session, holder)
    assert (visit.entries, visit.guests, visit.inside) == (2, 3, False)
    assert visit.first_entry_at == t0
    assert visit.last_exit_at == t0 + timedelta(minutes=3)


def test_two_nights_are_two_visits(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    earlier = make_club_night(session, venue=night.venue, starts_in=-timedelta(days=7, hours=1))
    [before] = passes(session, night=earlier, consumer=holder)
    [now] = passes(session, night=night, consumer=holder)
    enter(session, earlier, before, at=earlier.event.starts_at + timedelta(minutes=5))
    enter(session, night, now)
    first, second = _visits(session, holder)
    assert second.night - first.night == timedelta(days=7)
    assert (first.event_id, second.event_id) == (earlier.event.id, night.event.id)


def test_two_events_of_one_night_are_one_visit(session: Session) -> None:
    holder = make_consumer(session)
    evening = past_evening()
    first = make_club_night(session, starts_at=evening)
    later = make_club_night(session, venue=first.venue, starts_at=evening + timedelta(hours=3))
    [a] = passes(session, night=first, consumer=holder)
    [b] = passes(session, night=later, consumer=holder)
    enter(session, first, a, at=evening + timedelta(minutes=5))
    enter(session, later, b, at=evening + timedelta(hours=3, minutes=5))
    [visit] = _visits(session, holder)
    assert visit.entries == 2
    assert visit.event_id == first.event.id
    assert visit.night == (evening + timedelta(hours=5, minutes=30)).date()
    assert visit.cover_charge_minor == 400_000


def test_a_night_runs_from_six_to_six_local_time() -> None:
    ist = "Asia/Kolkata"
    # 23:30 IST on 1 March, and 01:30 IST on 2 March: both the night of 1 March.
    assert night_of(ist, datetime(2027, 3, 1, 18, 0, tzinfo=UTC)) == date(2027, 3, 1)
    assert night_of(ist, datetime(2027, 3, 1, 20, 0, tzinfo=UTC)) == date(2027, 3, 1)
    # 06:30 IST on 2 March is a new day's night.
    assert night_of(ist, datetime(2027, 3, 2, 1, 0, tzinfo=UTC)) == date(2027, 3, 2)
    starts, ends = night_bounds(ist, date(2027, 3, 1))
    assert starts == datetime(2027, 3, 1, 0, 30, tzinfo=UTC)
    assert ends == datetime(2027, 3, 2, 0, 30, tzinfo=UTC)
