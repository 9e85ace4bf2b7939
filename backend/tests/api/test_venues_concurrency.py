"""Venue rules under simultaneous requests, on real separate connections."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.errors import Conflict
from app.crud import venue as venue_crud
from app.models import User, Venue, VenueKind, VenueMembership, VenueRole, VenueStatus
from app.models.base import utcnow
from app.services import accounts
from tests.factories import add_member, make_user, make_venue

pytestmark = pytest.mark.slow


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[tuple[list[uuid.UUID], list[uuid.UUID]]]:
    """Venues and users a test commits, deleted afterwards."""
    venues: list[uuid.UUID] = []
    users: list[uuid.UUID] = []
    yield venues, users
    with Session(engine) as session:
        session.execute(
            sa.update(Venue).values(food_court_id=None).where(col(Venue.id).in_(venues))
        )
        session.execute(sa.delete(Venue).where(col(Venue.id).in_(venues)))
        session.execute(sa.delete(User).where(col(User.id).in_(users)))
        session.commit()


def test_a_venue_verified_after_its_owner_loaded_it_is_not_deleted(
    engine: Engine, cleanup: tuple[list[uuid.UUID], list[uuid.UUID]]
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_user(setup)
        venue = make_venue(setup, owner=owner, verified=False)
        setup.commit()
    cleanup[0].append(venue.id)
    cleanup[1].append(owner.id)
    with Session(engine) as owner_request:
        loaded = owner_request.get(Venue, venue.id)  # the route's guard: still a draft
        assert loaded is not None
        assert loaded.status is VenueStatus.DRAFT
        with Session(engine) as admin_request:
            admin_venue = admin_request.get(Venue, venue.id)
            assert admin_venue is not None
            venue_crud.verify(admin_request, venue=admin_venue, at=utcnow())
            admin_request.commit()
        with pytest.raises(Conflict, match="verified"):
            venue_crud.delete(owner_request, venue=loaded)
    with Session(engine) as check:
        assert check.get(Venue, venue.id) is not None


def test_two_food_courts_cannot_both_take_one_qsr(
    engine: Engine, cleanup: tuple[list[uuid.UUID], list[uuid.UUID]]
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        owner = make_user(setup)
        first = make_venue(setup, owner=owner, kind=VenueKind.FOOD_COURT)
        second = make_venue(setup, owner=owner, kind=VenueKind.FOOD_COURT)
        qsr = make_venue(setup, owner=owner, kind=VenueKind.QSR)
        setup.commit()
    cleanup[0].extend([qsr.id, first.id, second.id])
    cleanup[1].append(owner.id)
    with Session(engine) as slow:
        slow_qsr, slow_court = slow.get(Venue, qsr.id), slow.get(Venue, second.id)
        assert slow_qsr is not None
        assert slow_court is not None
        assert slow_qsr.food_court_id is None  # loaded before the other request commits
        with Session(engine) as fast:
            fast_qsr, fast_court = fast.get(Venue, qsr.id), fast.get(Venue, first.id)
            assert fast_qsr is not None
            assert fast_court is not None
            venue_crud.attach_qsr(fast, food_court=fast_court, qsr=fast_qsr)
            fast.commit()
        with pytest.raises(Conflict, match="another food court"):
            venue_crud.attach_qsr(slow, food_court=slow_court, qsr=slow_qsr)
    with Session(engine) as check:
        stored = check.get(Venue, qsr.id)
        assert stored is not None
        assert stored.food_court_id == first.id


def test_two_co_owners_deleting_their_accounts_at_once_leave_the_venue_an_owner(
    engine: Engine, cleanup: tuple[list[uuid.UUID], list[uuid.UUID]]
) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        a, b = make_user(setup), make_user(setup)
        venue = make_venue(setup, owner=a)
        add_member(setup, venue=venue, user=b, role=VenueRole.OWNER)
        setup.commit()
    cleanup[0].append(venue.id)
    cleanup[1].extend([a.id, b.id])
    outcome: dict[str, str] = {}

    def delete_b() -> None:
        with Session(engine) as b_request:
            b_user = b_request.get(User, b.id)
            assert b_user is not None
            try:
                accounts.delete_account(b_request, user=b_user)
                b_request.commit()
                outcome["b"] = "deleted"
            except Conflict:
                b_request.rollback()
                outcome["b"] = "refused"

    with Session(engine) as a_request:
        a_user = a_request.get(User, a.id)
        assert a_user is not None
        accounts.delete_account(a_request, user=a_user)  # not committed yet
        other = threading.Thread(target=delete_b)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second deletion must wait for the first"
        a_request.commit()
    other.join(timeout=30)
    assert outcome == {"b": "refused"}
    with Session(engine) as check:
        owners = check.exec(
            select(VenueMembership.user_id).where(
                VenueMembership.venue_id == venue.id, VenueMembership.role == VenueRole.OWNER
            )
        ).all()
        assert owners == [b.id]
