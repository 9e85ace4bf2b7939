"""Booking passes of an event: hold places, pay, confirm; cancel and refund.

`create_booking` checks the event, the venue and each offering, makes the payment's
gateway order (before any lock: a slow gateway holds no pool), writes the booking
and its payment, then locks the pools the offerings draw from, always in id order
(`capacity.lock_pools`), writes the lines (which change the pools' booked counts) and
takes the places by a count under those locks, so no interleaving oversells and none
deadlocks. The booking is held until `hold_expires_at`; capacity stops counting an expired hold
at once (the `expire_holds` job only marks it).

The payment service tells a booking what became of its payment:
`on_payment_captured` confirms it and issues its tickets (a hold that expired
confirms only if places remain, under the pool locks; otherwise, or for a cancelled
event, the payment is refunded in full); `on_payment_failed` releases it.

Locks are always taken payment first, then booking, then the event (a key-share lock
against its cancellation), then pools.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.core import jobs
from app.core.config import settings
from app.core.errors import (
    BookingNotCancellable,
    BookingNotPaid,
    CancelCutoffPassed,
    DateOfBirthRequired,
    DuplicateOffering,
    EventNotBookable,
    MixedCurrencies,
    NotFound,
    OfferingNotOnSale,
    OverBookingLimit,
    SaleClosed,
    SaleNotOpen,
    SoldOut,
    TooManyHolds,
    UnderAge,
    UnknownOffering,
    VenueNotVerified,
)
from app.crud import booking as booking_crud
from app.crud import capacity
from app.crud import event as event_crud
from app.models import Event, EventStatus, User, VenueStatus
from app.models.booking import (
    Booking,
    BookingItem,
    BookingStatus,
    Offering,
    OfferingStatus,
)
from app.models.payment import Payment, PaymentPurpose, PaymentStatus, Refund, RefundReason
from app.providers.payments.base import GatewayOrder
from app.schema.booking import BookingItemCreate
from app.services import cover_credit, payments, tickets, wallets

SessionOpener = Callable[[], AbstractContextManager[Session]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BookingCheckout:
    booking: Booking
    items: list[BookingItem]
    payment: Payment | None
    order: GatewayOrder | None
    tickets: int


# --- the checks, in order --------------------------------------------------------------


def _bookable_event(look: capacity.FirstLook | None, *, now: datetime) -> capacity.FirstLook:
    if look is None:
        raise NotFound("event")
    if (
        not look.venue_is_active  # a venue taken offline: none of its events are public
        or look.event_status is not EventStatus.SCHEDULED
        or event_crud.is_over(look, now)
    ):
        raise EventNotBookable()
    if look.venue_status is not VenueStatus.VERIFIED:
        raise VenueNotVerified()
    return look


def _offerings(
    look: capacity.FirstLook, *, items: list[BookingItemCreate], now: datetime
) -> list[tuple[capacity.SaleOffering, int]]:
    ids = [item.offering_id for item in items]
    if len(set(ids)) != len(ids):
        raise DuplicateOffering()
    chosen: list[tuple[capacity.SaleOffering, int]] = []
    for index, item in enumerate(items):
        offering = look.offerings.get(item.offering_id)
        if offering is None:
            raise UnknownOffering(loc=("body", "items", index, "offering_id"))
        facts = {"offering_id": str(offering.id)}
        if offering.status is not OfferingStatus.ACTIVE:
            raise OfferingNotOnSale({"message": OfferingNotOnSale.message, **facts})
        if offering.sale_starts_at is not None and now < offering.sale_starts_at:
            raise SaleNotOpen(
                {
                    "message": SaleNotOpen.message,
                    **facts,
                    "sale_starts_at": offering.sale_starts_at.isoformat(),
                }
            )
        if offering.sale_ends_at is not None and now >= offering.sale_ends_at:
            raise SaleClosed({"message": SaleClosed.message, **facts})
        if item.quantity > offering.max_per_booking:
            raise OverBookingLimit(
                {
                    "message": OverBookingLimit.message,
                    **facts,
                    "max_per_booking": offering.max_per_booking,
                }
            )
        chosen.append((offering, item.quantity))
    if len({o.currency for o, _ in chosen}) > 1:
        raise MixedCurrencies()
    return chosen


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _check_age(look: capacity.FirstLook, *, consumer: User) -> None:
    if not look.min_age:
        return
    if consumer.date_of_birth is None:
        raise DateOfBirthRequired({"message": DateOfBirthRequired.message, "min_age": look.min_age})
    try:
        zone = ZoneInfo(look.venue_timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    day = look.starts_at.astimezone(zone).date()
    if age_on(consumer.date_of_birth, day) < look.min_age:
        raise UnderAge({"message": UnderAge.message, "min_age": look.min_age})


# --- booking -----------------------------------------------------------------------------


def create_booking(
    session: Session,
    *,
    event_id: uuid.UUID,
    consumer: User,
    items: list[BookingItemCreate],
    wallet_group_id: uuid.UUID | None = None,
) -> BookingCheckout:
    """Hold the places of these passes and make the payment (see the module's doc)."""
    now = _now()
    # The event, its venue, the offerings and the places left, in one statement
    # without locks: the checks, then a first look at capacity (when the places are
    # already gone, say so at once: no gateway order, no lock to wait for); the count
    # under the locks decides.
    look = _bookable_event(
        capacity.first_look(
            session, event_id=event_id, offering_ids=[i.offering_id for i in items], now=now
        ),
        now=now,
    )
    chosen = _offerings(look, items=items, now=now)
    _check_age(look, consumer=consumer)
    total = sum(o.price_minor * q for o, q in chosen)
    currency = chosen[0][0].currency
    booking_id, payment_id = uuid.uuid4(), uuid.uuid4()
    draws = {o.id: look.draws[o.id] for o, _ in chosen}
    left = dict(look.left)
    pool_ids = {pool_id for d in draws.values() for pool_id in d}
    _take(chosen=chosen, draws=draws, left=left)

    # The gateway first, holding no lock (an order nobody pays costs nothing).
    by_wallet = total > 0 and wallet_group_id is not None
    provider = payments.current_provider() if total > 0 and not by_wallet else None
    order = (
        payments.open_order(
            provider,
            payment_id=payment_id,
            amount=total,
            currency=currency,
            notes={"booking": str(booking_id), "event": str(look.event_id)},
        )
        if provider is not None
        else None
    )

    # The wallet's lock before the booking's and the pools' (`app.services.wallets`).
    spender = (
        wallets.open_for_spend(session, group_id=wallet_group_id, member=consumer)
        if by_wallet and wallet_group_id is not None
        else None
    )
    now = _now()
    booking = Booking(
        id=booking_id,
        event_id=look.event_id,
        consumer_id=consumer.id,
        status=BookingStatus.HELD if total > 0 else BookingStatus.CONFIRMED,
        guests=sum(o.guests_per_pass * q for o, q in chosen),
        total_minor=total,
        currency=currency,
        hold_expires_at=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES),
        confirmed_at=None if total > 0 else now,
    )
    # The booking and its payment in one statement, before any pool lock.
    payment = None
    if provider is not None and order is not None:
        payment = payments.record_payment(
            session,
            payment_id=payment_id,
            purpose=PaymentPurpose.BOOKING,
            payer=consumer,
            provider=provider,
            order=order,
            booking_id=booking.id,
            paying_for=booking,
        )
    else:
        session.add(booking)
        session.flush()

    # Then the pools, in id order, held to the commit. Writing the lines changes their
    # booked counts (a trigger), so the lines are written under the locks, as late as that.
    sizes = capacity.lock_pools(session, pool_ids=pool_ids)
    booking_items = [
        BookingItem(
            booking_id=booking.id,
            offering_id=offering.id,
            quantity=quantity,
            guests=offering.guests_per_pass * quantity,
            unit_price_minor=offering.price_minor,
            cover_credit_minor=offering.cover_credit_minor,
        )
        for offering, quantity in chosen
    ]
    booking_crud.insert_items(session, items=booking_items)
    if spender is not None:
        # Spent at once (the capture confirms the booking and issues its tickets; a
        # refusal of the places below rolls it all back) or held for the group's admin.
        payment, _spend = wallets.pay(
            session,
            spender=spender,
            amount=total,
            currency=currency,
            purpose=PaymentPurpose.BOOKING,
            booking_id=booking.id,
            pays_until=booking.hold_expires_at,
        )

    # Last, the count, under the locks: this booking's own lines are left out of it and
    # taken from what is left; a refusal rolls all of it back. Holds are counted under
    # the same locks, so parallel requests of one consumer cannot all slip past the bound.
    used, live_holds = capacity.count_for_booking(
        session, booking=booking, pool_ids=pool_ids, now=_now()
    )
    if payment is not None and live_holds >= settings.BOOKING_MAX_UNPAID_PER_EVENT:
        raise TooManyHolds()
    left = capacity.left_of(sizes, used)
    _take(chosen=chosen, draws=draws, left=left)
    issued = 0
    if payment is None:  # nothing to pay: confirmed at once
        issued = len(tickets.issue_tickets(session, booking=booking))
    elif booking.status is BookingStatus.CONFIRMED:  # paid from a wallet
        issued = booking_crud.count_tickets(session, booking_id=booking.id)
    return BookingCheckout(
        booking=booking, items=booking_items, payment=payment, order=order, tickets=issued
    )


def _take(
    *,
    chosen: list[tuple[capacity.SaleOffering, int]],
    draws: dict[uuid.UUID, capacity.Draws],
    left: dict[uuid.UUID, int],
) -> None:
    """Take the passes' places from `left`, or refuse with the first that does not fit."""
    short = capacity.first_short(wanted=[(o.id, q) for o, q in chosen], draws=draws, left=left)
    if short is not None:
        offering_id, available = short
        raise SoldOut(
            {"message": SoldOut.message, "offering_id": str(offering_id), "passes_left": available}
        )


# --- what the payment says -----------------------------------------------------------------


def _fits_now(session: Session, *, booking: Booking) -> bool:
    """Under the pool locks: do the booking's passes fit in what others leave?"""
    items = booking_crud.items_of(session, booking_id=booking.id)
    draws = capacity.draws_of_offerings(session, offering_ids=[i.offering_id for i in items])
    pool_ids = {pool_id for d in draws.values() for pool_id in d}
    left = capacity.locked_places_left(
        session, pool_ids=pool_ids, now=_now(), exclude_booking_id=booking.id
    )
    wanted = [(item.offering_id, item.quantity) for item in items]
    return capacity.first_short(wanted=wanted, draws=draws, left=left) is None


def _still_on_sale(session: Session, *, booking: Booking) -> bool:
    """Are all the booking's passes still sold (active, their sale not ended)?"""
    now = _now()
    items = booking_crud.items_of(session, booking_id=booking.id)
    offerings = [session.get(Offering, item.offering_id) for item in items]
    return all(
        o is not None
        and o.status is OfferingStatus.ACTIVE
        and (o.sale_ends_at is None or now < o.sale_ends_at)
        for o in offerings
    )


def _confirm(session: Session, *, booking: Booking) -> None:
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = _now()
    session.add(booking)
    session.flush()
    tickets.issue_tickets(session, booking=booking)


def on_payment_captured(session: Session, *, payment: Payment) -> None:
    """The booking's payment (locked) was captured: confirm, or refund in full."""
    assert payment.booking_id is not None
    booking = booking_crud.lock(session, booking_id=payment.booking_id)
    if booking.status is BookingStatus.CONFIRMED:
        return
    event = session.get(Event, booking.event_id)
    assert event is not None
    # Under the event's lock: a cancellation either waits for this confirmation (and its
    # job then refunds it) or is seen here.
    event = event_crud.lock_against_cancel(session, event=event)
    if event.status is EventStatus.CANCELLED:
        reason = RefundReason.EVENT_CANCELLED
    elif booking.status is BookingStatus.HELD and booking.hold_expires_at > _now():
        _confirm(session, booking=booking)
        return
    elif (
        booking.status is not BookingStatus.CANCELLED
        and not event_crud.is_over(event, _now())
        and _still_on_sale(session, booking=booking)
        and _fits_now(session, booking=booking)
    ):
        _confirm(session, booking=booking)  # paid late, still on sale, and places remain
        return
    else:
        reason = RefundReason.CAPTURED_TOO_LATE
    if booking.status is BookingStatus.HELD:
        booking.status = BookingStatus.EXPIRED
        session.add(booking)
        session.flush()
    payments.request_refund(session, payment=payment, amount=None, reason=reason)


def on_payment_failed(session: Session, *, payment: Payment) -> None:
    """The booking's payment (locked) failed: its places go back."""
    assert payment.booking_id is not None
    booking = booking_crud.lock(session, booking_id=payment.booking_id)
    if booking.status is BookingStatus.HELD:
        booking.status = BookingStatus.FAILED
        session.add(booking)
        session.flush()


def expire_holds(session: Session) -> int:
    return booking_crud.expire_holds(session, now=_now())


# --- cancelling and refunding ----------------------------------------------------------------


def _locked(session: Session, *, booking: Booking) -> tuple[Payment | None, Booking]:
    """The booking's payment and the booking, locked in that order."""
    payment = booking_crud.payment_of(session, booking_id=booking.id)
    if payment is not None:
        payment = payments.lock(session, payment_id=payment.id)
    return payment, booking_crud.lock(session, booking_id=booking.id)


def cancel_deadline(event: Event) -> datetime:
    return event.starts_at - timedelta(minutes=event.cancel_cutoff_minutes)


def policy_refund(event: Event, *, paid: int) -> int:
    """What the event's policy gives back of `paid`, rounded down to the paisa."""
    return math.floor(paid * event.refund_percent / 100)


def _cancel(session: Session, *, booking: Booking) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = _now()
    session.add(booking)
    session.flush()
    tickets.void_tickets(session, booking=booking)
    # The pass's money goes back, so does what is left of the credit it gave.
    cover_credit.revoke_for_booking(session, booking_id=booking.id)


def cancel_booking(session: Session, *, booking: Booking) -> Refund | None:
    """The consumer cancels a confirmed booking before the event's cutoff and gets the
    policy's share of what was paid (never more than is left to refund)."""
    payment, booking = _locked(session, booking=booking)
    if booking.status is not BookingStatus.CONFIRMED:
        raise BookingNotCancellable()
    event = session.get(Event, booking.event_id)
    assert event is not None
    deadline = cancel_deadline(event)
    if _now() >= deadline:
        raise CancelCutoffPassed(
            {"message": CancelCutoffPassed.message, "cancel_before": deadline.isoformat()}
        )
    _cancel(session, booking=booking)
    if payment is None:
        return None
    amount = min(policy_refund(event, paid=payment.amount_minor), payments.refundable(payment))
    if amount <= 0:
        return None
    return payments.request_refund(
        session, payment=payment, amount=amount, reason=RefundReason.CONSUMER_CANCELLED
    )


def refund_booking(
    session: Session, *, booking: Booking, amount: int | None, manager: User
) -> Refund:
    """A manager refunds part or all of what is left; refunding the rest cancels the
    booking (its tickets stop working)."""
    payment, booking = _locked(session, booking=booking)
    if payment is None or payment.status is not PaymentStatus.CAPTURED:
        raise BookingNotPaid()
    refund = payments.request_refund(
        session, payment=payment, amount=amount, reason=RefundReason.MANAGER, requested_by=manager
    )
    if payments.refundable(payment) == 0 and booking.status is BookingStatus.CONFIRMED:
        _cancel(session, booking=booking)
    return refund


def cancel_event(session: Session, *, event: Event) -> Event:
    """Cancel the event; a job then cancels and refunds every confirmed booking."""
    from app.services import tasks  # the tasks run this module's work

    event = event_crud.cancel(session, event=event)
    jobs.defer(session, tasks.refund_cancelled_event, event_id=str(event.id))
    return event


def _cancel_for_event(session: Session, *, booking_id: uuid.UUID) -> bool:
    """Cancel a booking of a cancelled event and give back all that is left of its
    payment (a consumer who had cancelled and got the policy's share gets the rest: the
    night did not happen). Returns whether it did anything."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        return False
    payment, booking = _locked(session, booking=booking)
    did = False
    if booking.status is BookingStatus.CONFIRMED:
        _cancel(session, booking=booking)
        did = True
    if (
        booking.status is BookingStatus.CANCELLED
        and payment is not None
        and payments.refundable(payment) > 0
    ):
        payments.request_refund(
            session, payment=payment, amount=None, reason=RefundReason.EVENT_CANCELLED
        )
        did = True
    return did


def refund_cancelled_event(open_session: SessionOpener, *, event_id: uuid.UUID) -> int:
    """Cancel each confirmed booking and refund in full what is left of every booking's
    payment, one booking per transaction; safe to run again (what is done is skipped).
    Returns how many bookings it settled."""
    done = 0
    after: uuid.UUID | None = None
    while True:
        with open_session() as session:
            ids = booking_crud.owed_on_cancelled_event(
                session, event_id=event_id, after=after, limit=50
            )
        if not ids:
            return done
        for booking_id in ids:
            with open_session() as session:
                done += _cancel_for_event(session, booking_id=booking_id)
        after = ids[-1]
