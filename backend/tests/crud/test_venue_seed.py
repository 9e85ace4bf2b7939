"""The demo venues: all four kinds, a food court with its QSRs, menus; idempotent."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from app.core.security import verify_password
from app.models import User, Venue, VenueKind, VenueMembership, VenueStatus
from app.models.menu import AddOn, AddOnGroup, MenuItem, MenuItemVariant, TaxClass
from app.models.order import PickupPoint
from app.models.venue import DEFAULT_PAYMENT_MODE
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


def test_seed_gives_menus_options_taxes_and_pickup_points(session: Session) -> None:
    venue_seed.seed(session)
    venues = {
        v.name: v
        for v in session.exec(
            select(Venue).where(col(Venue.name).in_([v.name for v in venue_seed.VENUES]))
        ).all()
    }
    ids = [v.id for v in venues.values()]
    # Every item has its venue's tax class: alcohol at 20%, the rest at 5%.
    items = session.exec(select(MenuItem).where(col(MenuItem.venue_id).in_(ids))).all()
    taxes = {t.id: t for t in session.exec(select(TaxClass)).all()}
    assert items
    assert all(i.tax_class_id is not None for i in items)
    for item in items:
        tax = taxes[item.tax_class_id] if item.tax_class_id else None
        assert tax is not None
        assert tax.venue_id == item.venue_id
        assert (tax.name, tax.rate_bps) == (
            ("Alcohol VAT 20%", 2000) if item.is_alcoholic else ("Food GST 5%", 500)
        )
    by_id = {i.id: i for i in items}
    variants = session.exec(
        select(MenuItemVariant).where(col(MenuItemVariant.venue_id).in_(ids))
    ).all()
    names = {v.name for v in variants}
    assert {"30 ml", "60 ml", "Half", "Full", "Regular", "Large"} <= names
    spirit = next(v for v in variants if v.name == "60 ml")
    assert not by_id[spirit.item_id].name.endswith("(30 ml)")
    groups = session.exec(select(AddOnGroup).where(col(AddOnGroup.venue_id).in_(ids))).all()
    assert {"Mixers", "Toppings", "Extras", "Chutney"} <= {g.name for g in groups}
    assert any(g.min_choices >= 1 for g in groups)
    assert all(g.min_choices <= g.max_choices for g in groups)
    add_ons = session.exec(select(AddOn).where(col(AddOn.venue_id).in_(ids))).all()
    assert {"Coke", "Soda", "Olives"} <= {a.name for a in add_ons}

    points = session.exec(select(PickupPoint).where(col(PickupPoint.venue_id).in_(ids))).all()
    points_of: dict[Any, set[str]] = {}
    for point in points:
        points_of.setdefault(point.venue_id, set()).add(point.name)
    court = next(v for v in venues.values() if v.kind == VenueKind.FOOD_COURT)
    for venue in venues.values():
        if venue.kind == VenueKind.QSR:
            assert points_of.get(venue.id) == {"Pickup counter"}, venue.name
            assert venue.prices_include_tax is True
        elif venue.kind == VenueKind.NIGHTCLUB:
            assert points_of.get(venue.id) == {"Main bar", "Terrace bar"}, venue.name
        if venue.kind == VenueKind.RESTAURANT:
            assert venue.service_charge_bps == 500
        assert venue.payment_mode == DEFAULT_PAYMENT_MODE[venue.kind]
    assert any(v.food_court_id == court.id and v.id in points_of for v in venues.values())

    counts = (len(points), len(variants), len(groups), len(add_ons), len(taxes))
    venue_seed.seed(session)
    assert (
        len(session.exec(select(PickupPoint).where(col(PickupPoint.venue_id).in_(ids))).all()),
        len(
            session.exec(
                select(MenuItemVariant).where(col(MenuItemVariant.venue_id).in_(ids))
            ).all()
        ),
        len(session.exec(select(AddOnGroup).where(col(AddOnGroup.venue_id).in_(ids))).all()),
        len(session.exec(select(AddOn).where(col(AddOn.venue_id).in_(ids))).all()),
        len(session.exec(select(TaxClass)).all()),
    ) == counts
