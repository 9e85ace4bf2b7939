"""Demo data: tables (with QR codes) at every sit-down venue, and upcoming events.

Works on whatever venues are in the database (none is fine). Idempotent: a
table is added only if its venue has no table with that label, an event only if
its venue has no event with that title at that start. Event dates are relative
to today (the next Friday, Saturday, ...), so running the seed again a week
later adds the coming week's nights.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from app.models import Event, Venue, VenueKind
from app.models.table import VenueTable
from app.seed import images

logger = logging.getLogger(__name__)

# Which venues get tables, how many at least and at most, and where they stand.
TABLE_PLANS: dict[VenueKind, tuple[int, int, list[tuple[str, str]]]] = {
    # kind: (fewest, most, [(label prefix, area), ...] cycled over the tables)
    VenueKind.RESTAURANT: (6, 20, [("T", "Main floor"), ("T", "Main floor"), ("W", "Terrace")]),
    VenueKind.NIGHTCLUB: (8, 20, [("VIP ", "VIP lounge"), ("T", "Dance floor"), ("B", "Bar")]),
    VenueKind.FOOD_COURT: (10, 20, [("C", "Common seating")]),
}
SEATS_CYCLE = [2, 4, 4, 6, 2, 8, 4]


@dataclass(frozen=True)
class EventPlan:
    title: str
    description: str
    weekday: int  # 0 = Monday
    starts: time
    hours: float
    image: str  # the demo image's slug (app/seed/images.py)


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Each club hosts three of these nights and each restaurant one or two of its own
# ones, picked by the venue's name, and starts them up to an hour later than
# written: the city's week is not one schedule copied everywhere.
NIGHTCLUB_EVENTS = [
    EventPlan(
        "Techno Fridays",
        "Four resident DJs and a guest headliner, 10 pm till late.",
        4,
        time(22, 0),
        5,
        "techno-fridays",
    ),
    EventPlan(
        "Bollywood Saturday Night",
        "The biggest Bollywood hits, old and new, all night long.",
        5,
        time(21, 0),
        5,
        "bollywood-saturday",
    ),
    EventPlan(
        "Ladies' Night",
        "Complimentary first drink for ladies before 11 pm.",
        3,
        time(20, 0),
        5,
        "ladies-night",
    ),
    EventPlan(
        "Deep House Wednesdays",
        "Slow-burning deep house on the terrace, mid-week.",
        2,
        time(21, 0),
        4,
        "deep-house-wednesdays",
    ),
    EventPlan(
        "Retro Night: 80s and 90s",
        "Disco, synth-pop and the 90s anthems everybody knows.",
        5,
        time(21, 30),
        4.5,
        "retro-night",
    ),
    EventPlan(
        "Hip-Hop Fridays",
        "Desi hip-hop and the US classics, with a live MC.",
        4,
        time(21, 30),
        5,
        "hip-hop-fridays",
    ),
    EventPlan(
        "Sunday Sundowner",
        "An early-evening set as the sun goes down; back home by eleven.",
        6,
        time(17, 0),
        5,
        "sunday-sundowner",
    ),
    EventPlan(
        "Karaoke Tuesday",
        "Pick a song, take the stage; the best voice wins a bottle.",
        1,
        time(20, 30),
        3.5,
        "karaoke-tuesday",
    ),
]
RESTAURANT_EVENTS = [
    EventPlan(
        "Live Acoustic Sunday",
        "Unplugged covers on the terrace with a set menu.",
        6,
        time(19, 0),
        3.5,
        "acoustic-sunday",
    ),
    EventPlan(
        "Chef's Tasting Table",
        "A seven-course tasting menu, paired with local craft beer.",
        2,
        time(19, 30),
        3,
        "tasting-table",
    ),
    EventPlan(
        "Sunday Brunch",
        "A long brunch with live counters and bottomless filter coffee.",
        6,
        time(12, 0),
        3.5,
        "sunday-brunch",
    ),
    EventPlan(
        "Biryani Night",
        "Six biryanis from six regions, with kebabs and phirni.",
        4,
        time(19, 30),
        3.5,
        "biryani-night",
    ),
    EventPlan(
        "Jazz Dinner",
        "A quartet plays standards while the kitchen serves a set dinner.",
        5,
        time(20, 0),
        3,
        "jazz-dinner",
    ),
    EventPlan(
        "Quiz Night",
        "Teams of up to six; the winners eat free.",
        1,
        time(20, 0),
        3,
        "quiz-night",
    ),
    EventPlan(
        "Stand-up Comedy Dinner",
        "Three comics, one mic, a three-course dinner.",
        3,
        time(20, 30),
        2.5,
        "comedy-dinner",
    ),
    EventPlan(
        "Coastal Seafood Supper",
        "Mangalorean and Malabar seafood, for one night only.",
        5,
        time(19, 30),
        3,
        "seafood-supper",
    ),
]
EVENT_PLANS = [*NIGHTCLUB_EVENTS, *RESTAURANT_EVENTS]
CLUB_NIGHTS_PER_VENUE = 3
LATEST_DELAY_STEPS = 2  # starts 0, 30 or 60 minutes after the written time


def _zone(venue: Venue) -> ZoneInfo:
    try:
        return ZoneInfo(venue.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Kolkata")


def _stable_number(text: str) -> int:
    return zlib.crc32(text.encode())


def planned_tables(venue: Venue) -> list[VenueTable]:
    """The demo tables of a venue (none for kinds without table service)."""
    plan = TABLE_PLANS.get(VenueKind(venue.kind))
    if plan is None:
        return []
    fewest, most, layout = plan
    count = fewest + _stable_number(venue.name) % (most - fewest + 1)
    numbers: dict[str, int] = {}
    tables = []
    for i in range(count):
        prefix, area = layout[i % len(layout)]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        tables.append(
            VenueTable(
                venue_id=venue.id,
                label=f"{prefix}{numbers[prefix]}",
                seats=SEATS_CYCLE[i % len(SEATS_CYCLE)],
                area=area,
            )
        )
    return tables


def _next_weekday(today: date, weekday: int) -> date:
    """The first `weekday` after today (tomorrow at the earliest)."""
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days)


def _pick(plans: list[EventPlan], seed: int, count: int) -> list[EventPlan]:
    """`count` different plans, chosen by `seed`."""
    start = seed % len(plans)
    step = 1 + (seed // len(plans)) % (len(plans) - 1)
    picked: list[EventPlan] = []
    index = start
    while len(picked) < count:
        if plans[index] not in picked:
            picked.append(plans[index])
            index = (index + step) % len(plans)
        else:
            index = (index + 1) % len(plans)
    return picked


def planned_events(venue: Venue, now: datetime) -> list[Event]:
    """The demo events of a venue: a few nights in the coming week, its own choice of
    them, at its own times."""
    seed = _stable_number(venue.name)
    if venue.kind == VenueKind.NIGHTCLUB:
        plans = _pick(NIGHTCLUB_EVENTS, seed, CLUB_NIGHTS_PER_VENUE)
    elif venue.kind == VenueKind.RESTAURANT:
        plans = _pick(RESTAURANT_EVENTS, seed, 1 + seed % 2)
    else:
        return []
    delay = timedelta(minutes=30 * ((seed >> 8) % (LATEST_DELAY_STEPS + 1)))
    zone = _zone(venue)
    today = now.astimezone(zone).date()
    events = []
    for plan in plans:
        starts_at = datetime.combine(_next_weekday(today, plan.weekday), plan.starts, zone) + delay
        is_club = venue.kind == VenueKind.NIGHTCLUB
        events.append(
            Event(
                venue_id=venue.id,
                title=plan.title,
                description=plan.description,
                starts_at=starts_at.astimezone(UTC),
                ends_at=(starts_at + timedelta(hours=plan.hours)).astimezone(UTC),
                image_url=images.image_url(images.event_image(plan.image)),
                min_age=(venue.min_age or 21) if is_club else None,
                dress_code=(venue.dress_code or "Smart casual") if is_club else None,
            )
        )
    return events


def seed(session: Session, *, now: datetime | None = None) -> None:
    """Idempotent: adds what is missing."""
    now = now or datetime.now(UTC)
    venues = session.exec(select(Venue).order_by(col(Venue.name))).all()
    if not venues:
        return
    venue_ids = [venue.id for venue in venues]
    existing_labels: set[tuple[uuid.UUID, str]] = {
        (row[0], row[1])
        for row in session.exec(
            select(VenueTable.venue_id, VenueTable.label).where(
                col(VenueTable.venue_id).in_(venue_ids)
            )
        ).all()
    }
    existing_events: set[tuple[uuid.UUID, str, datetime]] = {
        (row[0], row[1], row[2])
        for row in session.exec(
            select(Event.venue_id, Event.title, Event.starts_at).where(
                col(Event.venue_id).in_(venue_ids)
            )
        ).all()
    }
    tables_added = events_added = 0
    for venue in venues:
        for table in planned_tables(venue):
            if (venue.id, table.label) not in existing_labels:
                session.add(table)
                tables_added += 1
        for event in planned_events(venue, now):
            if (venue.id, event.title, event.starts_at) not in existing_events:
                session.add(event)
                events_added += 1
    session.flush()
    logger.info("seeded %d tables and %d events", tables_added, events_added)
