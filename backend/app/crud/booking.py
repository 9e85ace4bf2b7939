"""Bookings: a consumer's own, an event's for its staff, and the rows around them.

Lists load what they show in a fixed number of queries: the page, then the items,
payments and ticket counts of the page's bookings.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.crud import capacity
from app.crud.common import paginate, table_of
from app.models import User
from app.models.booking import Booking, BookingItem, BookingStatus, OfferingPool, Ticket
from app.models.payment import Payment, PaymentStatus
from app.schema.booking import BookingItemRead, BookingRead, PaymentRead, StaffBookingRead
from app.schema.common import Page, PageParams


def get_for_consumer(session: Session, *, booking_id: uuid.UUID, consumer: User) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or booking.consumer_id != consumer.id:
        raise NotFound("booking")
    return booking


def get_for_event(session: Session, *, booking_id: uuid.UUID, event_id: uuid.UUID) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None or booking.event_id != event_id:
        raise NotFound("booking")
    return booking


def lock(session: Session, *, booking_id: uuid.UUID) -> Booking:
    booking = session.exec(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if booking is None:
        raise NotFound("booking")
    return booking


def insert_items(session: Session, *, items: Sequence[BookingItem]) -> None:
    """Write a new booking's lines (their booking written first) in one INSERT, outside
    the unit of work: the booking path writes them under its pools' locks, so the Python
    work between the lock and the commit is kept short. The objects stay untracked."""
    session.execute(_insert_items(), [item.model_dump() for item in items])


@cache
def _insert_items() -> Any:
    return sa.insert(table_of(BookingItem))


def items_of(session: Session, *, booking_id: uuid.UUID) -> list[BookingItem]:
    return list(
        session.exec(
            select(BookingItem)
            .where(BookingItem.booking_id == booking_id)
            .order_by(col(BookingItem.id))
        )
    )


def payment_of(session: Session, *, booking_id: uuid.UUID) -> Payment | None:
    """The booking's payment (one per booking)."""
    return session.exec(
        select(Payment)
        .where(Payment.booking_id == booking_id)
        .order_by(col(Payment.created_at).desc())
    ).first()


EXPIRE_BATCH = 1000  # bookings marked per statement (a backlog is marked batch by batch)


def expire_holds(session: Session, *, now: datetime) -> int:
    """Held bookings past their hold become expired; returns how many.

    Marking one gives its places back to its pools' booked count (a trigger), so the
    locks go in the order every writer takes them: the bookings first (those another
    transaction holds, a payment being confirmed, are left for the next run), then all
    of their pools in id order, then the update; a backlog in batches of `EXPIRE_BATCH`."""
    marked = 0
    while True:
        expired = list(
            session.exec(
                select(Booking.id)
                .where(
                    col(Booking.status) == BookingStatus.HELD,
                    col(Booking.hold_expires_at) <= now,
                )
                .order_by(col(Booking.id))
                .limit(EXPIRE_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not expired:
            return marked
        pool_ids = session.exec(
            select(OfferingPool.pool_id)
            .join(BookingItem, col(BookingItem.offering_id) == col(OfferingPool.offering_id))
            .where(col(BookingItem.booking_id).in_(expired))
            .distinct()
        )
        capacity.lock_pools(session, pool_ids=list(pool_ids))
        result = session.execute(
            sa.update(Booking)
            .where(col(Booking.id).in_(expired), col(Booking.status) == BookingStatus.HELD)
            .values(status=BookingStatus.EXPIRED, updated_at=now)
        )
        marked += int(result.rowcount)  # type: ignore[attr-defined]
        if len(expired) < EXPIRE_BATCH:
            return marked


def owed_on_cancelled_event(
    session: Session, *, event_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Bookings of a cancelled event still owed money, by id after `after`: confirmed
    ones, and cancelled ones whose payment was refunded only in part (the policy's
    share when the consumer cancelled)."""
    owed = sa.or_(
        col(Booking.status) == BookingStatus.CONFIRMED,
        sa.and_(
            col(Booking.status) == BookingStatus.CANCELLED,
            sa.exists().where(
                col(Payment.booking_id) == col(Booking.id),
                col(Payment.status) == PaymentStatus.CAPTURED,
                col(Payment.refunded_minor) < col(Payment.amount_minor),
            ),
        ),
    )
    statement = select(Booking.id).where(Booking.event_id == event_id, owed)
    if after is not None:
        statement = statement.where(col(Booking.id) > after)
    return list(session.exec(statement.order_by(col(Booking.id)).limit(limit)))


# --- reading -----------------------------------------------------------------------


def _details(
    session: Session, bookings: Sequence[Booking]
) -> tuple[dict[uuid.UUID, list[BookingItem]], dict[uuid.UUID, Payment], dict[uuid.UUID, int]]:
    ids = [b.id for b in bookings]
    items: dict[uuid.UUID, list[BookingItem]] = {i: [] for i in ids}
    payments: dict[uuid.UUID, Payment] = {}
    tickets: dict[uuid.UUID, int] = dict.fromkeys(ids, 0)
    if not ids:
        return items, payments, tickets
    for item in session.exec(
        select(BookingItem)
        .where(col(BookingItem.booking_id).in_(ids))
        .order_by(col(BookingItem.id))
    ):
        items[item.booking_id].append(item)
    for payment in session.exec(
        select(Payment).where(col(Payment.booking_id).in_(ids)).order_by(col(Payment.created_at))
    ):
        assert payment.booking_id is not None
        payments[payment.booking_id] = payment
    counted = session.exec(
        select(Ticket.booking_id, sa.func.count())
        .where(col(Ticket.booking_id).in_(ids))
        .group_by(col(Ticket.booking_id))
    )
    for booking_id, count in counted:
        tickets[booking_id] = int(count)
    return items, payments, tickets


def _read(
    booking: Booking,
    items: list[BookingItem],
    payment: Payment | None,
    tickets: int,
) -> dict[str, object]:
    return {
        **booking.model_dump(),
        "items": [BookingItemRead.model_validate(i) for i in items],
        "payment": PaymentRead.model_validate(payment) if payment is not None else None,
        "tickets": tickets,
    }


def read_new(
    booking: Booking, *, items: list[BookingItem], payment: Payment | None, tickets: int
) -> BookingRead:
    """A booking just written, from what is in memory (no query: the answer of a new
    booking is built while its pools are locked)."""
    return BookingRead.model_validate(_read(booking, items, payment, tickets))


def read(session: Session, *, booking: Booking) -> BookingRead:
    items, payments, tickets = _details(session, [booking])
    return BookingRead.model_validate(
        _read(booking, items[booking.id], payments.get(booking.id), tickets[booking.id])
    )


def list_for_consumer(session: Session, *, consumer: User, page: PageParams) -> Page[BookingRead]:
    statement = (
        select(Booking)
        .where(Booking.consumer_id == consumer.id)
        .order_by(col(Booking.created_at).desc(), col(Booking.id))
    )
    found: Page[Booking] = paginate(session, statement, page=page)
    items, payments, tickets = _details(session, list(found.items))
    return Page(
        items=[
            BookingRead.model_validate(_read(b, items[b.id], payments.get(b.id), tickets[b.id]))
            for b in found.items
        ],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


def list_for_event(
    session: Session,
    *,
    event_id: uuid.UUID,
    status: BookingStatus | None,
    page: PageParams,
) -> Page[StaffBookingRead]:
    """An event's bookings with who booked, newest first."""
    statement = (
        select(Booking, User.full_name)
        .join(User, col(User.id) == col(Booking.consumer_id))
        .where(Booking.event_id == event_id)
        .order_by(col(Booking.created_at).desc(), col(Booking.id))
    )
    if status is not None:
        statement = statement.where(Booking.status == status)
    found: Page[tuple[Booking, str | None]] = paginate(
        session, statement, page=page, item=lambda row: (row[0], row[1])
    )
    bookings = [b for b, _ in found.items]
    items, payments, tickets = _details(session, bookings)
    return Page(
        items=[
            StaffBookingRead.model_validate(
                {
                    **_read(b, items[b.id], payments.get(b.id), tickets[b.id]),
                    "guest_name": name,
                }
            )
            for b, name in found.items
        ],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


def count_tickets(session: Session, *, booking_id: uuid.UUID) -> int:
    return int(
        session.exec(
            select(sa.func.count()).select_from(Ticket).where(Ticket.booking_id == booking_id)
        ).one()
    )
