"""An event's poster leaves the feed while the event is sold out and comes back by itself
when places are freed (a hold expiring by time, a cancellation, a bigger pool); managers
read why a poster is not showing, from the very conditions the feed filters on."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core import geo_index
from app.core.errors import SoldOut
from app.crud import capacity
from app.crud import offering as offering_crud
from app.crud import poster as poster_crud
from app.models import Event, EventStatus, User, Venue, VenueStatus
from app.models.base import utcnow
from app.models.booking import Booking, BookingStatus, CapacityPool, Offering, OfferingStatus
from app.models.poster import Poster
from app.schema.booking import BookingItemCreate
from app.schema.common import PageParams
from app.schema.offering import PoolUpdate
from app.schema.poster import NotShowingReason
from app.services import bookings as bookings_service
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.payments import Night, make_night
from tests.factories.posters import make_event, make_poster
from tests.services.test_bookings_concurrency import _delete_night
from tests.utils import QueryCounter

FEED = "/api/v1/posters/feed"
HERE = (12.9716, 77.5946)  # where make_venue puts every venue


@dataclass
class World:
    owner: User
    venue: Venue
    event: Event
    pool: CapacityPool
    offering: Offering
    poster: Poster
    consumer: User


@pytest.fixture
def world(session: Session) -> World:
    """A verified venue's event three days ahead (cancellations still allowed), a 2-place
    pool with one stag pass on sale, and a live poster of the event."""
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    event = make_event(session, venue=venue, starts_at=utcnow() + timedelta(days=3))
    pool = make_pool(session, event=event, size=2)
    offering = make_offering(session, event=event, pools=[pool])
    poster = make_poster(session, venue=venue, event=event)
    return World(owner, venue, event, pool, offering, poster, make_consumer(session))


def in_feed(client: TestClient, poster: Poster) -> bool:
    response = client.get(FEED, params={"lat": HERE[0], "lng": HERE[1], "limit": 50})
    assert response.status_code == 200, response.text
    return str(poster.id) in {item["id"] for item in response.json()["items"]}


def shown_at(session: Session, poster: Poster, now: datetime) -> bool:
    page = poster_crud.feed(session, lat=HERE[0], lng=HERE[1], page=PageParams(), now=now)
    return poster.id in {item.id for item in page.items}


def staff_read(client: TestClient, world: World) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/venues/{world.venue.id}/posters/{world.poster.id}",
        headers=auth_headers(world.owner),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_showing(client: TestClient, world: World) -> None:
    body = staff_read(client, world)
    assert (body["showing"], body["not_showing_because"]) == (True, [])
    assert in_feed(client, world.poster)


def assert_hidden_for(client: TestClient, world: World, *reasons: str) -> None:
    body = staff_read(client, world)
    assert (body["showing"], body["not_showing_because"]) == (False, list(reasons))
    assert not in_feed(client, world.poster)


def fill(
    session: Session, world: World, status: BookingStatus = BookingStatus.CONFIRMED
) -> Booking:
    """Take both places of the pool (2 stag passes)."""
    return make_booking(
        session, consumer=world.consumer, items=[(world.offering, 2)], status=status
    )


# -- sold out, and back by itself ---------------------------------------------------------


def test_a_sold_out_event_hides_its_poster(
    client: TestClient, session: Session, world: World
) -> None:
    assert_showing(client, world)
    make_booking(session, consumer=world.consumer, items=[(world.offering, 1)])
    assert_showing(client, world)  # one place left
    make_booking(session, consumer=make_consumer(session), items=[(world.offering, 1)])
    assert_hidden_for(client, world, "event_sold_out")


def test_a_hold_that_expires_brings_the_poster_back_without_any_job(
    client: TestClient, session: Session, world: World
) -> None:
    hold = fill(session, world, BookingStatus.HELD)
    assert_hidden_for(client, world, "event_sold_out")
    hold.hold_expires_at = utcnow() - timedelta(seconds=1)
    session.add(hold)
    session.flush()
    assert_showing(client, world)
    session.refresh(hold)
    assert hold.status is BookingStatus.HELD  # nothing marked it: time alone freed it


def test_a_hold_expires_exactly_at_its_time(session: Session, world: World) -> None:
    hold = fill(session, world, BookingStatus.HELD)
    at = hold.hold_expires_at
    assert not shown_at(session, world.poster, at - timedelta(microseconds=1))
    assert shown_at(session, world.poster, at)  # a hold counts while hold_expires_at > now


def test_a_cancellation_brings_the_poster_back(
    client: TestClient, session: Session, world: World
) -> None:
    booking = fill(session, world)
    assert_hidden_for(client, world, "event_sold_out")
    assert bookings_service.cancel_booking(session, booking=booking) is None  # nothing paid
    assert_showing(client, world)


def test_a_bigger_pool_brings_the_poster_back(
    client: TestClient, session: Session, world: World
) -> None:
    fill(session, world)
    assert_hidden_for(client, world, "event_sold_out")
    offering_crud.update_pool(session, event=world.event, pool=world.pool, data=PoolUpdate(size=3))
    assert_showing(client, world)


def test_a_sale_closing_can_sell_the_event_out_at_its_time(session: Session, world: World) -> None:
    """The only offering with room stops selling at its sale end: from then on, the
    event is sold out (the feed is exact at any `now`)."""
    fill(session, world)
    other_pool = make_pool(session, event=world.event, size=10)
    closes = utcnow() + timedelta(hours=1)
    make_offering(session, event=world.event, pools=[other_pool], sale_ends_at=closes)
    assert shown_at(session, world.poster, closes - timedelta(microseconds=1))
    assert not shown_at(session, world.poster, closes)


# -- what "sold out" means ------------------------------------------------------------------


def python_sold_out(session: Session, event: Event) -> bool:
    """The same question asked of the offerings' own read (Python over `places_left`)."""
    now = utcnow()
    still_sold = [
        o
        for o in offering_crud.list_offerings(session, event=event)
        if o.status is OfferingStatus.ACTIVE and (o.sale_ends_at is None or now < o.sale_ends_at)
    ]
    return bool(still_sold) and all(o.available == 0 for o in still_sold)


Build = Callable[[Session, World], None]


def _nothing(session: Session, w: World) -> None:
    pass


def _no_offerings(session: Session, w: World) -> None:
    session.delete(w.offering)


def _only_retired(session: Session, w: World) -> None:
    w.offering.status = OfferingStatus.RETIRED
    session.add(w.offering)


def _full(session: Session, w: World) -> None:
    fill(session, w)


def _held_full(session: Session, w: World) -> None:
    fill(session, w, BookingStatus.HELD)


def _one_left(session: Session, w: World) -> None:
    make_booking(session, consumer=w.consumer, items=[(w.offering, 1)])


def _done_bookings_free_places(session: Session, w: World) -> None:
    for status in (BookingStatus.EXPIRED, BookingStatus.FAILED, BookingStatus.CANCELLED):
        fill(session, w, status)


def _with(status: OfferingStatus) -> Build:
    def build(session: Session, w: World) -> None:
        fill(session, w)
        roomy = make_pool(session, event=w.event, size=50)
        make_offering(session, event=w.event, pools=[roomy], status=status)

    return build


def _only_hidden_offering_full(session: Session, w: World) -> None:
    fill(session, w)
    w.offering.status = OfferingStatus.HIDDEN
    session.add(w.offering)


def _sale_closed_with_room(session: Session, w: World) -> None:
    fill(session, w)
    roomy = make_pool(session, event=w.event, size=50)
    make_offering(
        session, event=w.event, pools=[roomy], sale_ends_at=utcnow() - timedelta(minutes=1)
    )


def _every_sale_closed(session: Session, w: World) -> None:
    w.offering.sale_ends_at = utcnow() - timedelta(minutes=1)
    session.add(w.offering)


def _opens_later_with_room(session: Session, w: World) -> None:
    fill(session, w)
    roomy = make_pool(session, event=w.event, size=50)
    make_offering(
        session, event=w.event, pools=[roomy], sale_starts_at=utcnow() + timedelta(days=1)
    )


def _opens_later_in_the_full_pool(session: Session, w: World) -> None:
    fill(session, w)
    make_offering(
        session, event=w.event, pools=[w.pool], sale_starts_at=utcnow() + timedelta(days=1)
    )


def _no_pools(session: Session, w: World) -> None:
    w.offering.status = OfferingStatus.HIDDEN
    session.add(w.offering)
    make_offering(session, event=w.event, pools=[])  # sells nothing (no pool to draw from)


def _least_of_its_pools(session: Session, w: World) -> None:
    """A table package: 50 guests free, but its one table is taken."""
    guests = make_pool(session, event=w.event, size=50)
    tables = make_pool(session, event=w.event, size=1)
    package = make_offering(session, event=w.event, pools=[(guests, 4), (tables, 1)])
    make_booking(session, consumer=w.consumer, items=[(package, 1)])
    w.offering.status = OfferingStatus.HIDDEN
    session.add(w.offering)


def _couple_needs_two(session: Session, w: World) -> None:
    make_booking(session, consumer=w.consumer, items=[(w.offering, 1)])
    w.offering.status = OfferingStatus.HIDDEN
    session.add(w.offering)
    make_offering(session, event=w.event, pools=[(w.pool, 2)], guests_per_pass=2)


def _stag_fits_where_a_couple_does_not(session: Session, w: World) -> None:
    make_booking(session, consumer=w.consumer, items=[(w.offering, 1)])
    make_offering(session, event=w.event, pools=[(w.pool, 2)], guests_per_pass=2)


def _another_events_pool(session: Session, w: World) -> None:
    """Never linked by the API; counted as empty, as `passes_left` does."""
    elsewhere = make_pool(session, event=make_event(session, venue=w.venue), size=50)
    w.offering.status = OfferingStatus.HIDDEN
    session.add(w.offering)
    make_offering(session, event=w.event, pools=[elsewhere])


CASES: list[tuple[str, Build, bool]] = [
    ("room left", _nothing, False),
    ("one place left", _one_left, False),
    ("no offerings", _no_offerings, False),
    ("only a retired offering", _only_retired, False),
    ("full, confirmed", _full, True),
    ("full, held", _held_full, True),
    ("expired, failed and cancelled bookings take nothing", _done_bookings_free_places, False),
    ("a hidden offering with room is not sold", _with(OfferingStatus.HIDDEN), True),
    ("a retired offering with room is not sold", _with(OfferingStatus.RETIRED), True),
    ("an active offering with room", _with(OfferingStatus.ACTIVE), False),
    ("only a hidden offering, full", _only_hidden_offering_full, False),
    ("a closed sale with room is not sold", _sale_closed_with_room, True),
    ("every sale closed", _every_sale_closed, False),
    ("a sale opening later with room", _opens_later_with_room, False),
    ("a sale opening later in the full pool", _opens_later_in_the_full_pool, True),
    ("an offering drawing from no pool", _no_pools, True),
    ("the least of its pools", _least_of_its_pools, True),
    ("a couple needs two places", _couple_needs_two, True),
    ("a stag fits where a couple does not", _stag_fits_where_a_couple_does_not, False),
    ("another event's pool is empty to it", _another_events_pool, True),
]


@pytest.mark.parametrize(("build", "sold_out"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sold_out_means_still_sold_and_no_room(
    client: TestClient, session: Session, world: World, build: Build, sold_out: bool
) -> None:
    build(session, world)
    session.flush()
    assert python_sold_out(session, world.event) is sold_out
    if sold_out:
        assert_hidden_for(client, world, "event_sold_out")
    else:
        assert_showing(client, world)


def test_a_venue_poster_is_never_sold_out(
    client: TestClient, session: Session, world: World
) -> None:
    fill(session, world)
    venue_poster = make_poster(session, venue=world.venue)
    assert in_feed(client, venue_poster)


# -- every reason, from the feed's own conditions -------------------------------------------


def _set(obj: Any, **values: Any) -> Callable[[Session], None]:
    def apply(session: Session) -> None:
        for name, value in values.items():
            setattr(obj, name, value)
        session.add(obj)

    return apply


Cause = Callable[[Session, World], tuple[Callable[[Session], None], Callable[[Session], None]]]


def _paused(s: Session, w: World) -> Any:
    return _set(w.poster, is_paused=True), _set(w.poster, is_paused=False)


def _not_started(s: Session, w: World) -> Any:
    now = utcnow()
    return (
        _set(w.poster, starts_at=now + timedelta(hours=1)),
        _set(w.poster, starts_at=now - timedelta(hours=1)),
    )


def _ended(s: Session, w: World) -> Any:
    now = utcnow()
    return (
        _set(w.poster, starts_at=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)),
        _set(w.poster, expires_at=now + timedelta(days=1)),
    )


def _venue_not_verified(s: Session, w: World) -> Any:
    return _set(w.venue, status=VenueStatus.DRAFT), _set(w.venue, status=VenueStatus.VERIFIED)


def _venue_inactive(s: Session, w: World) -> Any:
    return _set(w.venue, is_active=False), _set(w.venue, is_active=True)


def _event_cancelled(s: Session, w: World) -> Any:
    return (
        _set(w.event, status=EventStatus.CANCELLED),
        _set(w.event, status=EventStatus.SCHEDULED),
    )


def _event_ended(s: Session, w: World) -> Any:
    now = utcnow()
    starts, ends = w.event.starts_at, w.event.ends_at
    return (
        _set(w.event, starts_at=now - timedelta(hours=5), ends_at=now - timedelta(minutes=1)),
        _set(w.event, starts_at=starts, ends_at=ends),
    )


def _event_sold_out(s: Session, w: World) -> Any:
    taking: list[Booking] = []

    def cause(session: Session) -> None:
        taking.append(fill(session, w, BookingStatus.HELD))

    return cause, lambda session: _set(taking[0], status=BookingStatus.FAILED)(session)


CAUSES: dict[NotShowingReason, Cause] = {
    NotShowingReason.PAUSED: _paused,
    NotShowingReason.NOT_STARTED: _not_started,
    NotShowingReason.ENDED: _ended,
    NotShowingReason.VENUE_NOT_VERIFIED: _venue_not_verified,
    NotShowingReason.VENUE_INACTIVE: _venue_inactive,
    NotShowingReason.EVENT_CANCELLED: _event_cancelled,
    NotShowingReason.EVENT_ENDED: _event_ended,
    NotShowingReason.EVENT_SOLD_OUT: _event_sold_out,
}


def test_every_reason_is_a_condition_of_the_feed_and_is_tested() -> None:
    assert set(CAUSES) == set(NotShowingReason) == set(poster_crud.shows_when(utcnow()))


@pytest.mark.parametrize("reason", list(NotShowingReason), ids=lambda r: r.value)
def test_each_reason_hides_the_poster_until_it_is_gone(
    client: TestClient, session: Session, world: World, reason: NotShowingReason
) -> None:
    cause, cure = CAUSES[reason](session, world)
    session.flush()
    assert_showing(client, world)
    cause(session)
    session.flush()
    assert_hidden_for(client, world, reason.value)
    cure(session)
    session.flush()
    assert_showing(client, world)


def test_reasons_add_up(client: TestClient, session: Session, world: World) -> None:
    fill(session, world)
    world.poster.is_paused = True
    world.venue.is_active = False
    session.add_all([world.poster, world.venue])
    session.flush()
    assert_hidden_for(client, world, "paused", "venue_inactive", "event_sold_out")


def test_the_list_says_which_posters_show_in_one_query(
    client: TestClient, session: Session, world: World, queries: QueryCounter
) -> None:
    paused = make_poster(session, venue=world.venue, is_paused=True)
    fill(session, world)
    headers = auth_headers(world.owner)
    with queries.count() as counted:
        response = client.get(f"/api/v1/venues/{world.venue.id}/posters", headers=headers)
    assert response.status_code == 200, response.text
    by_id = {p["id"]: p for p in response.json()["items"]}
    assert by_id[str(world.poster.id)]["not_showing_because"] == ["event_sold_out"]
    assert by_id[str(paused.id)]["not_showing_because"] == ["paused"]
    assert not by_id[str(paused.id)]["showing"]
    assert counted.total <= 5  # auth user, membership, the page (with its total)


def test_writes_answer_with_the_state_they_leave(
    client: TestClient, session: Session, world: World
) -> None:
    url = f"/api/v1/venues/{world.venue.id}/posters/{world.poster.id}"
    headers = auth_headers(world.owner)
    paused = client.post(f"{url}/pause", headers=headers).json()
    assert (paused["showing"], paused["not_showing_because"]) == (False, ["paused"])
    resumed = client.post(f"{url}/resume", headers=headers).json()
    assert (resumed["showing"], resumed["not_showing_because"]) == (True, [])
    later = (utcnow() + timedelta(hours=1)).isoformat()
    moved = client.patch(url, json={"starts_at": later}, headers=headers).json()
    assert moved["not_showing_because"] == ["not_started"]


# -- under real parallel connections --------------------------------------------------------


@pytest.fixture
def committed(engine: Engine) -> Iterator[list[Night]]:
    nights: list[Night] = []
    yield nights
    with Session(engine) as s:
        for night in nights:
            _delete_night(s, night)  # the poster goes with its event
        s.commit()


def test_racing_for_the_last_places_hides_the_poster_exactly_at_zero(
    engine: Engine, committed: list[Night]
) -> None:
    """60 parallel bookings race for 12 places while the feed is read in parallel: every
    read sees the poster exactly when its snapshot has a place left, and at the end it
    is hidden with 12 booked; a hold running out (no job) brings it back."""
    places, attempts = 12, 60
    with Session(engine, expire_on_commit=False) as setup:
        night = make_night(setup, size=places)
        venue = night.venue
        poster_id = make_poster(setup, venue=venue, event=night.event).id
        consumers = [make_consumer(setup) for _ in range(attempts)]
        setup.commit()
    committed.append(night)
    snapshot = engine.execution_options(isolation_level="REPEATABLE READ")

    def read() -> tuple[bool, int]:
        """(in the feed, passes left), both from one snapshot at one `now`."""
        with Session(snapshot) as s:
            now = utcnow()
            page = poster_crud.feed(
                s, lat=venue.latitude, lng=venue.longitude, page=PageParams(limit=50), now=now
            )
            left, draws = capacity.places_left(s, event_id=night.event.id, now=now)
            s.rollback()
        shown = poster_id in {item.id for item in page.items}
        return shown, capacity.passes_left(draws=draws[night.offering.id], left=left)

    def book(i: int) -> str:
        with Session(engine, expire_on_commit=False) as s:
            try:
                bookings_service.create_booking(
                    s,
                    event_id=night.event.id,
                    consumer=consumers[i],
                    items=[BookingItemCreate(offering_id=night.offering.id, quantity=1)],
                )
                s.commit()
                return "booked"
            except SoldOut:
                s.rollback()
                return "sold_out"

    assert read() == (True, places)
    reads: list[tuple[bool, int]] = []
    lock = threading.Lock()

    def task(i: int) -> str:
        outcome = book(i // 2) if i % 2 == 0 else "read"
        if outcome == "read":
            seen = read()
            with lock:
                reads.append(seen)
        return outcome

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(task, range(2 * attempts)))

    assert outcomes.count("booked") == places
    assert outcomes.count("sold_out") == attempts - places
    assert len(reads) == attempts
    assert all(shown is (available > 0) for shown, available in reads), reads
    assert read() == (False, 0)

    with Session(engine) as s:
        hold = s.exec(select(Booking).where(col(Booking.event_id) == night.event.id).limit(1)).one()
        hold.hold_expires_at = utcnow() - timedelta(seconds=1)
        s.add(hold)
        s.commit()
    assert read() == (True, 1)


def test_the_feed_asks_about_the_events_around_the_caller_only(
    session: Session, world: World
) -> None:
    """The plan checks each poster's event by its own indexes, never as one hashed
    subplan over every offering (which summed the bookings of every event in the
    database to answer for the few posters around one caller)."""
    for _ in range(30):
        event = make_event(session, venue=make_venue(session, latitude=28.6, longitude=77.2))
        pool = make_pool(session, event=event, size=4)
        stag = make_offering(session, event=event, pools=[pool])
        make_booking(session, consumer=world.consumer, items=[(stag, 2)])
    session.execute(sa.text("ANALYZE offering, offering_pool, capacity_pool, booking"))
    statement = poster_crud._feed_statement()
    compiled = statement.compile(dialect=session.get_bind().dialect)
    params = {
        **compiled.params,
        "cells": geo_index.point_cells(*HERE, poster_crud.FEED_RESOLUTIONS),
        "now": utcnow(),
        "lat_rad": math.radians(HERE[0]),
        "lng_rad": math.radians(HERE[1]),
        "cos_lat": math.cos(math.radians(HERE[0])),
        "limit": 20,
        "offset": 0,
    }
    plan = "\n".join(
        row[0] for row in session.connection().exec_driver_sql(f"EXPLAIN {compiled}", params)
    )
    assert "SubPlan" in plan
    assert "hashed SubPlan" not in plan, plan
