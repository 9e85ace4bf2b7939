"""Split the bill: the bill of a pay-at-the-end table session, and its shares.

Issuing (`issue_bill`): under the table session's row lock (which order placing
takes too), the session's one live bill is returned if it has one; otherwise its
non-void order lines are summed with each line's stored amount and tax
(`app.services.pricing.totals(..., priced=...)`, the venue's service charge and
`prices_include_tax`), and the bill gets the venue's next invoice number.

The consumer may remove the service charge (it is never compulsory) while no share
is paid or being paid (`remove_service_charge`).

Shares (`create_share`): any member pays all that is left (`full`), one of n equal
shares (`equal`), some lines (`items`) or an amount (`custom`). A first look without
locks gives the amount; the gateway order is made for it (holding no lock); then,
under the bill's row lock, the amount is worked out again against what is paid and
what pending shares (not expired) hold: shares that count never add up to more than
the bill. If the amount changed meanwhile (another share reached the end first) the
request is refused with `bill_changed` (and the unused gateway order costs nothing).

The arithmetic (pure: `equal_share`, `items_share`):
- equal: floor(total / n), except the share that reaches the end: when what would
  be left after it is no more than the remainder of that division (or the share is
  more than is left), it pays exactly what is left;
- items: the lines' amounts, plus their tax when prices exclude it, plus the service
  charge in proportion to the lines' value before tax (rounded half up to the paisa);
  the items share that picks the last unpaid lines pays exactly what is left;
- custom: 1 to what is left; full: what is left.

The payment service tells a share what became of its payment: on capture the share
is paid and the bill's `paid_minor` rises under the bill's lock; the bill fully paid
closes the session (`settled`). A capture that no longer fits (the share expired and
others paid the rest, or another share took its lines) is refunded in full
(`overpaid`). A failure marks the share failed: the bill stays open for others.

Locks: payment, then bill, then table session.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.core.config import settings
from app.core.errors import (
    BillChanged,
    BillNotOpen,
    BillPaid,
    BillPartlyPaid,
    BillSharePending,
    EmptyShare,
    LineAlreadyPaid,
    NothingToBill,
    SessionNotPayAtEnd,
    ShareExceedsBill,
    SharePendingForPayer,
    TableSessionClosed,
    UnknownBillLine,
)
from app.crud import bill as bill_crud
from app.crud import live as live_crud
from app.crud import order as order_crud
from app.crud import table_session as session_crud
from app.models import User, Venue
from app.models.group import WalletSpend
from app.models.order import (
    Bill,
    BillShare,
    BillShareMethod,
    BillShareStatus,
    BillStatus,
    LiveEventKind,
    OrderLine,
    TableSession,
    TableSessionStatus,
)
from app.models.payment import Payment, PaymentPurpose, RefundReason
from app.models.venue import PaymentMode
from app.providers.payments.base import GatewayOrder
from app.schema.bill import BillShareCreate
from app.services import cover_credit, invoices, payments, pricing, table_sessions, wallets


def _now() -> datetime:
    return datetime.now(UTC)


# --- the arithmetic -----------------------------------------------------------------------


def equal_share(*, total: int, parts: int, left: int) -> int:
    """One of `parts` equal shares of `total`, when `left` is still to pay: floor(total /
    parts), or exactly `left` for the share that reaches the end (what it would leave is
    no more than the division's remainder, or it is more than is left)."""
    if parts < 1 or total < 0 or left < 0:
        raise ValueError("parts >= 1, and amounts are not negative")
    share, remainder = divmod(total, parts)
    if left - share <= remainder:
        return left
    return share


def items_share(
    *,
    lines: Sequence[tuple[int, int]],
    prices_include_tax: bool,
    service_charge_minor: int,
    bill_net_minor: int,
) -> int:
    """What some lines (each `(amount_minor, tax_minor)`) cost on a bill: their amounts,
    their tax when prices exclude it, and the service charge in proportion to their
    value before tax (half up to the paisa)."""
    amount = sum(a for a, _ in lines)
    tax = sum(t for _, t in lines)
    net = amount - tax if prices_include_tax else amount
    service = (
        pricing.div_half_up(service_charge_minor * net, bill_net_minor)
        if service_charge_minor and bill_net_minor > 0
        else 0
    )
    return amount + (0 if prices_include_tax else tax) + service


def prices_include_tax(bill: Bill) -> bool:
    """Whether the bill's prices include tax, from its own amounts: when they do, the
    total is subtotal + service charge + packaging + rounding (tax inside the subtotal).
    With no tax both readings are the same."""
    return (
        bill.subtotal_minor + bill.service_charge_minor + bill.packaging_minor + bill.rounding_minor
        == bill.total_minor
    )


def _bill_net(bill: Bill) -> int:
    return bill.subtotal_minor - bill.tax_minor if prices_include_tax(bill) else bill.subtotal_minor


def _totals(
    lines: Sequence[OrderLine], *, prices_include_tax: bool, service_charge_bps: int
) -> pricing.Totals:
    return pricing.totals(
        [
            pricing.LineInput(
                unit_price_minor=line.unit_price_minor,
                quantity=line.quantity,
                tax_class_id=line.tax_class_id,
                tax_name=line.tax_name,
                tax_rate_bps=line.tax_rate_bps,
            )
            for line in lines
        ],
        prices_include_tax=prices_include_tax,
        service_charge_bps=service_charge_bps,
        priced=[
            pricing.PricedLine(amount_minor=line.amount_minor, tax_minor=line.tax_minor)
            for line in lines
        ],
    )


# --- issuing ------------------------------------------------------------------------------


def _bill_event(session: Session, *, bill: Bill, change: str, **data: object) -> None:
    live_crud.record(
        session,
        kind=LiveEventKind.BILL,
        venue_id=bill.venue_id,
        session_id=bill.session_id,
        data={
            "event": change,
            "bill_id": str(bill.id),
            "status": bill.status.value,
            "total_minor": bill.total_minor,
            "paid_minor": bill.paid_minor,
            **data,
        },
    )


def issue_bill(session: Session, *, table_session: TableSession) -> tuple[Bill, bool]:
    """The session's bill: the live one if it has one (False), or a new one (True)."""
    locked = session_crud.lock(session, session_id=table_session.id)
    existing = bill_crud.live_for_session(session, session_id=locked.id)
    if existing is not None:
        return existing, False
    if locked.payment_mode is not PaymentMode.AT_END:
        raise SessionNotPayAtEnd()
    if locked.status is not TableSessionStatus.OPEN:
        raise TableSessionClosed()
    lines = bill_crud.billable_lines(session, session_id=locked.id)
    venue = session.get(Venue, locked.venue_id)
    assert venue is not None
    include = order_crud.session_tax_mode(session, session_id=locked.id)
    totals = _totals(
        lines,
        prices_include_tax=venue.prices_include_tax if include is None else include,
        service_charge_bps=venue.service_charge_bps,
    )
    if totals.total_minor <= 0:
        raise NothingToBill()
    now = _now()
    number = invoices.next_number(session, venue_id=venue.id, at=now)
    bill = Bill(
        venue_id=venue.id,
        session_id=locked.id,
        financial_year=number.financial_year,
        invoice_seq=number.seq,
        invoice_number=number.number,
        currency=venue.currency,
        subtotal_minor=totals.subtotal_minor,
        tax_minor=totals.tax_minor,
        packaging_minor=totals.packaging_minor,
        service_charge_minor=totals.service_charge_minor,
        rounding_minor=totals.rounding_minor,
        total_minor=totals.total_minor,
        taxes=[t.as_json() for t in totals.taxes],
        issued_at=now,
    )
    session.add(bill)
    session.flush()
    _bill_event(session, bill=bill, change="issued", invoice_number=bill.invoice_number)
    return bill, True


def remove_service_charge(session: Session, *, bill: Bill) -> Bill:
    """Take the service charge off the bill (the consumer's right), while no share of
    it is paid or being paid. Removing it again changes nothing."""
    bill = bill_crud.lock(session, bill_id=bill.id)
    _require_open(bill)
    if bill.service_charge_removed:
        return bill
    now = _now()
    shares = bill_crud.shares_of(session, bill_id=bill.id)
    if bill.paid_minor > 0 or any(s.status is BillShareStatus.PAID for s in shares):
        raise BillPartlyPaid()
    if any(bill_crud.counts(s, now=now) for s in shares):
        raise BillSharePending()
    raw = bill.total_minor - bill.rounding_minor - bill.service_charge_minor
    total = pricing.round_total(raw)
    bill.service_charge_minor = 0
    bill.service_charge_removed = True
    bill.rounding_minor = total - raw
    bill.total_minor = total
    session.add(bill)
    session.flush()
    _bill_event(session, bill=bill, change="service_charge_removed")
    return bill


# --- shares -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareCheckout:
    share: BillShare
    bill: Bill
    payment: Payment | None  # None: cover credit paid it all
    order: GatewayOrder | None  # None: not paid at a gateway
    wallet_spend: WalletSpend | None = None


def _require_open(bill: Bill) -> None:
    if bill.status is BillStatus.PAID:
        raise BillPaid()
    if bill.status is not BillStatus.OPEN:
        raise BillNotOpen()


def _exceeds(left: int) -> ShareExceedsBill:
    return ShareExceedsBill({"message": ShareExceedsBill.message, "left_minor": max(left, 0)})


def _items_amount(
    session: Session, *, bill: Bill, line_ids: list[uuid.UUID], counting: list[BillShare], left: int
) -> int:
    assert bill.session_id is not None
    lines = {
        line.id: line for line in bill_crud.billable_lines(session, session_id=bill.session_id)
    }
    for index, line_id in enumerate(line_ids):
        if line_id not in lines:
            raise UnknownBillLine(loc=("body", "line_ids", index))
    claimed = {line_id for s in counting for line_id in s.line_ids}
    taken = [line_id for line_id in line_ids if line_id in claimed]
    if taken:
        raise LineAlreadyPaid(
            {"message": LineAlreadyPaid.message, "line_ids": [str(i) for i in taken]}
        )
    amount = items_share(
        lines=[(lines[i].amount_minor, lines[i].tax_minor) for i in line_ids],
        prices_include_tax=prices_include_tax(bill),
        service_charge_minor=bill.service_charge_minor,
        bill_net_minor=_bill_net(bill),
    )
    if not set(lines) - claimed - set(line_ids):
        return left  # the last lines: exactly what is left (rounding included)
    if amount <= 0:
        raise EmptyShare()
    if amount > left:
        raise _exceeds(left)
    return amount


def share_amount(session: Session, *, bill: Bill, data: BillShareCreate, now: datetime) -> int:
    """What a share asked for costs now (refusing it when it cannot be paid). Decides
    only when the bill is locked."""
    _require_open(bill)
    counting = [
        s for s in bill_crud.shares_of(session, bill_id=bill.id) if bill_crud.counts(s, now=now)
    ]
    left = bill.total_minor - sum(s.amount_minor for s in counting)
    if left <= 0:
        raise _exceeds(0)
    if data.method is BillShareMethod.FULL:
        return left
    if data.method is BillShareMethod.EQUAL:
        assert data.parts is not None
        return equal_share(total=bill.total_minor, parts=data.parts, left=left)
    if data.method is BillShareMethod.CUSTOM:
        assert data.amount_minor is not None
        if data.amount_minor > left:
            raise _exceeds(left)
        return data.amount_minor
    assert data.line_ids is not None
    return _items_amount(session, bill=bill, line_ids=data.line_ids, counting=counting, left=left)


def _refuse_second_pending(session: Session, *, bill: Bill, payer: User, now: datetime) -> None:
    pending = [
        share
        for share in bill_crud.shares_of(session, bill_id=bill.id)
        if share.payer_id == payer.id
        and share.status is BillShareStatus.PENDING
        and bill_crud.counts(share, now=now)
    ]
    if pending:
        raise SharePendingForPayer(
            {
                "message": SharePendingForPayer.message,
                "share_id": str(pending[0].id),
                "expires_at": pending[0].expires_at.isoformat(),
            }
        )


def create_share(
    session: Session, *, bill: Bill, payer: User, data: BillShareCreate
) -> ShareCheckout:
    """A pending share of the bill and its payment (see the module's doc). A payer has
    one pending share at a time, and must have joined the table recently. Cover credit
    the payer has at the venue pays first (unless `use_cover_credit` is false); the rest
    is paid at the gateway or from a group's wallet (`wallet_group_id`)."""
    assert bill.session_id is not None
    table_sessions.require_recent_member(session, table_session_id=bill.session_id, user=payer)
    _refuse_second_pending(session, bill=bill, payer=payer, now=_now())
    amount = share_amount(session, bill=bill, data=data, now=_now())  # a first look
    credit = 0
    if data.use_cover_credit:
        credit = cover_credit.plan(
            session,
            holder_id=payer.id,
            venue_id=bill.venue_id,
            currency=bill.currency,
            amount=amount,
            at=_now(),
        )
    to_pay = amount - credit
    by_wallet = to_pay > 0 and data.wallet_group_id is not None
    share_id, payment_id = uuid.uuid4(), uuid.uuid4()
    # The gateway first, holding no lock.
    provider = payments.current_provider() if to_pay > 0 and not by_wallet else None
    order = (
        payments.open_order(
            provider,
            payment_id=payment_id,
            amount=to_pay,
            currency=bill.currency,
            notes={"bill": str(bill.id), "bill_share": str(share_id)},
        )
        if provider is not None
        else None
    )
    # The wallet's lock before the bill's (`app.services.wallets`).
    spender = (
        wallets.open_for_spend(session, group_id=data.wallet_group_id, member=payer)
        if by_wallet and data.wallet_group_id is not None
        else None
    )
    bill = bill_crud.lock(session, bill_id=bill.id)
    now = _now()
    _refuse_second_pending(session, bill=bill, payer=payer, now=now)
    if share_amount(session, bill=bill, data=data, now=now) != amount:
        raise BillChanged()
    share = BillShare(
        id=share_id,
        bill_id=bill.id,
        payer_id=payer.id,
        method=data.method,
        amount_minor=amount,
        credit_minor=credit,
        line_ids=list(data.line_ids or []),
        expires_at=now + timedelta(minutes=settings.BILL_SHARE_HOLD_MINUTES),
    )
    session.add(share)
    session.flush()
    if credit:
        cover_credit.spend_planned(
            session,
            holder_id=payer.id,
            venue_id=bill.venue_id,
            currency=bill.currency,
            amount=credit,
            bill_share_id=share.id,
            at=now,
        )
    _bill_event(
        session,
        bill=bill,
        change="share_pending",
        share_id=str(share.id),
        amount_minor=share.amount_minor,
    )
    payment: Payment | None = None
    spend: WalletSpend | None = None
    if provider is not None and order is not None:
        payment = payments.record_payment(
            session,
            payment_id=payment_id,
            purpose=PaymentPurpose.BILL_SHARE,
            payer=payer,
            provider=provider,
            order=order,
            bill_share_id=share.id,
        )
    elif spender is not None:  # spent at once (which pays the share) or held for the admin
        payment, spend = wallets.pay(
            session,
            spender=spender,
            amount=to_pay,
            currency=bill.currency,
            purpose=PaymentPurpose.BILL_SHARE,
            bill_share_id=share.id,
            pays_until=share.expires_at,
        )
    else:  # cover credit paid all of it
        _mark_paid(session, bill=bill, share=share, now=now)
    return ShareCheckout(share=share, bill=bill, payment=payment, order=order, wallet_spend=spend)


# --- what the payment says ----------------------------------------------------------------


def _locked_share(session: Session, *, payment: Payment) -> tuple[Bill, BillShare]:
    """The share's bill under its row lock, and the share read after it."""
    assert payment.bill_share_id is not None
    share = bill_crud.get_share(session, share_id=payment.bill_share_id)
    bill = bill_crud.lock(session, bill_id=share.bill_id)
    return bill, bill_crud.get_share(session, share_id=share.id)


def _still_fits(session: Session, *, bill: Bill, share: BillShare, now: datetime) -> bool:
    """Under the bill's lock: does the share fit in what the other shares leave?"""
    if bill.status is not BillStatus.OPEN:
        return False
    others = [
        s
        for s in bill_crud.shares_of(session, bill_id=bill.id)
        if s.id != share.id and bill_crud.counts(s, now=now)
    ]
    if share.amount_minor > bill.total_minor - sum(s.amount_minor for s in others):
        return False
    claimed = {line_id for s in others for line_id in s.line_ids}
    return not claimed.intersection(share.line_ids)


def on_payment_captured(session: Session, *, payment: Payment) -> None:
    """A share's payment (locked) was captured: the share is paid, or refunded in full
    when it no longer fits the bill."""
    bill, share = _locked_share(session, payment=payment)
    if share.status is BillShareStatus.PAID:
        return
    now = _now()
    if not _still_fits(session, bill=bill, share=share, now=now):
        if share.status is BillShareStatus.PENDING:
            share.status = BillShareStatus.EXPIRED
            session.add(share)
            session.flush()
        payments.request_refund(session, payment=payment, amount=None, reason=RefundReason.OVERPAID)
        if share.credit_minor:
            cover_credit.give_back(session, bill_share_id=share.id)
        return
    _mark_paid(session, bill=bill, share=share, now=now)


def _mark_paid(session: Session, *, bill: Bill, share: BillShare, now: datetime) -> None:
    """The share (its bill locked) is paid: the bill counts it, and a bill fully paid
    settles the table's session."""
    share.status = BillShareStatus.PAID
    share.paid_at = now
    bill.paid_minor += share.amount_minor
    session.add(share)
    if bill.paid_minor == bill.total_minor:
        bill.status = BillStatus.PAID
        bill.paid_at = now
    session.add(bill)
    session.flush()
    _bill_event(
        session,
        bill=bill,
        change="share_paid",
        share_id=str(share.id),
        amount_minor=share.amount_minor,
    )
    if bill.status is BillStatus.PAID:
        assert bill.session_id is not None
        table_sessions.settle(session, table_session_id=bill.session_id)


def on_payment_failed(session: Session, *, payment: Payment) -> None:
    """A share's payment (locked) failed: the share stops counting; the bill stays open."""
    bill, share = _locked_share(session, payment=payment)
    if share.status is not BillShareStatus.PENDING:
        return
    share.status = BillShareStatus.FAILED
    session.add(share)
    session.flush()
    if share.credit_minor:
        cover_credit.give_back(session, bill_share_id=share.id)
    _bill_event(session, bill=bill, change="share_failed", share_id=str(share.id))


def expire_shares(session: Session) -> int:
    """Pending shares past their time become expired (the `expire_bill_shares` job);
    the cover credit they took goes back."""
    expired = bill_crud.expire_shares(session, now=_now())
    for share_id, credit in expired:
        if credit:
            cover_credit.give_back(session, bill_share_id=share_id)
    return len(expired)
