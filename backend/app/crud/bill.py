"""Bills of pay-at-the-end table sessions and their shares: queries and row locks.

Locks, always in this order: a payment (`app.services.payments.lock`), then the
bill, then its table session. Issuing a bill locks the session first, but only to
read and insert (no existing bill is locked there).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.crud import table_session as session_crud
from app.models import User
from app.models.order import (
    VOID_ORDER_STATUSES,
    Bill,
    BillShare,
    BillShareStatus,
    BillStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from app.models.payment import WALLET_PROVIDER, Payment, PaymentStatus
from app.schema.bill import (
    BillLineRead,
    BillRead,
    BillShareRead,
    TaxLineRead,
    TenderKind,
    TenderRead,
)

#: Orders of a pay-at-the-end session that count towards its bill: placed to completed
#: (never the void ones, nor one still awaiting a payment).
BILLED_ORDER_STATUSES = frozenset(
    s for s in OrderStatus if s not in VOID_ORDER_STATUSES and s is not OrderStatus.AWAITING_PAYMENT
)


# --- bills --------------------------------------------------------------------------------


def live_for_session(session: Session, *, session_id: uuid.UUID) -> Bill | None:
    """The session's bill that is not void (at most one: `uq_bill_session_id_live`)."""
    return session.exec(
        select(Bill).where(Bill.session_id == session_id, Bill.status != BillStatus.VOID)
    ).first()


def get_for_member(session: Session, *, bill_id: uuid.UUID, user: User) -> Bill:
    """A session bill whose session the caller joined (anything else: 404)."""
    bill = session.get(Bill, bill_id)
    if (
        bill is None
        or bill.session_id is None
        or session_crud.membership(session, session_id=bill.session_id, user_id=user.id) is None
    ):
        raise NotFound("bill")
    return bill


def lock(session: Session, *, bill_id: uuid.UUID) -> Bill:
    """The bill, re-read under its row lock (held until the transaction ends)."""
    bill = session.exec(
        select(Bill)
        .where(Bill.id == bill_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if bill is None:
        raise NotFound("bill")
    return bill


def billable_lines(session: Session, *, session_id: uuid.UUID) -> list[OrderLine]:
    """The lines of the session's orders that count, in order of placing."""
    return list(
        session.exec(
            select(OrderLine)
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(
                Order.session_id == session_id,
                col(Order.status).in_([s.value for s in BILLED_ORDER_STATUSES]),
            )
            .order_by(
                col(Order.placed_at).nulls_last(),
                col(Order.created_at),
                col(Order.id),
                col(OrderLine.position),
                col(OrderLine.id),
            )
        )
    )


# --- shares -------------------------------------------------------------------------------


def shares_of(session: Session, *, bill_id: uuid.UUID) -> list[BillShare]:
    return list(
        session.exec(
            select(BillShare)
            .where(BillShare.bill_id == bill_id)
            .order_by(col(BillShare.created_at), col(BillShare.id))
            .execution_options(populate_existing=True)  # fresh under the bill's lock
        )
    )


def counts(share: BillShare, *, now: datetime) -> bool:
    """Whether a share counts towards its bill: paid, or pending and not expired."""
    return share.status is BillShareStatus.PAID or (
        share.status is BillShareStatus.PENDING and share.expires_at > now
    )


def get_share(session: Session, *, share_id: uuid.UUID) -> BillShare:
    share = session.exec(
        select(BillShare).where(BillShare.id == share_id).execution_options(populate_existing=True)
    ).first()
    if share is None:
        raise NotFound("bill share")
    return share


def payment_of_share(session: Session, *, share_id: uuid.UUID) -> Payment | None:
    return session.exec(select(Payment).where(Payment.bill_share_id == share_id)).first()


def expire_shares(session: Session, *, now: datetime) -> list[tuple[uuid.UUID, int]]:
    """Pending shares past their time become expired (they already no longer count):
    their ids and the cover credit each took. An atomic conditional update: a share
    being paid at this moment is re-checked after its payer's transaction and left alone."""
    rows = session.execute(
        sa.update(BillShare)
        .where(
            col(BillShare.status) == BillShareStatus.PENDING.value,
            col(BillShare.expires_at) <= now,
        )
        .values(status=BillShareStatus.EXPIRED.value, updated_at=now)
        .returning(col(BillShare.id), col(BillShare.credit_minor))
    ).all()
    return [(share_id, int(credit)) for share_id, credit in rows]


# --- what members and staff see -----------------------------------------------------------


def read(session: Session, *, bill: Bill, now: datetime) -> BillRead:
    """The bill with its lines, its shares, and what is paid, pending and left."""
    assert bill.session_id is not None
    shares = shares_of(session, bill_id=bill.id)
    lines = billable_lines(session, session_id=bill.session_id)
    paying: dict[uuid.UUID, uuid.UUID] = {
        line_id: s.id for s in shares if counts(s, now=now) for line_id in s.line_ids
    }
    pending = sum(
        s.amount_minor for s in shares if s.status is BillShareStatus.PENDING and counts(s, now=now)
    )
    left = (
        max(bill.total_minor - bill.paid_minor - pending, 0)
        if bill.status is BillStatus.OPEN
        else 0
    )
    return BillRead(
        id=bill.id,
        venue_id=bill.venue_id,
        session_id=bill.session_id,
        status=bill.status,
        invoice_number=bill.invoice_number,
        financial_year=bill.financial_year,
        currency=bill.currency,
        subtotal_minor=bill.subtotal_minor,
        tax_minor=bill.tax_minor,
        taxes=[TaxLineRead.model_validate(t) for t in bill.taxes],
        packaging_minor=bill.packaging_minor,
        service_charge_minor=bill.service_charge_minor,
        service_charge_removed=bill.service_charge_removed,
        rounding_minor=bill.rounding_minor,
        total_minor=bill.total_minor,
        paid_minor=bill.paid_minor,
        pending_minor=pending,
        left_minor=left,
        issued_at=bill.issued_at,
        paid_at=bill.paid_at,
        lines=[
            BillLineRead(
                id=line.id,
                order_id=line.order_id,
                name=line.name,
                variant_name=line.variant_name,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                amount_minor=line.amount_minor,
                tax_minor=line.tax_minor,
                share_id=paying.get(line.id),
            )
            for line in lines
        ],
        shares=[BillShareRead.model_validate(s) for s in shares],
        tenders=tenders_of(session, shares=shares),
    )


def tenders_of(session: Session, *, shares: Sequence[BillShare]) -> list[TenderRead]:
    """What paid the paid shares, by kind of tender (kinds that paid nothing left out)."""
    paid = [s for s in shares if s.status is BillShareStatus.PAID]
    by_kind = dict.fromkeys(TenderKind, 0)
    by_kind[TenderKind.COVER_CREDIT] = sum(s.credit_minor for s in paid)
    if paid:
        rows = session.exec(
            select(Payment.provider, Payment.amount_minor).where(
                col(Payment.bill_share_id).in_([s.id for s in paid]),
                Payment.status == PaymentStatus.CAPTURED,
            )
        ).all()
        for provider, amount in rows:
            kind = TenderKind.WALLET if provider == WALLET_PROVIDER else TenderKind.GATEWAY
            by_kind[kind] += int(amount)
    return [TenderRead(kind=k, amount_minor=v) for k, v in by_kind.items() if v]
