"""The last-owner rule holds under simultaneous requests (real parallel connections)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core.errors import Conflict, PermissionDenied
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

    def demote(acting: User, target: User) -> str:
        with Session(engine) as session:
            loaded = session.get(Venue, venue.id)
            assert loaded is not None
            barrier.wait()
            try:
                staff_service.change_role(
                    session, venue=loaded, user_id=target.id, role=VenueRole.MANAGER, acting=acting
                )
                session.commit()
                return "demoted"
            except (Conflict, PermissionDenied):  # no longer an owner, or the last one
                session.rollback()
                return "refused"

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = sorted(pool.map(demote, [second, first], [first, second]))
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


def test_an_owner_demoted_a_moment_ago_cannot_go_on_changing_staff(engine: Engine) -> None:
    """B passed the route's owner check just before A demoted B: B's change, made under
    the venue lock, must see the demotion."""
    with Session(engine, expire_on_commit=False) as setup:
        a, b, c = make_user(setup), make_user(setup), make_user(setup)
        venue = make_venue(setup, owner=a)
        add_member(setup, venue=venue, user=b, role=VenueRole.OWNER)
        add_member(setup, venue=venue, user=c, role=VenueRole.STAFF)
        setup.commit()
    try:
        with Session(engine) as b_request:
            b_venue = b_request.get(Venue, venue.id)  # B's guard: still an owner here
            assert b_venue is not None
            with Session(engine) as a_request:
                a_venue = a_request.get(Venue, venue.id)
                assert a_venue is not None
                staff_service.change_role(
                    a_request, venue=a_venue, user_id=b.id, role=VenueRole.STAFF, acting=a
                )
                a_request.commit()
            for attempt in (
                lambda: staff_service.change_role(
                    b_request, venue=b_venue, user_id=c.id, role=VenueRole.OWNER, acting=b
                ),
                lambda: staff_service.remove(b_request, venue=b_venue, user_id=a.id, acting=b),
            ):
                with pytest.raises(PermissionDenied):
                    attempt()
                b_request.rollback()
            # Leaving stays possible for anyone still a member.
            staff_service.remove(b_request, venue=b_venue, user_id=b.id, acting=b)
            b_request.commit()
        with Session(engine) as check:
            roles = dict(
                check.exec(
                    select(VenueMembership.user_id, VenueMembership.role).where(
                        VenueMembership.venue_id == venue.id
                    )
                ).all()
            )
            assert roles == {a.id: VenueRole.OWNER, c.id: VenueRole.STAFF}
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Venue).where(Venue.id == venue.id))  # type: ignore[arg-type]
            cleanup.execute(sa.delete(User).where(User.id.in_([a.id, b.id, c.id])))  # type: ignore[attr-defined]
            cleanup.commit()
