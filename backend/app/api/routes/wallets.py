"""Routes: a group's wallet.

Members read the balance, the ledger and the spends, and top it up (a gateway
payment: the credit appears when it is captured). Spending happens where money is
spent (an order, a bill share, a booking with `wallet_group_id`). The admin approves
or declines spends waiting for approval. Former members and anyone else: 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.checkout import checkout_of
from app.api.deps import CurrentUser, GroupOfAdmin, GroupOfMember, SessionDep, commit
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
from app.core.config import settings
from app.core.errors import (
    NotFound,
    NotGroupAdminForSpend,
    PaymentUnavailable,
    WalletClosed,
    WalletFull,
    WalletSpendDecided,
    raises,
)
from app.crud import wallet as wallet_crud
from app.crud.common import paginate
from app.models.group import WalletSpendStatus
from app.schema.common import Page, PageParams, page_params
from app.schema.wallet import (
    TopUpCreate,
    TopUpCreated,
    WalletEntryRead,
    WalletRead,
    WalletSpendRead,
)
from app.services import wallets as wallets_service

router = APIRouter(
    prefix="/groups/{group_id}/wallet", tags=["wallets"], route_class=IdempotentRoute
)

PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=WalletRead)
@raises(NotFound)
def read_wallet(group: GroupOfMember, user: CurrentUser, session: SessionDep) -> WalletRead:
    """The wallet's balance (the sum of its ledger), the admin's rules, and what the
    caller spent in the current day or night."""
    seen = wallets_service.view(session, group=group, member=user)
    return WalletRead(
        group_id=group.id,
        currency=seen.wallet.currency,
        balance_minor=seen.balance_minor,
        held_minor=seen.held_minor,
        waiting_spends=seen.waiting,
        max_balance_minor=settings.WALLET_MAX_BALANCE_MINOR,
        max_top_up_minor=settings.WALLET_MAX_TOP_UP_MINOR,
        cap_minor=group.cap_minor,
        cap_period=group.cap_period,
        approval_above_minor=group.approval_above_minor,
        my_spent_minor=seen.my_spent_minor,
        my_cap_left_minor=seen.my_cap_left_minor,
    )


@router.get("/entries", response_model=Page[WalletEntryRead])
@raises(NotFound)
def list_wallet_entries(
    group: GroupOfMember, session: SessionDep, page: PageDep
) -> Page[WalletEntryRead]:
    """The ledger, newest first: every credit and debit, by whom, for what, and the
    balance after it."""
    return wallets_service.ledger_page(session, group=group, page=page)


@router.post(
    "/top-ups",
    response_model=TopUpCreated,
    status_code=status.HTTP_201_CREATED,
)
@raises(NotFound, WalletClosed, WalletFull, PaymentUnavailable)
def top_up_wallet(
    data: TopUpCreate,
    group: GroupOfMember,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    _key: IdempotencyKeyDep,
) -> TopUpCreated:
    """Top the wallet up: the answer says how to pay; the credit appears when the gateway
    captures the payment. At most `WALLET_MAX_TOP_UP_MINOR` at once and
    `WALLET_MAX_BALANCE_MINOR` in the wallet (a capture that no longer fits is refunded).
    A retry with the same `Idempotency-Key` replays the first answer."""
    made = wallets_service.start_top_up(session, group=group, member=user, amount=data.amount_minor)
    commit(session)
    set_location(response, f"/payments/{made.payment.id}")
    checkout = checkout_of(made.payment, made.order)
    assert checkout is not None
    return TopUpCreated(
        payment_id=made.payment.id,
        amount_minor=made.payment.amount_minor,
        currency=made.payment.currency,
        checkout=checkout,
    )


@router.get("/spends", response_model=Page[WalletSpendRead])
@raises(NotFound)
def list_wallet_spends(
    group: GroupOfMember,
    session: SessionDep,
    page: PageDep,
    spend_status: Annotated[WalletSpendStatus | None, Query(alias="status")] = None,
) -> Page[WalletSpendRead]:
    """The wallet's spends, newest first (`status=waiting`: those the admin must decide)."""
    return paginate(
        session,
        wallet_crud.spends_query(group_id=group.id, status=spend_status),
        page=page,
        item=lambda row: WalletSpendRead.model_validate(row[0]),
    )


def _decide(
    group: GroupOfAdmin, spend_id: uuid.UUID, user: CurrentUser, session: SessionDep, approve: bool
) -> WalletSpendRead:
    spend = wallets_service.decide(
        session, group=group, spend_id=spend_id, approve=approve, by=user
    )
    commit(session)
    return WalletSpendRead.model_validate(spend)


@router.post("/spends/{spend_id}/approve", response_model=WalletSpendRead)
@raises(NotFound, NotGroupAdminForSpend, WalletSpendDecided)
def approve_wallet_spend(
    group: GroupOfAdmin,
    spend_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    _key: IdempotencyKeyDep,
) -> WalletSpendRead:
    """Approve a spend waiting for the admin: the held amount is spent, and what it pays
    for is paid (an order placed, a share paid, a booking confirmed)."""
    return _decide(group, spend_id, user, session, approve=True)


@router.post("/spends/{spend_id}/decline", response_model=WalletSpendRead)
@raises(NotFound, NotGroupAdminForSpend, WalletSpendDecided)
def decline_wallet_spend(
    group: GroupOfAdmin,
    spend_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    _key: IdempotencyKeyDep,
) -> WalletSpendRead:
    """Decline a waiting spend: the held amount goes back to the wallet and what it was
    for is not paid (an order abandoned, a share failed, a booking's places released)."""
    return _decide(group, spend_id, user, session, approve=False)
