"""Demo data: a few bookings, paid on the test gateway, with their tickets.

The first demo consumers each book a pass of one of the coming club nights, pay on
the built-in test gateway (the same calls a phone makes: the booking, the
gateway's Pay, the signed checkout callback) and so hold confirmed bookings with
tickets, a payment and its ledger. Idempotent: a consumer who already booked that
event books nothing more. Only with the test gateway (never a real one).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from app.core.config import settings
from app.crud import user as user_crud
from app.models import Event, EventStatus, Venue, VenueKind, VenueStatus
from app.models.booking import Booking, Offering, OfferingKind, OfferingStatus
from app.schema.booking import BookingItemCreate
from app.seed.people import CONSUMERS
from app.services import bookings, payments

logger = logging.getLogger(__name__)

# (consumer index, night index, the kind of pass, how many)
PLAN = [
    (0, 0, OfferingKind.COUPLE, 1),
    (1, 0, OfferingKind.STAG, 2),
    (2, 1, OfferingKind.STAG, 1),
]


def _club_nights(session: Session, *, now: datetime) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .join(Venue, col(Venue.id) == col(Event.venue_id))
            .where(
                Venue.kind == VenueKind.NIGHTCLUB,
                Venue.status == VenueStatus.VERIFIED,
                col(Venue.is_active),
                Event.status == EventStatus.SCHEDULED,
                col(Event.starts_at) > now,
            )
            .order_by(col(Event.starts_at), col(Event.id))
            .limit(2)
        ).all()
    )


def seed(session: Session, *, now: datetime) -> None:
    """Idempotent: books what is missing (with the test gateway only)."""
    if settings.PAYMENT_PROVIDER != "test":
        return
    nights = _club_nights(session, now=now)
    made = 0
    for consumer_no, night_no, kind, quantity in PLAN:
        if night_no >= len(nights):
            continue
        night = nights[night_no]
        consumer = user_crud.get_by_phone(session, phone=CONSUMERS[consumer_no].phone)
        offering = session.exec(
            select(Offering).where(
                Offering.event_id == night.id,
                Offering.kind == kind,
                Offering.status == OfferingStatus.ACTIVE,
            )
        ).first()
        if consumer is None or offering is None:
            continue
        booked = session.exec(
            select(Booking.id).where(
                Booking.event_id == night.id, Booking.consumer_id == consumer.id
            )
        ).first()
        if booked is not None:
            continue
        checkout = bookings.create_booking(
            session,
            event_id=night.id,
            consumer=consumer,
            items=[BookingItemCreate(offering_id=offering.id, quantity=quantity)],
        )
        if checkout.payment is not None and checkout.order is not None:
            attempt_id, signature = payments.complete_test_checkout(
                session, order_id=checkout.order.order_id, succeed=True
            )
            payments.verify_checkout(
                session,
                payment=checkout.payment,
                provider_payment_id=attempt_id,
                signature=signature,
            )
        made += 1
    session.flush()
    logger.info("seeded %d paid bookings", made)
