"""Opening hours: open-now in Python and in SQL agree, past midnight and across zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.crud import venue as venue_crud
from app.models import Venue
from app.schema.venue import OpeningHours, Weekday
from tests.factories import make_venue

FRIDAY_NIGHT = [
    OpeningHours(weekday=Weekday.FRIDAY, opens=time(21, 0), closes=time(2, 0)),
    OpeningHours(weekday=Weekday.SATURDAY, opens=time(12, 0), closes=time(15, 0)),
    OpeningHours(weekday=Weekday.SATURDAY, opens=time(19, 0), closes=time(0, 0)),
]


def local(day: int, hour: int, minute: int = 0, tz_hours: float = 5.5) -> datetime:
    """A UTC instant for a local wall time in a zone `tz_hours` ahead of UTC;
    2026-11-23 is a Monday, so day 0 = Monday."""
    wall = datetime(2026, 11, 23 + day, hour, minute)
    return (wall - timedelta(hours=tz_hours)).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(4, 20, 59), False),  # Friday, just before opening
        (local(4, 21, 0), True),  # Friday at opening
        (local(4, 23, 59), True),
        (local(5, 0, 0), True),  # Saturday after midnight: still Friday night
        (local(5, 1, 59), True),
        (local(5, 2, 0), False),  # closing time is exclusive
        (local(5, 12, 30), True),  # Saturday lunch
        (local(5, 16, 0), False),  # between lunch and dinner
        (local(5, 23, 59), True),  # Saturday dinner runs to midnight
        (local(6, 0, 0), False),  # ...and not past it
        (local(0, 22, 0), False),  # Monday
    ],
)
def test_open_now_python_and_sql_agree(session: Session, at: datetime, expected: bool) -> None:
    venue = make_venue(session)
    venue_crud.set_hours(session, venue=venue, hours=FRIDAY_NIGHT)
    assert venue_crud.is_open_at(FRIDAY_NIGHT, time_zone=venue.timezone, at=at) is expected
    assert _sql_open(session, venue, at) is expected


def test_time_zone_is_the_venues_own(session: Session) -> None:
    hours = [OpeningHours(weekday=Weekday.MONDAY, opens=time(9, 0), closes=time(17, 0))]
    london = make_venue(session, timezone="Europe/London")
    kolkata = make_venue(session)
    for venue in (london, kolkata):
        venue_crud.set_hours(session, venue=venue, hours=hours)
    at = local(0, 10, 0, tz_hours=0)  # Monday 10:00 in London = 15:30 in Kolkata
    assert venue_crud.is_open_at(hours, time_zone="Europe/London", at=at)
    assert _sql_open(session, london, at)
    assert venue_crud.is_open_at(hours, time_zone="Asia/Kolkata", at=at)
    at = local(0, 16, 0, tz_hours=0)  # 16:00 London, 21:30 Kolkata
    assert _sql_open(session, london, at)
    assert not _sql_open(session, kolkata, at)
    assert not venue_crud.is_open_at(hours, time_zone="Asia/Kolkata", at=at)


def test_open_around_the_clock_and_sunday_into_monday(session: Session) -> None:
    allday = [OpeningHours(weekday=Weekday.WEDNESDAY, opens=time(6, 0), closes=time(6, 0))]
    sunday = [OpeningHours(weekday=Weekday.SUNDAY, opens=time(22, 0), closes=time(3, 0))]
    v1, v2 = make_venue(session), make_venue(session)
    venue_crud.set_hours(session, venue=v1, hours=allday)
    venue_crud.set_hours(session, venue=v2, hours=sunday)
    for at, expected in [(local(2, 6, 0), True), (local(3, 5, 59), True), (local(3, 6, 0), False)]:
        assert venue_crud.is_open_at(allday, time_zone="Asia/Kolkata", at=at) is expected
        assert _sql_open(session, v1, at) is expected
    monday_early = local(0, 2, 0)
    assert venue_crud.is_open_at(sunday, time_zone="Asia/Kolkata", at=monday_early)
    assert _sql_open(session, v2, monday_early)


def test_no_hours_means_closed(session: Session) -> None:
    venue = make_venue(session)
    assert not venue_crud.is_open_at([], time_zone="Asia/Kolkata", at=local(0, 12))
    assert not _sql_open(session, venue, local(0, 12))


def _sql_open(session: Session, venue: Venue, at: datetime) -> bool:
    stmt = sa.select(venue_crud.open_now_sql(at)).select_from(Venue).where(Venue.id == venue.id)  # type: ignore[arg-type]
    return bool(session.execute(stmt).scalar_one())
