"""Routes: bookings.

A signed-in consumer books passes of an event (places held while they pay), lists
and reads their own bookings (anyone else's is a 404) and cancels one before the
event's cutoff. The venue's staff list an event's bookings with guest names;
managers refund a booking in full or in part.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.checkout import checkout_of
from app.api.deps import (
    CurrentUser,
    ManagedEvent,
    OwnBooking,
    SessionDep,
    StaffedEvent,
    commit,
)
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
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
    PaymentUnavailable,
    RefundExceedsPaid,
    SaleClosed,
    SaleNotOpen,
    SoldOut,
    TooManyHolds,
    UnderAge,
    UnknownOffering,
    VenueNotVerified,
    WalletBalanceTooLow,
    WalletCapReached,
    WalletClosed,
    WalletCurrencyMismatch,
    WalletSpendNotAllowed,
    raises,
)
from app.crud import booking as booking_crud
from app.models.booking import BookingStatus
from app.schema.booking import (
    BookingCreate,
    BookingCreated,
    BookingRead,
    RefundCreate,
    RefundRead,
    StaffBookingRead,
)
from app.schema.common import Page, PageParams, page_params
from app.services import bookings as bookings_service

router = APIRouter(tags=["bookings"], route_class=IdempotentRoute)

PageDep = Annotated[PageParams, Depends(page_params)]
EVENT_BOOKINGS = "/venues/{venue_id}/events/{event_id}/bookings"


@router.post(
    "/events/{event_id}/bookings",
    response_model=BookingCreated,
    status_code=status.HTTP_201_CREATED,
)
@raises(
    NotFound,
    EventNotBookable,
    VenueNotVerified,
    UnknownOffering,
    DuplicateOffering,
    OfferingNotOnSale,
    SaleNotOpen,
    SaleClosed,
    OverBookingLimit,
    MixedCurrencies,
    DateOfBirthRequired,
    UnderAge,
    SoldOut,
    TooManyHolds,
    PaymentUnavailable,
    WalletClosed,
    WalletBalanceTooLow,
    WalletSpendNotAllowed,
    WalletCapReached,
    WalletCurrencyMismatch,
)
def create_booking(
    event_id: uuid.UUID,
    data: BookingCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    _key: IdempotencyKeyDep,
) -> BookingCreated:
    """Hold places for these passes for `BOOKING_HOLD_MINUTES` and make the payment;
    the answer says how to pay. Capture confirms the booking and issues its tickets."""
    made = bookings_service.create_booking(
        session,
        event_id=event_id,
        consumer=user,
        items=data.items,
        wallet_group_id=data.wallet_group_id,
    )
    commit(session)
    set_location(response, f"/bookings/{made.booking.id}")
    booking = booking_crud.read_new(
        made.booking, items=made.items, payment=made.payment, tickets=made.tickets
    )
    return BookingCreated(booking=booking, checkout=checkout_of(made.payment, made.order))


@router.get("/bookings", response_model=Page[BookingRead])
def list_my_bookings(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[BookingRead]:
    """The caller's own bookings, newest first."""
    return booking_crud.list_for_consumer(session, consumer=user, page=page)


@router.get("/bookings/{booking_id}", response_model=BookingRead)
@raises(NotFound)
def read_my_booking(booking: OwnBooking, session: SessionDep) -> BookingRead:
    return booking_crud.read(session, booking=booking)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingRead)
@raises(NotFound, BookingNotCancellable, CancelCutoffPassed)
def cancel_my_booking(
    booking: OwnBooking, session: SessionDep, _key: IdempotencyKeyDep
) -> BookingRead:
    """Cancel a confirmed booking before the event's cutoff: its tickets stop working
    and the event's refund policy gives back its share of what was paid."""
    bookings_service.cancel_booking(session, booking=booking)
    commit(session)
    return booking_crud.read(session, booking=booking)


@router.get(EVENT_BOOKINGS, response_model=Page[StaffBookingRead])
def list_event_bookings(
    event: StaffedEvent,
    session: SessionDep,
    page: PageDep,
    booking_status: Annotated[BookingStatus | None, Query(alias="status")] = None,
) -> Page[StaffBookingRead]:
    """The event's bookings with who booked, newest first (staff of the venue)."""
    return booking_crud.list_for_event(session, event_id=event.id, status=booking_status, page=page)


@router.post(
    EVENT_BOOKINGS + "/{booking_id}/refund",
    response_model=RefundRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(NotFound, BookingNotPaid, RefundExceedsPaid)
def refund_booking(
    booking_id: uuid.UUID,
    event: ManagedEvent,
    data: RefundCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    _key: IdempotencyKeyDep,
) -> RefundRead:
    """Refund `amount_minor` of what was paid (or all that is left; then the booking
    is cancelled). The gateway is asked by a job; the refund starts `pending`."""
    booking = booking_crud.get_for_event(session, booking_id=booking_id, event_id=event.id)
    refund = bookings_service.refund_booking(
        session, booking=booking, amount=data.amount_minor, manager=user
    )
    commit(session)
    set_location(response, f"/bookings/{booking.id}")
    return RefundRead.model_validate(refund)
