"""Routes: orders.

A signed-in consumer places an order on a table session they joined or at a pickup
point (prepaid orders answer how to pay, like bookings), lists and reads their own
orders (anyone else's is a 404) and cancels one until it is accepted. The venue's
staff see the board of its open orders, oldest first (a food court's board holds
every sub-order of the carts placed there; a QSR's, only its own), and move orders
through their statuses. Placing, cancelling and moving (which may refund) take an
`Idempotency-Key`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.checkout import checkout_of
from app.api.deps import CurrentUser, OwnOrder, SessionDep, StaffedOrder, StaffedVenue, commit
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
from app.core.errors import (
    AddOnChoices,
    AddOnSoldOut,
    BillIssued,
    CoverCreditChanged,
    InvalidOrderTransition,
    ItemSoldOut,
    MixedCurrencies,
    NotFound,
    OrderKindMismatch,
    PaymentUnavailable,
    SessionJoinExpired,
    SubOrderMovedByItsVenue,
    TableSessionClosed,
    TooFarFromVenue,
    TooManyUnpaidOrders,
    UnknownAddOn,
    UnknownItem,
    UnknownVariant,
    VariantRequired,
    VariantSoldOut,
    VenueClosedNow,
    VenueNotAcceptingOrders,
    WalletBalanceTooLow,
    WalletCapReached,
    WalletClosed,
    WalletCurrencyMismatch,
    WalletSpendNotAllowed,
    raises,
)
from app.crud import order as order_crud
from app.models.order import OrderStatus
from app.schema.common import Page, PageParams, page_params
from app.schema.order import (
    NightSales,
    OrderCancel,
    OrderCreate,
    OrderCreated,
    OrderRead,
    OrderStatusMove,
)
from app.schema.wallet import WalletSpendRead
from app.services import orders as orders_service

router = APIRouter(tags=["orders"], route_class=IdempotentRoute)

PageDep = Annotated[PageParams, Depends(page_params)]
VENUE_ORDERS = "/venues/{venue_id}/orders"


@router.post("/orders", response_model=OrderCreated, status_code=status.HTTP_201_CREATED)
@raises(
    NotFound,
    OrderKindMismatch,
    UnknownItem,
    VariantRequired,
    UnknownVariant,
    UnknownAddOn,
    AddOnChoices,
    ItemSoldOut,
    VariantSoldOut,
    AddOnSoldOut,
    TableSessionClosed,
    SessionJoinExpired,
    TooFarFromVenue,
    VenueNotAcceptingOrders,
    VenueClosedNow,
    BillIssued,
    TooManyUnpaidOrders,
    MixedCurrencies,
    PaymentUnavailable,
    WalletClosed,
    WalletBalanceTooLow,
    WalletSpendNotAllowed,
    WalletCapReached,
    WalletCurrencyMismatch,
    CoverCreditChanged,
)
def place_order(
    data: OrderCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    _key: IdempotencyKeyDep,
) -> OrderCreated:
    """Place an order. Prepaid (pickup, and sessions paid per order): it waits for its
    payment, and the answer says how to pay; capture places it and issues its bill.
    On a session paid at the end: placed at once. A retry with the same
    `Idempotency-Key` replays the first answer (no second order, no second charge)."""
    made = orders_service.place_order(session, consumer=user, data=data)
    commit(session)
    set_location(response, f"/orders/{made.order.id}")
    return OrderCreated(
        order=order_crud.read(session, order=made.order),
        checkout=checkout_of(made.payment, made.gateway_order),
        wallet_spend=WalletSpendRead.model_validate(made.wallet_spend)
        if made.wallet_spend is not None
        else None,
    )


@router.get("/orders", response_model=Page[OrderRead])
def list_my_orders(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[OrderRead]:
    """The caller's own orders, newest first (a food-court order with its parts)."""
    return order_crud.list_for_consumer(session, user=user, page=page)


@router.get("/orders/{order_id}", response_model=OrderRead)
def read_my_order(order: OwnOrder, session: SessionDep) -> OrderRead:
    """One of the caller's orders, with its lines, totals, taxes and status history."""
    return order_crud.read(session, order=order)


@router.post("/orders/{order_id}/cancel", response_model=OrderRead)
@raises(InvalidOrderTransition, BillIssued)
def cancel_my_order(
    order: OwnOrder,
    data: OrderCancel,
    user: CurrentUser,
    session: SessionDep,
    _key: IdempotencyKeyDep,
) -> OrderRead:
    """Cancel an order the venue has not accepted yet; a paid one is refunded."""
    orders_service.cancel(session, order=order, by=user, reason=data.reason)
    commit(session)
    return order_crud.read(session, order=order)


@router.get(VENUE_ORDERS, response_model=Page[OrderRead])
def order_board(
    venue: StaffedVenue,
    session: SessionDep,
    page: PageDep,
    statuses: Annotated[
        list[OrderStatus] | None,
        Query(alias="status", description="Only these statuses (default: every open one)"),
    ] = None,
) -> Page[OrderRead]:
    """The venue's board: open orders (or those of `status`), oldest first."""
    return order_crud.board(session, venue=venue, statuses=statuses, page=page)


@router.get("/venues/{venue_id}/reports/sales", response_model=Page[NightSales])
def sales_per_night(venue: StaffedVenue, session: SessionDep, page: PageDep) -> Page[NightSales]:
    """The venue's sales per night, the newest night first: orders served, picked up or
    completed, by the night they were placed (06:00 to 06:00 in the venue's time zone),
    one row per night and currency (a food court counts its QSRs' parts of the orders
    placed there). For the venue's staff and above."""
    return order_crud.sales_per_night(session, venue=venue, page=page)


@router.get(VENUE_ORDERS + "/{order_id}", response_model=OrderRead)
def read_venue_order(order: StaffedOrder, session: SessionDep) -> OrderRead:
    return order_crud.read(session, order=order)


@router.post(VENUE_ORDERS + "/{order_id}/status", response_model=OrderRead)
@raises(InvalidOrderTransition, SubOrderMovedByItsVenue, BillIssued)
def move_order(
    venue: StaffedVenue,
    order: StaffedOrder,
    data: OrderStatusMove,
    user: CurrentUser,
    session: SessionDep,
    _key: IdempotencyKeyDep,
) -> OrderRead:
    """Move the order to `to`: placed -> accepted -> preparing -> ready -> served or
    picked_up -> completed, or rejected (before ready) / cancelled (before served).
    Rejecting or cancelling a paid order refunds it (a food court's sub-order: its
    part); an impossible move is a 409 saying from and to. A food court's staff see
    its QSRs' sub-orders; each QSR's own staff move them."""
    orders_service.move_by_staff(
        session, order=order, to=data.to, by=user, reason=data.reason, venue=venue
    )
    commit(session)
    return order_crud.read(session, order=order)
