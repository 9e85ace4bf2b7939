"""Demo data: two groups of the demo consumers, with wallets topped up and spent from.

The groups and their members are written as rows (the app makes them the same way:
one wallet per group, the maker its admin); the money moves by the calls a phone
makes, on the built-in test gateway only: each top-up is a gateway payment paid on
the test gateway's page and credited to the wallet when captured, and each spend is
an order or a booking paid with `wallet_group_id`. So every ledger entry has its
payment, and every balance is the sum of its ledger.

- "Forum lunch crew" (Diya, the admin, with Kabir and Meera): members may spend
  Rs 1,500 a night, and a spend above Rs 200 waits for Diya. Diya and Kabir top it
  up; Diya pays a food-court cart (two of its QSRs) from it at once; Meera's pickup
  order at a QSR waits for Diya's approval, its amount held.
- "Club night crew" (Aarav, the admin, with Diya and Kabir), for Aarav's booking of
  the first demo club night: Aarav and Kabir top it up and Kabir's entry to the same
  night is booked and paid from it. (Meera, +919810000004, still has no booking.)
Idempotent: a group already there (by its name and admin) gets nothing more.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.core.config import settings
from app.crud import user as user_crud
from app.models import User, Venue, VenueKind
from app.models.booking import Booking, Offering, OfferingKind, OfferingStatus
from app.models.group import Group, GroupMember, GroupRole, GroupWallet
from app.schema.booking import BookingItemCreate
from app.schema.order import OrderCreate, OrderLineCreate
from app.seed.orders import menu_lines, pay_at_test_gateway, pickup_point_of, venues_of_kind
from app.seed.people import CONSUMERS
from app.services import bookings, orders, wallets

logger = logging.getLogger(__name__)

LUNCH_CREW = "Forum lunch crew"
CLUB_NIGHT = "Club night crew"


@dataclass(frozen=True)
class _People:
    aarav: User
    diya: User
    kabir: User
    meera: User


def _existing(session: Session, *, name: str, admin: User) -> Group | None:
    return session.exec(select(Group).where(Group.name == name, Group.admin_id == admin.id)).first()


def _make_group(
    session: Session,
    *,
    name: str,
    admin: User,
    members: list[User],
    booking_id: uuid.UUID | None = None,
    cap_minor: int | None = None,
    approval_above_minor: int | None = None,
) -> Group:
    group = Group(
        name=name,
        admin_id=admin.id,
        booking_id=booking_id,
        cap_minor=cap_minor,
        approval_above_minor=approval_above_minor,
    )
    session.add(group)
    session.flush()
    session.add(GroupWallet(group_id=group.id, currency=group.currency))
    session.add(GroupMember(group_id=group.id, user_id=admin.id, role=GroupRole.ADMIN))
    session.add_all(GroupMember(group_id=group.id, user_id=m.id) for m in members)
    session.flush()
    return group


def _top_up(session: Session, *, group: Group, member: User, amount: int) -> None:
    """A top-up paid on the test gateway: captured, so the wallet is credited."""
    checkout = wallets.start_top_up(session, group=group, member=member, amount=amount)
    pay_at_test_gateway(session, payment=checkout.payment, order_id=checkout.order.order_id)


def _spend_on_order(
    session: Session,
    *,
    group: Group,
    member: User,
    pickup_point_id: uuid.UUID,
    lines: list[OrderLineCreate],
) -> None:
    orders.place_order(
        session,
        consumer=member,
        data=OrderCreate(pickup_point_id=pickup_point_id, lines=lines, wallet_group_id=group.id),
        during_hours=False,
    )


def _lunch_crew(session: Session, people: _People) -> bool:
    if _existing(session, name=LUNCH_CREW, admin=people.diya) is not None:
        return False
    group = _make_group(
        session,
        name=LUNCH_CREW,
        admin=people.diya,
        members=[people.kabir, people.meera],
        cap_minor=150_000,
        approval_above_minor=20_000,
    )
    _top_up(session, group=group, member=people.diya, amount=300_000)
    _top_up(session, group=group, member=people.kabir, amount=200_000)
    for court in venues_of_kind(session, VenueKind.FOOD_COURT)[:1]:
        point = pickup_point_of(session, court)
        qsrs = session.exec(
            select(Venue)
            .where(Venue.food_court_id == court.id, col(Venue.is_active))
            .order_by(col(Venue.name), col(Venue.id))
        ).all()
        if point is None or len(qsrs) < 2:
            continue
        two = qsrs[2:4] if len(qsrs) >= 4 else qsrs[:2]  # not the orders seed's two
        lines = [line for qsr in two for line in menu_lines(session, venue=qsr, count=1)]
        _spend_on_order(
            session, group=group, member=people.diya, pickup_point_id=point, lines=lines
        )
    standalone = [v for v in venues_of_kind(session, VenueKind.QSR) if v.food_court_id is None]
    for qsr in standalone[1:2] or standalone[:1]:
        point = pickup_point_of(session, qsr)
        if point is not None:  # above Rs 200: waits for the admin
            _spend_on_order(
                session,
                group=group,
                member=people.meera,
                pickup_point_id=point,
                lines=menu_lines(session, venue=qsr, count=3),
            )
    return True


def _club_night(session: Session, people: _People) -> bool:
    if _existing(session, name=CLUB_NIGHT, admin=people.aarav) is not None:
        return False
    booking = session.exec(
        select(Booking)
        .where(Booking.consumer_id == people.aarav.id)
        .order_by(col(Booking.created_at), col(Booking.id))
    ).first()
    group = _make_group(
        session,
        name=CLUB_NIGHT,
        admin=people.aarav,
        members=[people.diya, people.kabir],
        booking_id=booking.id if booking is not None else None,
    )
    _top_up(session, group=group, member=people.aarav, amount=500_000)
    _top_up(session, group=group, member=people.kabir, amount=300_000)
    stag = (
        session.exec(
            select(Offering).where(
                Offering.event_id == booking.event_id,
                Offering.kind == OfferingKind.STAG,
                Offering.status == OfferingStatus.ACTIVE,
            )
        ).first()
        if booking is not None
        else None
    )
    if booking is not None and stag is not None:
        bookings.create_booking(
            session,
            event_id=booking.event_id,
            consumer=people.kabir,
            items=[BookingItemCreate(offering_id=stag.id, quantity=1)],
            wallet_group_id=group.id,
        )
    return True


def seed(session: Session) -> None:
    """Idempotent: the demo groups that are missing (with the test gateway only)."""
    if settings.PAYMENT_PROVIDER != "test":
        return
    found = [user_crud.get_by_phone(session, phone=c.phone) for c in CONSUMERS[:4]]
    users = [u for u in found if u is not None]
    if len(users) < 4:
        return
    people = _People(*users)
    made = sum((_lunch_crew(session, people), _club_night(session, people)))
    session.flush()
    logger.info("seeded %d demo groups with wallets", made)
