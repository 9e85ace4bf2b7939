"""Typed factories for what an event sells: pools, offerings, bookings."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.models import Event, User
from app.models.booking import (
    Booking,
    BookingItem,
    BookingStatus,
    CapacityPool,
    Offering,
    OfferingKind,
    OfferingPool,
)

_seq = itertools.count(1)


def make_pool(
    session: Session, *, event: Event, size: int = 300, name: str | None = None
) -> CapacityPool:
    pool = CapacityPool(event_id=event.id, name=name or f"Pool {next(_seq)}", size=size)
    session.add(pool)
    session.flush()
    return pool


def make_offering(
    session: Session,
    *,
    event: Event,
    pools: Sequence[CapacityPool | tuple[CapacityPool, int]] = (),
    name: str | None = None,
    kind: OfferingKind = OfferingKind.STAG,
    price_minor: int = 150_000,
    guests_per_pass: int = 1,
    **fields: Any,
) -> Offering:
    offering = Offering(
        event_id=event.id,
        name=name or f"Pass {next(_seq)}",
        kind=kind,
        price_minor=price_minor,
        guests_per_pass=guests_per_pass,
        **fields,
    )
    session.add(offering)
    session.flush()
    for entry in pools:
        # A bare pool is drawn one place per guest; (pool, n) takes n places per pass.
        pool, per_pass = entry if isinstance(entry, tuple) else (entry, guests_per_pass)
        session.add(
            OfferingPool(offering_id=offering.id, pool_id=pool.id, places_per_pass=per_pass)
        )
    session.flush()
    return offering


def make_booking(
    session: Session,
    *,
    consumer: User,
    items: Sequence[tuple[Offering, int]],
    status: BookingStatus = BookingStatus.HELD,
    hold_minutes: int = 10,
) -> Booking:
    """A booking of `quantity` passes of each offering (no payment is made)."""
    now = datetime.now(UTC)
    event_id = items[0][0].event_id
    booking = Booking(
        event_id=event_id,
        consumer_id=consumer.id,
        status=status,
        guests=sum(o.guests_per_pass * q for o, q in items),
        total_minor=sum(o.price_minor * q for o, q in items),
        hold_expires_at=now + timedelta(minutes=hold_minutes),
        confirmed_at=now if status is BookingStatus.CONFIRMED else None,
    )
    session.add(booking)
    session.flush()
    for offering, quantity in items:
        session.add(
            BookingItem(
                booking_id=booking.id,
                offering_id=offering.id,
                quantity=quantity,
                guests=offering.guests_per_pass * quantity,
                unit_price_minor=offering.price_minor,
                cover_credit_minor=offering.cover_credit_minor,
            )
        )
    session.flush()
    return booking
