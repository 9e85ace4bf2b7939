"""Routes: split the bill of a pay-at-the-end table session.

Members of the session (whoever scanned the table's code and joined it) ask for the
bill, read it, take the service charge off it, and pay shares of it (all that is
left, an equal share, some items, or an amount). The venue's staff issue and read a
session's bill too. Anyone else gets 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response, status

from app.api.checkout import checkout_of
from app.api.deps import (
    CurrentUser,
    MemberBill,
    MemberTableSession,
    SessionDep,
    StaffedTableSession,
    commit,
)
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
from app.core.errors import (
    BillChanged,
    BillNotOpen,
    BillPaid,
    BillPartlyPaid,
    BillSharePending,
    CoverCreditChanged,
    EmptyShare,
    LineAlreadyPaid,
    NotFound,
    NothingToBill,
    PaymentUnavailable,
    SessionJoinExpired,
    SessionNotPayAtEnd,
    ShareExceedsBill,
    SharePendingForPayer,
    TableSessionClosed,
    UnknownBillLine,
    WalletBalanceTooLow,
    WalletCapReached,
    WalletClosed,
    WalletCurrencyMismatch,
    WalletSpendNotAllowed,
    raises,
)
from app.crud import bill as bill_crud
from app.models.order import TableSession
from app.schema.bill import BillRead, BillShareCreate, BillShareCreated, BillShareRead
from app.schema.wallet import WalletSpendRead
from app.services import bills as bills_service
from app.services import table_sessions as sessions_service

router = APIRouter(tags=["bills"], route_class=IdempotentRoute)

SESSION_BILL = "/table-sessions/{session_id}/bill"
STAFF_SESSION_BILL = "/venues/{venue_id}/table-sessions/{session_id}/bill"
ALREADY_ISSUED: dict[int | str, dict[str, Any]] = {
    200: {"model": BillRead, "description": "The bill issued already"}
}


def _now() -> datetime:
    return datetime.now(UTC)


def _issue(session: SessionDep, table_session: TableSession, response: Response) -> BillRead:
    bill, created = bills_service.issue_bill(session, table_session=table_session)
    commit(session)
    if not created:
        response.status_code = status.HTTP_200_OK
    set_location(response, f"/bills/{bill.id}")
    return bill_crud.read(session, bill=bill, now=_now())


def _live_bill(session: SessionDep, table_session: TableSession) -> BillRead:
    bill = bill_crud.live_for_session(session, session_id=table_session.id)
    if bill is None:
        raise NotFound("bill")
    return bill_crud.read(session, bill=bill, now=_now())


@router.post(
    SESSION_BILL,
    response_model=BillRead,
    status_code=status.HTTP_201_CREATED,
    responses=ALREADY_ISSUED,
)
@raises(NotFound, SessionNotPayAtEnd, TableSessionClosed, NothingToBill, SessionJoinExpired)
def issue_session_bill(
    table_session: MemberTableSession, user: CurrentUser, session: SessionDep, response: Response
) -> BillRead:
    """Ask for the session's bill (a member of the session who joined recently): issued
    now with its invoice number (201), or the one issued already (200). New orders wait
    for it to be paid."""
    sessions_service.require_recent_member(session, table_session_id=table_session.id, user=user)
    return _issue(session, table_session, response)


@router.get(SESSION_BILL, response_model=BillRead)
@raises(NotFound)
def read_session_bill(table_session: MemberTableSession, session: SessionDep) -> BillRead:
    """The session's bill (a member of the session); 404 until one is issued."""
    return _live_bill(session, table_session)


@router.post(
    STAFF_SESSION_BILL,
    response_model=BillRead,
    status_code=status.HTTP_201_CREATED,
    responses=ALREADY_ISSUED,
)
@raises(NotFound, SessionNotPayAtEnd, TableSessionClosed, NothingToBill)
def issue_session_bill_as_staff(
    table_session: StaffedTableSession, session: SessionDep, response: Response
) -> BillRead:
    """Issue a session's bill (staff of the venue): 201 when new, 200 when issued already."""
    return _issue(session, table_session, response)


@router.get(STAFF_SESSION_BILL, response_model=BillRead)
@raises(NotFound)
def read_session_bill_as_staff(table_session: StaffedTableSession, session: SessionDep) -> BillRead:
    """A session's bill (staff of the venue); 404 until one is issued."""
    return _live_bill(session, table_session)


@router.get("/bills/{bill_id}", response_model=BillRead)
@raises(NotFound)
def read_bill(bill: MemberBill, session: SessionDep) -> BillRead:
    """A bill of a session the caller joined, with its lines and shares."""
    return bill_crud.read(session, bill=bill, now=_now())


@router.delete("/bills/{bill_id}/service-charge", response_model=BillRead)
@raises(NotFound, BillPaid, BillNotOpen, BillPartlyPaid, BillSharePending)
def remove_service_charge(bill: MemberBill, session: SessionDep) -> BillRead:
    """Take the service charge off the bill (it is never compulsory), while no share
    is paid or being paid; the total is worked out again. Doing it twice is harmless."""
    bill = bills_service.remove_service_charge(session, bill=bill)
    commit(session)
    return bill_crud.read(session, bill=bill, now=_now())


@router.post(
    "/bills/{bill_id}/shares",
    response_model=BillShareCreated,
    status_code=status.HTTP_201_CREATED,
)
@raises(
    NotFound,
    BillPaid,
    BillNotOpen,
    ShareExceedsBill,
    LineAlreadyPaid,
    UnknownBillLine,
    EmptyShare,
    BillChanged,
    SessionJoinExpired,
    SharePendingForPayer,
    PaymentUnavailable,
    WalletClosed,
    WalletBalanceTooLow,
    WalletSpendNotAllowed,
    WalletCapReached,
    WalletCurrencyMismatch,
    CoverCreditChanged,
)
def create_bill_share(
    bill: MemberBill,
    data: BillShareCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    _key: IdempotencyKeyDep,
) -> BillShareCreated:
    """Pay a share of the bill: it counts towards the bill for `BILL_SHARE_HOLD_MINUTES`
    while the caller pays (the answer says how); capture makes it paid, and the bill
    fully paid closes the session."""
    made = bills_service.create_share(session, bill=bill, payer=user, data=data)
    commit(session)
    set_location(response, f"/bills/{made.bill.id}")
    return BillShareCreated(
        share=BillShareRead.model_validate(made.share),
        bill=bill_crud.read(session, bill=made.bill, now=_now()),
        checkout=checkout_of(made.payment, made.order),
        wallet_spend=WalletSpendRead.model_validate(made.wallet_spend)
        if made.wallet_spend is not None
        else None,
    )
