"""The last-owner rule holds under simultaneous requests (real parallel connections)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core.errors import Conflict
from app.models import User, Venue, VenueMembership, VenueRole
from app.services import staff as staff_service
from tests.factories import add_member, make_user, make_venue


def test_two_owners_demoting_each_other_at_once_leave_one_owner(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        first, second = make_user(setup), make_user(setup)
        venue = make_venue(setup, owner=first)
        add_member(setup, venue=venue, user=second, role=VenueRole.OWNER)
        setup.commit()
    barrier = threading.Barrier(2)

    def demote(target: uuid.UUID) -> str:
        with Session(engine) as session:
            loaded = session.get(Venue, venue.id)
            assert loaded is not None
            barrier.wait()
            try:
                staff_service.change_role(
                    session, venue=loaded, user_id=target, role=VenueRole.MANAGER
                )
                session.commit()
                return "demoted"
            except Conflict:
                session.rollback()
                return "refused"

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = sorted(pool.map(demote, [first.id, second.id]))
        assert results == ["demoted", "refused"]
        with Session(engine) as check:
            roles = check.exec(
                select(VenueMembership.role).where(VenueMembership.venue_id == venue.id)
            ).all()
            assert sorted(roles) == ["manager", "owner"]
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Venue).where(Venue.id == venue.id))  # type: ignore[arg-type]
            cleanup.execute(sa.delete(User).where(User.id.in_([first.id, second.id])))  # type: ignore[attr-defined]
            cleanup.commit()
