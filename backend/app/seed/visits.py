"""Demo data: club visits on past nights, so a guest's nights and a venue's nights
are not empty.

Three past nights: the two latest nights of the first demo club (by name) and the
latest of the second, on each club's own schedule (`app.seed.places`: the same
titles and times as its coming nights; nights in the club's zone, Asia/Kolkata).
The demo consumers and a few more seeded guests hold stag and couple passes of those
nights, booked and paid on the test gateway as `app.seed.bookings` books; they are
scanned in and out at the door (`app.services.door.record_scans`, each scan as of
its own time in the night: the door judges its window then, and gives the cover
credit at the first entry then), some going out and back in twice; and they order
at the club's bars during the night (pickup orders, paid with their cover credit
first and the rest on the test gateway, or on the gateway alone), which the staff
take through to completed. Three of the first club's guests come back on its later
night (and one is new), so the venue has returning guests. The plans' times are
minutes of a five-hour night, scaled to a shorter one.

Two things the services do only as of the real time, done here as of the night:
- A booking is sold only while its night is ahead. The night is written with its
  real times and, while its passes are sold, moved whole weeks ahead (its offerings'
  sale window with it), then put back: the bookings and payments say they were made
  when the seed ran.
- An order's payment, when captured, stamps the order placed at the real time. The
  seed stamps it back at the minute it was ordered (`Order.placed_at`, which tells
  what a visit spent), as `orders.place_order(now=...)` does for what it writes.

Idempotent: if any of these guests has a visit at one of these clubs, nothing is
added. Only with the test gateway (never a real one).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.config import settings
from app.core.ticket_token import encode_ticket_token
from app.crud import user as user_crud
from app.models import (
    Event,
    EventStatus,
    Gender,
    User,
    Venue,
    VenueKind,
    VenueMembership,
    VenueRole,
    VenueStatus,
)
from app.models.base import utcnow
from app.models.booking import (
    Booking,
    BookingStatus,
    CapacityPool,
    Offering,
    OfferingKind,
    OfferingPool,
    ScanDirection,
    ScanOutcome,
    Ticket,
)
from app.models.group import ClubVisit
from app.models.order import Order, OrderStatus, PickupPoint
from app.schema.booking import BookingItemCreate
from app.schema.order import OrderCreate
from app.schema.ticket import ScanIn
from app.seed import passes, places
from app.seed.orders import advance, menu_lines, pay_at_test_gateway
from app.seed.people import CONSUMERS, DemoConsumer
from app.services import bookings, door, orders, payments

logger = logging.getLogger(__name__)

#: More guests than the four demo consumers, so a club night has a crowd.
GUESTS = [
    DemoConsumer("+919811000001", "Rohan Mehta", Gender.MALE, date(1996, 6, 8)),
    DemoConsumer("+919811000002", "Ananya Das", Gender.FEMALE, date(1998, 2, 14)),
    DemoConsumer("+919811000003", "Ishaan Kapoor", Gender.MALE, date(1994, 10, 30)),
    DemoConsumer("+919811000004", "Sana Qureshi", Gender.FEMALE, date(1999, 7, 21)),
]
PEOPLE = [*CONSUMERS, *GUESTS]  # who: an index into this list

STAG, COUPLE = OfferingKind.STAG, OfferingKind.COUPLE
#: A drink at the bar needs no preparing.
BAR_PATH = [OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.PICKED_UP, OrderStatus.COMPLETED]


@dataclass(frozen=True)
class BarOrder:
    at: int  # minute of the night (see `_at`)
    lines: int  # how many of the bar's items
    skip: int = 0  # from which item of the menu
    credit: bool = True  # cover credit first (False: all on the gateway)


@dataclass(frozen=True)
class Guest:
    who: int
    kind: OfferingKind
    # One entry per pass: its scans, in and out by turns (minutes of the night, `_at`).
    door: tuple[tuple[int, ...], ...]
    orders: tuple[BarOrder, ...] = ()


@dataclass(frozen=True)
class NightPlan:
    club: int  # the demo club, by name
    latest: int  # 0: its latest night that is over, 1: the one before
    guests: tuple[Guest, ...]


NIGHTS = [
    NightPlan(
        club=0,
        latest=1,
        guests=(
            Guest(0, COUPLE, ((30, 150, 165, 270),), (BarOrder(45, 2),)),
            Guest(1, STAG, ((40, 260),)),
            Guest(4, STAG, ((20, 240), (75, 240))),
            Guest(5, COUPLE, ((55, 200),), (BarOrder(100, 2, 4, credit=False),)),
        ),
    ),
    NightPlan(
        club=0,
        latest=0,
        guests=(
            Guest(0, COUPLE, ((15, 230),), (BarOrder(30, 3, 2),)),
            Guest(1, COUPLE, ((50, 110, 130, 290),), (BarOrder(70, 1, 6),)),
            Guest(4, STAG, ((35, 250),)),
            Guest(2, STAG, ((60, 180, 195, 275),)),
        ),
    ),
    NightPlan(
        club=1,
        latest=0,
        guests=(
            Guest(3, COUPLE, ((20, 240),), (BarOrder(35, 3),)),
            Guest(6, STAG, ((10, 120, 140, 200, 215, 280),), (BarOrder(50, 2, 4, credit=False),)),
            Guest(7, STAG, ((70, 280),)),
            Guest(2, STAG, ((45, 120, 135, 260),)),
        ),
    ),
]


def _clubs(session: Session) -> list[Venue]:
    return list(
        session.exec(
            select(Venue)
            .where(
                Venue.kind == VenueKind.NIGHTCLUB,
                Venue.status == VenueStatus.VERIFIED,
                col(Venue.is_active),
            )
            .order_by(col(Venue.name), col(Venue.id))
            .limit(1 + max(n.club for n in NIGHTS))
        ).all()
    )


def _people(session: Session) -> list[User]:
    """The demo consumers (`app.seed.people`) and the extra guests, made if missing."""
    found = []
    for person in PEOPLE:
        user = user_crud.get_by_phone(session, phone=person.phone)
        if user is None:
            user = User(
                phone=person.phone,
                phone_verified_at=utcnow(),
                full_name=person.full_name,
                gender=person.gender,
                date_of_birth=person.date_of_birth,
            )
            session.add(user)
            session.flush()
        found.append(user)
    return found


def _staff(session: Session, venue: Venue) -> User | None:
    return session.exec(
        select(User)
        .join(VenueMembership, col(VenueMembership.user_id) == col(User.id))
        .where(VenueMembership.venue_id == venue.id, VenueMembership.role == VenueRole.STAFF)
        .order_by(col(User.email))
    ).first()


def _past_nights(venue: Venue, *, now: datetime) -> list[Event]:
    """The club's nights of the last two weeks that are over, the latest first."""
    planned = [
        *places.planned_events(venue, now - timedelta(days=14)),
        *places.planned_events(venue, now - timedelta(days=7)),
    ]
    return sorted((e for e in planned if e.ends_at <= now), key=lambda e: e.starts_at)[::-1]


def _night(session: Session, *, venue: Venue, planned: Event) -> Event:
    """The planned night, written with its passes (as `app.seed.passes` plans them)
    unless it is there already (the seed ran when it was ahead)."""
    event = session.exec(
        select(Event).where(
            Event.venue_id == venue.id,
            Event.title == planned.title,
            Event.starts_at == planned.starts_at,
        )
    ).first()
    if event is None:
        session.add(planned)
        session.flush()
        event = planned
    has_pools = session.exec(
        select(CapacityPool.id).where(CapacityPool.event_id == event.id)
    ).first()
    if has_pools is None:
        pools, offerings = passes.plan_event(venue, event)
        session.add_all(pools)
        session.add_all([offering for offering, _ in offerings])
        session.flush()
        for offering, draws in offerings:
            for pool, places_per_pass in draws:
                session.add(
                    OfferingPool(
                        offering_id=offering.id, pool_id=pool.id, places_per_pass=places_per_pass
                    )
                )
        session.flush()
    return event


def _shift(session: Session, *, event: Event, by: timedelta) -> None:
    """Move the event and its offerings' sale window by `by`."""
    event.starts_at += by
    event.ends_at += by
    session.add(event)
    for offering in session.exec(select(Offering).where(Offering.event_id == event.id)):
        if offering.sale_starts_at is not None:
            offering.sale_starts_at += by
        if offering.sale_ends_at is not None:
            offering.sale_ends_at += by
        session.add(offering)
    session.flush()


def _book(
    session: Session, *, event: Event, consumer: User, kind: OfferingKind, quantity: int
) -> None:
    """Book and pay on the test gateway, as the phone does (see `app.seed.bookings`)."""
    offering = session.exec(
        select(Offering)
        .where(Offering.event_id == event.id, Offering.kind == kind)
        .order_by(col(Offering.position), col(Offering.id))
    ).first()
    if offering is None:
        return
    checkout = bookings.create_booking(
        session,
        event_id=event.id,
        consumer=consumer,
        items=[BookingItemCreate(offering_id=offering.id, quantity=quantity)],
    )
    if checkout.payment is not None and checkout.order is not None:
        attempt_id, signature = payments.complete_test_checkout(
            session, order_id=checkout.order.order_id, succeed=True
        )
        payments.verify_checkout(
            session, payment=checkout.payment, provider_payment_id=attempt_id, signature=signature
        )


def _tickets(session: Session, *, event: Event, consumer: User) -> list[Ticket]:
    return list(
        session.exec(
            select(Ticket)
            .join(Booking, col(Booking.id) == col(Ticket.booking_id))
            .where(
                Ticket.event_id == event.id,
                Booking.consumer_id == consumer.id,
                Booking.status == BookingStatus.CONFIRMED,
            )
            .order_by(col(Ticket.created_at), col(Ticket.id))
        ).all()
    )


def _sell(
    session: Session, *, event: Event, plan: NightPlan, people: list[User], now: datetime
) -> dict[int, list[Ticket]]:
    """The guests' passes of the night (booked if they hold none): sold while the
    night is moved whole weeks ahead, then put back."""
    wanted = [g for g in plan.guests if not _tickets(session, event=event, consumer=people[g.who])]
    if wanted:
        ahead = timedelta(weeks=(now - event.starts_at) // timedelta(weeks=1) + 1)
        _shift(session, event=event, by=ahead)
        for guest in wanted:
            _book(
                session,
                event=event,
                consumer=people[guest.who],
                kind=guest.kind,
                quantity=len(guest.door),
            )
        _shift(session, event=event, by=-ahead)
    return {g.who: _tickets(session, event=event, consumer=people[g.who]) for g in plan.guests}


#: The plans' minutes are of a night this long; a shorter night is scaled down to fit.
PLAN_NIGHT_MINUTES = 300


def _at(event: Event, minute: int) -> datetime:
    """The time of the plan's `minute` in the event's night, to the minute."""
    length = min((event.ends_at - event.starts_at) // timedelta(minutes=1), PLAN_NIGHT_MINUTES)
    return event.starts_at + timedelta(minutes=minute * length // PLAN_NIGHT_MINUTES)


@dataclass(frozen=True)
class _Scan:
    at: datetime
    ticket: Ticket
    direction: ScanDirection


def _scans(event: Event, plan: NightPlan, tickets: dict[int, list[Ticket]]) -> list[_Scan]:
    scans = []
    for guest in plan.guests:
        for ticket, minutes in zip(tickets[guest.who], guest.door, strict=False):
            for n, minute in enumerate(minutes):
                direction = ScanDirection.ENTRY if n % 2 == 0 else ScanDirection.EXIT
                at = _at(event, minute)
                scans.append(_Scan(at, ticket, direction))
    return scans


def _bars(session: Session, venue: Venue) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(PickupPoint.id)
            .where(PickupPoint.venue_id == venue.id, col(PickupPoint.is_active))
            .order_by(col(PickupPoint.display_order), col(PickupPoint.id))
        ).all()
    )


def _order(
    session: Session,
    *,
    venue: Venue,
    bar: uuid.UUID,
    consumer: User,
    plan: BarOrder,
    at: datetime,
    staff: User,
) -> None:
    """A pickup order at the bar as of `at`, paid (credit first, the rest on the test
    gateway), then taken through to completed by the staff."""
    checkout = orders.place_order(
        session,
        consumer=consumer,
        data=OrderCreate(
            lines=menu_lines(session, venue=venue, count=plan.lines, skip=plan.skip),
            pickup_point_id=bar,
            use_cover_credit=plan.credit,
        ),
        during_hours=False,
        now=at,
    )
    pay_at_test_gateway(
        session,
        payment=checkout.payment,
        order_id=checkout.gateway_order.order_id if checkout.gateway_order else None,
    )
    # Paid then and there: stamped placed when it was ordered, not when the seed ran.
    session.execute(sa.update(Order).where(col(Order.id) == checkout.order.id).values(placed_at=at))
    order = session.exec(
        select(Order).where(Order.id == checkout.order.id).execution_options(populate_existing=True)
    ).one()
    advance(session, order=order, to=len(BAR_PATH), path=BAR_PATH, by=staff)


def _upload(session: Session, *, event: Event, staff: User, scans: list[_Scan]) -> None:
    """The door device's batch of these scans, uploaded as of the last of them."""
    if not scans:
        return
    batch = [
        ScanIn(
            token=encode_ticket_token(ticket_id=scan.ticket.id, version=scan.ticket.token_version),
            direction=scan.direction,
            gate="Main",
            client_nonce=f"seed-visit-{scan.ticket.id.hex[:12]}-{scan.at:%H%M}-{scan.direction}",
            scanned_at=scan.at,
        )
        for scan in scans
    ]
    now = max(scan.at for scan in scans)
    results = door.record_scans(session, event=event, staff=staff, scans=batch, now=now)
    refused = [r.outcome for r in results if r.outcome != ScanOutcome.OK]
    if refused:
        raise RuntimeError(f"the demo door refused scans: {refused}")


def _run_night(
    session: Session,
    *,
    venue: Venue,
    event: Event,
    plan: NightPlan,
    people: list[User],
    staff: User,
    tickets: dict[int, list[Ticket]],
) -> None:
    """The night in time order: the door's scans uploaded in batches between bar
    orders (each judged as of its own time), each bar order as of its minute."""
    bars = _bars(session, venue)
    bar_orders = sorted(
        (_at(event, o.at), n, guest, o)
        for n, (guest, o) in enumerate((g, o) for g in plan.guests for o in g.orders)
    )
    scans = sorted(_scans(event, plan, tickets), key=lambda scan: scan.at)
    for at, n, guest, bar_order in bar_orders:
        _upload(session, event=event, staff=staff, scans=[s for s in scans if s.at <= at])
        scans = [s for s in scans if s.at > at]
        if bars:
            _order(
                session,
                venue=venue,
                bar=bars[n % len(bars)],
                consumer=people[guest.who],
                plan=bar_order,
                at=at,
                staff=staff,
            )
    _upload(session, event=event, staff=staff, scans=scans)


def _visited(session: Session, *, clubs: list[Venue]) -> bool:
    """Has any of these guests a visit at one of these clubs?"""
    return (
        session.exec(
            select(ClubVisit.id)
            .join(User, col(User.id) == col(ClubVisit.consumer_id))
            .where(
                col(ClubVisit.venue_id).in_([c.id for c in clubs]),
                col(User.phone).in_([p.phone for p in PEOPLE]),
            )
        ).first()
        is not None
    )


def seed(session: Session, *, now: datetime) -> None:
    """Idempotent: the past nights' visits, unless these guests have visits at these
    clubs already (with the test gateway only)."""
    if settings.PAYMENT_PROVIDER != "test":
        return
    clubs = _clubs(session)
    visits = nights = 0
    if clubs and not _visited(session, clubs=clubs):
        people = _people(session)
        for plan in NIGHTS:
            venue = clubs[plan.club] if plan.club < len(clubs) else None
            staff = _staff(session, venue) if venue is not None else None
            past = _past_nights(venue, now=now) if venue is not None else []
            if venue is None or staff is None or len(past) <= plan.latest:
                continue
            event = _night(session, venue=venue, planned=past[plan.latest])
            if event.status is not EventStatus.SCHEDULED:
                continue
            tickets = _sell(session, event=event, plan=plan, people=people, now=now)
            _run_night(
                session,
                venue=venue,
                event=event,
                plan=plan,
                people=people,
                staff=staff,
                tickets=tickets,
            )
            visits += sum(1 for guest in plan.guests if tickets[guest.who])
            nights += 1
    session.flush()
    logger.info("seeded %d visits on %d past nights", visits, nights)
