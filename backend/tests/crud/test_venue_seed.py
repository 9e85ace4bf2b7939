"""The demo venues: all four kinds, a food court with its QSRs, menus; idempotent."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.core.security import verify_password
from app.models import User, Venue, VenueKind, VenueMembership, VenueStatus
from app.models.menu import MenuItem
from app.seed import venues as venue_seed


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Venue)).one(),
        session.exec(select(func.count()).select_from(User)).one(),
        session.exec(select(func.count()).select_from(VenueMembership)).one(),
        session.exec(select(func.count()).select_from(MenuItem)).one(),
    )


def test_seed_builds_a_city_and_is_idempotent(session: Session) -> None:
    before = _counts(session)
    venue_seed.seed(session)
    after = _counts(session)
    venues = session.exec(
        select(Venue).where(col(Venue.name).in_([v.name for v in venue_seed.VENUES]))
    ).all()
    assert len(venues) == len(venue_seed.VENUES) >= 30
    assert {v.kind for v in venues} == set(VenueKind)
    assert all(v.status == VenueStatus.VERIFIED and v.is_active for v in venues)
    court = next(v for v in venues if v.kind == VenueKind.FOOD_COURT)
    inside = [v for v in venues if v.food_court_id == court.id]
    assert len(inside) >= 4
    assert all(v.kind == VenueKind.QSR for v in inside)
    assert after[3] - before[3] >= 300  # a few hundred menu items
    assert after[2] - before[2] >= 3 * len(venues)

    owner = session.exec(select(User).where(User.email == "owner.skyline@demo.socia.app")).one()
    assert verify_password(venue_seed.DEMO_PASSWORD, owner.password_hash)

    venue_seed.seed(session)
    assert _counts(session) == after
