"""A poster written while its venue moves is covered at the venue's new location
(real parallel connections: the move and the poster write are serialised)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core import geo_index
from app.crud import poster as poster_crud
from app.models import Venue
from app.models.base import utcnow
from app.models.poster import Poster, PosterCell
from app.schema.poster import PosterCreate, PosterUpdate
from app.schema.venue import VenueUpdate
from app.services import venues as venue_service
from tests.core.test_geo_index import destination
from tests.factories import make_venue
from tests.factories.posters import make_event, make_poster

OLD = (12.9716, 77.5946)
NEW = destination(*OLD, 90, 10_000)


@pytest.fixture
def venue_id(engine: Engine) -> Iterator[uuid.UUID]:
    """A committed venue at OLD, deleted (with its posters) afterwards."""
    with Session(engine) as setup:
        venue = make_venue(setup, latitude=OLD[0], longitude=OLD[1])
        setup.commit()
        venue_id = venue.id
    yield venue_id
    with Session(engine) as cleanup:
        cleanup.execute(sa.delete(Venue).where(col(Venue.id) == venue_id))
        cleanup.commit()


def cells_of(engine: Engine, poster_id: uuid.UUID) -> set[int]:
    with Session(engine) as check:
        return set(
            check.exec(select(PosterCell.cell).where(col(PosterCell.poster_id) == poster_id)).all()
        )


def _finished_or_waiting_on_a_lock(engine: Engine, pid: int, job: Future[Any]) -> None:
    """Wait until the job (on backend `pid`) is done, or blocked on a row lock."""
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            if job.done():
                return
            waiting = conn.execute(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar_one_or_none()
            if waiting == "Lock":
                return
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the job neither finished nor waited")  # pragma: no cover


def _backend_pid(session: Session) -> int:
    pid: int = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return pid


Write = Callable[[Session, Venue], uuid.UUID]


def _move(session: Session, venue_id: uuid.UUID) -> None:
    venue = session.get(Venue, venue_id)
    assert venue is not None
    venue_service.update(session, venue=venue, data=VenueUpdate(latitude=NEW[0], longitude=NEW[1]))


def _write_while_the_venue_moves(engine: Engine, venue_id: uuid.UUID, write: Write) -> uuid.UUID:
    """The move has updated the venue (to NEW) but not committed when `write` runs on
    its own connection with the venue as the request loaded it (at OLD); then the move
    commits. Returns what `write` returned (the poster id)."""
    with Session(engine) as mover, Session(engine) as writer:
        stale = writer.get(Venue, venue_id)  # the request's guard loaded it: still at OLD
        assert stale is not None
        pid = _backend_pid(writer)
        _move(mover, venue_id)

        def run() -> uuid.UUID:
            poster_id = write(writer, stale)
            writer.commit()
            return poster_id

        with ThreadPoolExecutor(max_workers=1) as pool:
            job = pool.submit(run)
            _finished_or_waiting_on_a_lock(engine, pid, job)
            mover.commit()
            return job.result(timeout=30)


def _move_while_a_write_is_open(engine: Engine, venue_id: uuid.UUID, write: Write) -> uuid.UUID:
    """`write` has run (at OLD) but not committed when the venue moves to NEW on another
    connection; then `write` commits."""
    with Session(engine) as mover, Session(engine) as writer:
        venue = writer.get(Venue, venue_id)
        assert venue is not None
        poster_id = write(writer, venue)
        pid = _backend_pid(mover)

        def run() -> None:
            _move(mover, venue_id)
            mover.commit()

        with ThreadPoolExecutor(max_workers=1) as pool:
            job = pool.submit(run)
            _finished_or_waiting_on_a_lock(engine, pid, job)
            writer.commit()
            job.result(timeout=30)
    return poster_id


INTERLEAVINGS = [_write_while_the_venue_moves, _move_while_a_write_is_open]


def _create(session: Session, venue: Venue) -> uuid.UUID:
    data = PosterCreate(
        venue_id=venue.id,
        image_url="https://cdn.example.com/p.jpg",
        deep_link="socia://venue/x",
        expires_at=utcnow() + timedelta(days=7),
        radius_m=1000,
    )
    return poster_crud.create(session, venue=venue, data=data).id


@pytest.mark.parametrize("interleave", INTERLEAVINGS, ids=lambda f: f.__name__.strip("_"))
def test_a_poster_created_while_its_venue_moves_is_covered_at_the_new_place(
    engine: Engine, venue_id: uuid.UUID, interleave: Callable[[Engine, uuid.UUID, Write], uuid.UUID]
) -> None:
    poster_id = interleave(engine, venue_id, _create)

    _, expected = geo_index.poster_covering(*NEW, 1000)
    assert cells_of(engine, poster_id) == expected


@pytest.mark.parametrize("promotes", ["venue", "event"])
def test_a_radius_changed_while_its_venue_moves_is_covered_at_the_new_place(
    engine: Engine, venue_id: uuid.UUID, promotes: str
) -> None:
    """(The other order needs no venue lock: the move's re-cover waits for the poster row.)"""
    with Session(engine) as setup:
        venue = setup.get(Venue, venue_id)
        assert venue is not None
        event = make_event(setup, venue=venue) if promotes == "event" else None
        existing = make_poster(setup, venue=venue, event=event, radius_m=1000).id
        setup.commit()

    def change_radius(session: Session, venue: Venue) -> uuid.UUID:
        poster = session.get(Poster, existing)
        assert poster is not None
        poster_crud.update(session, venue=venue, poster=poster, data=PosterUpdate(radius_m=2000))
        return poster.id

    poster_id = _write_while_the_venue_moves(engine, venue_id, change_radius)

    _, expected = geo_index.poster_covering(*NEW, 2000)
    assert cells_of(engine, poster_id) == expected
