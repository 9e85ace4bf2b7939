"""Demo data: what the demo events sell (capacity pools and offerings).

A club night sells stag and couple entries out of one pool of guests (the
club's capacity, or 300) and table packages that also take one of its 12
tables; a restaurant's evening sells seats at the table. Prices follow the
venue's cover charge where it has one. Idempotent: an event gets its pools and
offerings only if it has no pool yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.models import Event, EventStatus, Venue, VenueKind
from app.models.booking import CapacityPool, Offering, OfferingKind, OfferingPool

logger = logging.getLogger(__name__)

DEFAULT_CLUB_CAPACITY = 300
CLUB_TABLES = 12
RESTAURANT_SEATS = 40


@dataclass(frozen=True)
class OfferingPlan:
    name: str
    kind: OfferingKind
    price_minor: int
    guests_per_pass: int
    cover_credit_minor: int
    max_per_booking: int
    takes_a_table: bool = False
    reentry_allowed: bool = True
    description: str | None = None


def _hundreds(paise: int) -> int:
    """Down to whole hundreds of rupees, as prices are written on a club's board."""
    return paise // 10_000 * 10_000


def _club_offerings(cover_minor: int) -> list[OfferingPlan]:
    return [
        OfferingPlan(
            "Stag entry",
            OfferingKind.STAG,
            cover_minor,
            1,
            _hundreds(cover_minor * 2 // 3),
            6,
            description="One guest. Most of the entry comes back as bar credit tonight.",
        ),
        OfferingPlan(
            "Couple entry",
            OfferingKind.COUPLE,
            _hundreds(cover_minor * 5 // 3),
            2,
            _hundreds(cover_minor * 4 // 3),
            3,
            description="Two guests on one pass.",
        ),
        OfferingPlan(
            "Table for six",
            OfferingKind.TABLE_PACKAGE,
            cover_minor * 10,
            6,
            cover_minor * 8,
            1,
            takes_a_table=True,
            reentry_allowed=False,
            description="A reserved table for six with bottle service credit.",
        ),
    ]


def _restaurant_offerings() -> list[OfferingPlan]:
    return [
        OfferingPlan(
            "Seat at the table",
            OfferingKind.STAG,
            350_000,
            1,
            0,
            8,
            description="The full tasting menu; drinks are extra.",
        ),
    ]


def plan_event(
    venue: Venue, event: Event
) -> tuple[list[CapacityPool], list[tuple[Offering, list[tuple[CapacityPool, int]]]]]:
    """The pools and offerings (with what each pass takes of each pool) of one event."""
    if venue.kind == VenueKind.NIGHTCLUB:
        guests = CapacityPool(
            event_id=event.id, name="Guests", size=venue.capacity or DEFAULT_CLUB_CAPACITY
        )
        tables = CapacityPool(event_id=event.id, name="Tables", size=CLUB_TABLES)
        pools = [guests, tables]
        plans = _club_offerings(venue.cover_charge_minor or 150_000)
    elif venue.kind == VenueKind.RESTAURANT:
        guests = CapacityPool(event_id=event.id, name="Seats", size=RESTAURANT_SEATS)
        tables = None
        pools = [guests]
        plans = _restaurant_offerings()
    else:
        return [], []
    offerings = []
    for position, plan in enumerate(plans):
        offering = Offering(
            event_id=event.id,
            name=plan.name,
            description=plan.description,
            kind=plan.kind,
            price_minor=plan.price_minor,
            guests_per_pass=plan.guests_per_pass,
            cover_credit_minor=plan.cover_credit_minor,
            max_per_booking=plan.max_per_booking,
            reentry_allowed=plan.reentry_allowed,
            sale_ends_at=event.starts_at + timedelta(hours=2),
            position=position,
        )
        draws = [(guests, plan.guests_per_pass)]
        if plan.takes_a_table and tables is not None:
            draws.append((tables, 1))
        offerings.append((offering, draws))
    return pools, offerings


def seed(session: Session, *, now: datetime) -> None:
    """Idempotent: adds pools and offerings to upcoming events that have none."""
    with_pools = select(CapacityPool.event_id).distinct()
    rows = session.exec(
        select(Event, Venue)
        .join(Venue, col(Venue.id) == col(Event.venue_id))
        .where(
            Event.status == EventStatus.SCHEDULED,
            col(Event.ends_at) > now,
            col(Event.id).not_in(with_pools),
        )
        .order_by(col(Event.starts_at))
    ).all()
    offerings_added = 0
    for event, venue in rows:
        pools, offerings = plan_event(venue, event)
        session.add_all(pools)
        for offering, _ in offerings:
            session.add(offering)
        session.flush()
        for offering, draws in offerings:
            for pool, places in draws:
                session.add(
                    OfferingPool(offering_id=offering.id, pool_id=pool.id, places_per_pass=places)
                )
            offerings_added += 1
    session.flush()
    logger.info("seeded %d offerings on %d events", offerings_added, len(rows))
