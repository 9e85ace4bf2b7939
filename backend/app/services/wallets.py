"""Group wallets: top-ups, spends within the admin's rules, approvals, refunds back into
the wallet, and closing with every paisa returned to who put it in.

The ledger is the balance
- A wallet's balance is its ledger's (`wallet_entry`): each entry carries the balance
  after it, the newest says the balance, and a CHECK refuses an entry below zero. Every
  change appends under the wallet's row lock (`wallet_crud.lock`), so parallel spends
  queue on that one row and each sees the balance the one before it left.

Top-ups (`start_top_up`) are gateway payments (purpose `wallet_top_up`): the credit
appears only when the payment is captured (`on_top_up_captured`). One that no longer
fits (`WALLET_MAX_BALANCE_MINOR`) or comes after the group closed is refunded in full.

Spends (`pay`) are payments of ours with the `wallet` provider, for an order, a bill
share or a booking, made in the same transaction as the thing they pay for:
- the member must be current and allowed to spend (`can_spend`; the admin always is),
  the currency the wallet's, the amount within the balance and within the member's cap
  for the day or night (`Group.cap_minor`, `cap_period`; the admin has none);
- above the admin's approval amount (`approval_above_minor`; never for the admin) the
  amount is held (a `hold` entry; the payment stays `created`) until the admin approves
  (`release` then `spend` entries; the payment is captured) or declines, or the spend
  expires (`WALLET_APPROVAL_MINUTES`, or sooner when what it pays for would expire first:
  the `expire_wallet_spends` job) (`release`; the payment fails);
- otherwise it is spent at once (a `spend` entry; the payment is captured), and the
  thing it pays for is told by the payment rails as for any capture.
A refund of a wallet payment (an order rejected, a booking cancelled) is sent by the
same `send_refund` job as any other, and goes back into the wallet (`refund_into`).

Closing (`close_wallet`) returns the balance to the members in proportion to what each
put in (their top-ups), as refunds of their own top-up payments through the gateway.
Each gets the whole paise of their part; the paise left by the division go one each to
the members with the largest remainders (ties: who put in more, then who topped up
first), so the returns add up to exactly the balance. A wallet with a spend waiting
cannot be closed. Money refunded into a closed wallet later is returned the same way.

Locks, always in this order: a payment (when the change starts from one), the wallet,
then what the payment is for (order, bill, booking and its pools). Flows that pay with
the wallet take its lock before the locks of what they pay for.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from app.core import timezones
from app.core.config import settings
from app.core.errors import (
    NotFound,
    NotGroupAdminForSpend,
    WalletBalanceTooLow,
    WalletCapReached,
    WalletClosed,
    WalletCurrencyMismatch,
    WalletFull,
    WalletSpendDecided,
    WalletSpendNotAllowed,
    WalletSpendWaiting,
)
from app.crud import group as group_crud
from app.crud import wallet as wallet_crud
from app.crud.common import paginate
from app.models import User
from app.models.group import (
    Group,
    GroupRole,
    GroupStatus,
    GroupWallet,
    SpendCapPeriod,
    WalletEntryKind,
    WalletSpend,
    WalletSpendStatus,
)
from app.models.payment import (
    WALLET_PROVIDER,
    Payment,
    PaymentEventKind,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from app.providers.payments.base import GatewayOrder
from app.schema.common import Page, PageParams
from app.schema.wallet import WalletEntryRead
from app.services import payments

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class WalletView:
    group: Group
    wallet: GroupWallet
    balance_minor: int
    held_minor: int  # in waiting spends (already out of the balance)
    waiting: int
    my_spent_minor: int  # the caller's spends in the current day or night
    my_cap_left_minor: int | None


def view(session: Session, *, group: Group, member: User) -> WalletView:
    wallet = session.get(GroupWallet, group.id)
    if wallet is None:
        raise NotFound("wallet")
    bal = wallet_crud.balance(session, wallet=wallet)
    waiting = list(
        session.exec(
            wallet_crud.spends_query(group_id=group.id, status=WalletSpendStatus.WAITING)
        ).all()
    )
    since = period_start(group, at=_now())
    spent = wallet_crud.spent_since(session, group_id=group.id, member_id=member.id, since=since)
    cap_left = None
    if group.cap_minor is not None and group.admin_id != member.id:
        cap_left = max(group.cap_minor - spent, 0)
    return WalletView(
        group=group,
        wallet=wallet,
        balance_minor=bal,
        held_minor=sum(s.amount_minor for s in waiting),
        waiting=len(waiting),
        my_spent_minor=spent,
        my_cap_left_minor=cap_left,
    )


def ledger_page(session: Session, *, group: Group, page: PageParams) -> Page[WalletEntryRead]:
    """One page of the wallet's ledger, newest first."""

    def item(row: Any) -> WalletEntryRead:
        entry, name, purpose, order_id, bill_share_id, booking_id = tuple(row)[:6]
        paid_for = subject = None
        if purpose is not None and purpose is not PaymentPurpose.WALLET_TOP_UP:
            paid_for = purpose.value
            subject = order_id or bill_share_id or booking_id
        read = WalletEntryRead.model_validate(entry)
        return read.model_copy(
            update={"member_name": name, "paid_for": paid_for, "subject_id": subject}
        )

    return paginate(session, wallet_crud.entries_query(group_id=group.id), page=page, item=item)


def period_start(group: Group, *, at: datetime) -> datetime:
    """When the member's current day (midnight) or night (06:00) began, in the group's zone."""
    zone_name = group.time_zone
    if group.cap_period is SpendCapPeriod.DAY:
        day = timezones.local_date(zone_name, at)
        return datetime.combine(day, time(0, 0), tzinfo=timezones.zone(zone_name)).astimezone(UTC)
    starts, _ = timezones.night_bounds(zone_name, timezones.night_of(zone_name, at))
    return starts


# --- top-ups --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUpCheckout:
    payment: Payment
    order: GatewayOrder


def _refuse_closed(group: Group) -> None:
    if group.status is not GroupStatus.OPEN:
        raise WalletClosed()


def _require_member(session: Session, *, group: Group, user: User) -> None:
    if group_crud.current_member(session, group_id=group.id, user_id=user.id) is None:
        raise NotFound("group")


def _check_fits(session: Session, *, wallet: GroupWallet, amount: int, now: datetime) -> None:
    if amount > settings.WALLET_MAX_TOP_UP_MINOR:
        raise WalletFull(
            {
                "message": "A top-up may add at most WALLET_MAX_TOP_UP_MINOR",
                "max_top_up_minor": settings.WALLET_MAX_TOP_UP_MINOR,
            }
        )
    on_the_way = wallet_crud.pending_top_ups_minor(
        session,
        group_id=wallet.group_id,
        since=now - timedelta(seconds=max(settings.PAYMENT_RECONCILE_AFTER_SECONDS, 3600)),
    )
    room = settings.WALLET_MAX_BALANCE_MINOR - wallet_crud.balance(session, wallet=wallet)
    if amount > room - on_the_way:
        raise WalletFull(
            {
                "message": WalletFull.message,
                "max_balance_minor": settings.WALLET_MAX_BALANCE_MINOR,
                "room_minor": max(room - on_the_way, 0),
            }
        )


def start_top_up(session: Session, *, group: Group, member: User, amount: int) -> TopUpCheckout:
    """A member's top-up: a gateway payment; the wallet is credited when it is captured.
    Whether it fits is checked first (counting top-ups on their way) and again at the
    capture, which decides."""
    _require_member(session, group=group, user=member)
    _refuse_closed(group)
    wallet = session.get(GroupWallet, group.id)
    if wallet is None:
        raise NotFound("wallet")
    now = _now()
    _check_fits(session, wallet=wallet, amount=amount, now=now)
    payment_id = uuid.uuid4()
    provider = payments.current_provider()
    order = payments.open_order(  # the gateway first, holding no lock
        provider,
        payment_id=payment_id,
        amount=amount,
        currency=wallet.currency,
        notes={"group": str(group.id), "top_up": str(payment_id)},
    )
    payment = payments.record_payment(
        session,
        payment_id=payment_id,
        purpose=PaymentPurpose.WALLET_TOP_UP,
        payer=member,
        provider=provider,
        order=order,
        group_id=group.id,
    )
    return TopUpCheckout(payment=payment, order=order)


def on_top_up_captured(session: Session, *, payment: Payment) -> None:
    """A top-up's payment (locked) was captured: credit the wallet, or refund it in full
    when the group closed meanwhile or the wallet has no room left."""
    assert payment.group_id is not None
    wallet = wallet_crud.lock(session, group_id=payment.group_id)
    group = wallet_crud.group_of(session, group_id=payment.group_id)
    bal = wallet_crud.balance(session, wallet=wallet)
    fits = bal + payment.amount_minor <= settings.WALLET_MAX_BALANCE_MINOR
    if group.status is not GroupStatus.OPEN or not fits or payment.currency != wallet.currency:
        logger.info("top-up %s refunded: the wallet is closed or full", payment.id)
        payments.request_refund(
            session, payment=payment, amount=None, reason=RefundReason.WALLET_REFUSED
        )
        return
    wallet_crud.add_entry(
        session,
        wallet=wallet,
        kind=WalletEntryKind.TOP_UP,
        amount=payment.amount_minor,
        member_id=payment.payer_id,
        payment_id=payment.id,
    )


# --- spending -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spender:
    """A member about to pay with a wallet whose lock this transaction holds."""

    group: Group
    wallet: GroupWallet
    member: User
    is_admin: bool


def open_for_spend(session: Session, *, group_id: uuid.UUID, member: User) -> Spender:
    """Lock the wallet (before the locks of what it will pay for) and check that the
    caller may spend from it. A group the caller is not in is a 404."""
    membership = group_crud.current_member(session, group_id=group_id, user_id=member.id)
    if membership is None:
        raise NotFound("group")
    wallet = wallet_crud.lock(session, group_id=group_id)
    group = wallet_crud.group_of(session, group_id=group_id)
    _refuse_closed(group)
    membership = group_crud.current_member(session, group_id=group_id, user_id=member.id)
    if membership is None:  # removed while we waited for the lock
        raise NotFound("group")
    is_admin = membership.role is GroupRole.ADMIN
    if not is_admin and not membership.can_spend:
        raise WalletSpendNotAllowed()
    return Spender(group=group, wallet=wallet, member=member, is_admin=is_admin)


def pay(
    session: Session,
    *,
    spender: Spender,
    amount: int,
    currency: str,
    purpose: PaymentPurpose,
    pays_until: datetime,
    order_id: uuid.UUID | None = None,
    booking_id: uuid.UUID | None = None,
    bill_share_id: uuid.UUID | None = None,
) -> tuple[Payment, WalletSpend]:
    """Pay `amount` from the wallet (its lock held since `open_for_spend`): spent at once,
    or held for the admin's approval until `pays_until` at the latest (when what it pays
    for stops waiting for its payment). The capture tells what it pays for, as a
    gateway's would."""
    group, wallet = spender.group, spender.wallet
    if currency != wallet.currency:
        raise WalletCurrencyMismatch()
    bal = wallet_crud.balance(session, wallet=wallet)
    if amount > bal:
        raise WalletBalanceTooLow({"message": WalletBalanceTooLow.message, "balance_minor": bal})
    now = _now()
    if group.cap_minor is not None and not spender.is_admin:
        spent = wallet_crud.spent_since(
            session,
            group_id=group.id,
            member_id=spender.member.id,
            since=period_start(group, at=now),
        )
        if spent + amount > group.cap_minor:
            raise WalletCapReached(
                {
                    "message": WalletCapReached.message,
                    "cap_minor": group.cap_minor,
                    "cap_period": group.cap_period.value,
                    "left_minor": max(group.cap_minor - spent, 0),
                }
            )
    waits = (
        group.approval_above_minor is not None
        and amount > group.approval_above_minor
        and not spender.is_admin
    )
    payment = Payment(
        purpose=purpose,
        order_id=order_id,
        booking_id=booking_id,
        bill_share_id=bill_share_id,
        payer_id=spender.member.id,
        amount_minor=amount,
        currency=currency,
        provider=WALLET_PROVIDER,
    )
    session.add(payment)
    session.flush()
    spend = WalletSpend(
        group_id=group.id,
        member_id=spender.member.id,
        payment_id=payment.id,
        amount_minor=amount,
        status=WalletSpendStatus.WAITING if waits else WalletSpendStatus.SPENT,
        expires_at=min(pays_until, now + timedelta(minutes=settings.WALLET_APPROVAL_MINUTES)),
        decided_at=None if waits else now,
    )
    session.add(spend)
    session.flush()
    payments.record(
        session,
        payment=payment,
        kind=PaymentEventKind.ORDER_CREATED,
        amount_minor=amount,
        data={"wallet": str(group.id), "spend": str(spend.id), "waits_for_admin": waits},
    )
    wallet_crud.add_entry(
        session,
        wallet=wallet,
        kind=WalletEntryKind.HOLD if waits else WalletEntryKind.SPEND,
        amount=-amount,
        member_id=spender.member.id,
        payment_id=payment.id,
        spend_id=spend.id,
    )
    if not waits:  # a waiting spend's payment stays `created` until the admin decides
        payments.transition(session, payment=payment, to=PaymentStatus.CAPTURED)
    return payment, spend


def decide(
    session: Session, *, group: Group, spend_id: uuid.UUID, approve: bool, by: User
) -> WalletSpend:
    """The admin approves (the held amount is spent; what it pays for is told of the
    capture) or declines (the amount goes back) a waiting spend."""
    if group.admin_id != by.id:
        raise NotGroupAdminForSpend()
    spend = wallet_crud.get_spend(session, group_id=group.id, spend_id=spend_id)
    payment = payments.lock(session, payment_id=spend.payment_id)
    wallet = wallet_crud.lock(session, group_id=group.id)
    spend = wallet_crud.lock_spend(session, spend_id=spend.id)
    if spend.status is not WalletSpendStatus.WAITING:
        raise WalletSpendDecided({"message": WalletSpendDecided.message, "status": spend.status})
    now = _now()
    if spend.expires_at <= now:  # the expiry job gives the amount back
        raise WalletSpendDecided(
            {"message": "This spend expired before it was decided", "status": "expired"}
        )
    if not approve:
        _release(
            session, wallet=wallet, spend=spend, payment=payment, to=WalletSpendStatus.DECLINED
        )
        spend.decided_by_id = by.id
        session.add(spend)
        session.flush()
        return spend
    _give_back_hold(session, wallet=wallet, spend=spend, payment=payment, note="approved")
    wallet_crud.add_entry(
        session,
        wallet=wallet,
        kind=WalletEntryKind.SPEND,
        amount=-spend.amount_minor,
        member_id=spend.member_id,
        payment_id=payment.id,
        spend_id=spend.id,
    )
    spend.status = WalletSpendStatus.SPENT
    spend.decided_by_id = by.id
    spend.decided_at = now
    session.add(spend)
    session.flush()
    payments.transition(session, payment=payment, to=PaymentStatus.CAPTURED)
    return spend


def _give_back_hold(
    session: Session, *, wallet: GroupWallet, spend: WalletSpend, payment: Payment, note: str
) -> None:
    """The held amount of a waiting spend back into the (locked) wallet: a `release`."""
    wallet_crud.add_entry(
        session,
        wallet=wallet,
        kind=WalletEntryKind.RELEASE,
        amount=spend.amount_minor,
        member_id=spend.member_id,
        payment_id=payment.id,
        spend_id=spend.id,
        note=note,
    )


def _release(
    session: Session,
    *,
    wallet: GroupWallet,
    spend: WalletSpend,
    payment: Payment,
    to: WalletSpendStatus,
) -> None:
    """A held spend ends unpaid (locked: payment, wallet, spend): the amount goes back and
    the payment fails, which tells what it was for."""
    _give_back_hold(session, wallet=wallet, spend=spend, payment=payment, note=to.value)
    spend.status = to
    spend.decided_at = _now()
    session.add(spend)
    session.flush()
    payments.transition(session, payment=payment, to=PaymentStatus.FAILED)


def expire_due(session: Session, *, now: datetime | None = None) -> int:
    """Release waiting spends past their time (the `expire_wallet_spends` job)."""
    now = now or _now()
    done = 0
    for spend_id in wallet_crud.waiting_due(session, now=now):
        spend = session.get(WalletSpend, spend_id)
        assert spend is not None
        payment = payments.lock(session, payment_id=spend.payment_id)
        wallet = wallet_crud.lock(session, group_id=spend.group_id)
        spend = wallet_crud.lock_spend(session, spend_id=spend_id)
        if spend.status is WalletSpendStatus.WAITING:
            _release(
                session, wallet=wallet, spend=spend, payment=payment, to=WalletSpendStatus.EXPIRED
            )
            done += 1
    return done


def give_up(session: Session, *, payment: Payment) -> None:
    """What a waiting spend paid for stopped waiting (expired, cancelled): release it
    now rather than at its expiry. The payment is locked."""
    spend = wallet_crud.spend_of_payment(session, payment_id=payment.id)
    if spend is None or spend.status is not WalletSpendStatus.WAITING:
        return
    wallet = wallet_crud.lock(session, group_id=spend.group_id)
    spend = wallet_crud.lock_spend(session, spend_id=spend.id)
    if spend.status is WalletSpendStatus.WAITING:
        _release(session, wallet=wallet, spend=spend, payment=payment, to=WalletSpendStatus.EXPIRED)


# --- refunds back into the wallet ----------------------------------------------------


def refund_into(session: Session, *, refund_id: uuid.UUID) -> RefundStatus | None:
    """Send a pending refund of a wallet payment: back into the wallet, at once (the
    `send_refund` job's work for the `wallet` provider). A closed wallet returns it to
    the members straight away."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        return None
    payment = payments.lock(session, payment_id=refund.payment_id)
    session.refresh(refund, with_for_update=True)
    if refund.status is not RefundStatus.PENDING:
        return refund.status
    spend = wallet_crud.spend_of_payment(session, payment_id=payment.id)
    assert spend is not None
    wallet = wallet_crud.lock(session, group_id=spend.group_id)
    wallet_crud.add_entry(
        session,
        wallet=wallet,
        kind=WalletEntryKind.REFUND,
        amount=refund.amount_minor,
        member_id=spend.member_id,
        payment_id=payment.id,
        refund_id=refund.id,
        spend_id=spend.id,
        note=refund.reason.value,
    )
    refund.attempts += 1
    refund.status = RefundStatus.PROCESSED
    refund.provider_refund_id = f"wallet_{refund.id.hex[:24]}"
    session.add(refund)
    payments.record(
        session,
        payment=payment,
        kind=PaymentEventKind.REFUND_PROCESSED,
        amount_minor=refund.amount_minor,
        refund_id=refund.id,
        data={"wallet": str(spend.group_id)},
    )
    group = wallet_crud.group_of(session, group_id=spend.group_id)
    if group.status is GroupStatus.CLOSED:
        _return_balance(session, wallet=wallet, by=None)
    return refund.status


# --- closing --------------------------------------------------------------------------


def shares_of(
    balance: int, put_in: dict[uuid.UUID, int], first: dict[uuid.UUID, int]
) -> dict[uuid.UUID, int]:
    """`balance` divided in proportion to `put_in` (largest remainder: the paise left by
    the whole parts go one each to the largest remainders; ties to who put in more, then
    to `first`, the order of their first top-up). The parts add up to `balance`."""
    total = sum(put_in.values())
    if balance <= 0 or total <= 0:
        return {}
    whole = {m: balance * p // total for m, p in put_in.items()}
    rest = balance - sum(whole.values())
    order = sorted(
        put_in,
        key=lambda m: (-(balance * put_in[m] % total), -put_in[m], first.get(m, 0)),
    )
    for m in order[:rest]:
        whole[m] += 1
    return {m: v for m, v in whole.items() if v > 0}


def close_wallet(session: Session, *, group: Group, by: User) -> None:
    """Return the balance to the members (the group's row is locked by the caller, who
    then marks it closed). Refused while a spend waits for approval."""
    wallet = wallet_crud.lock(session, group_id=group.id)
    if wallet_crud.count_waiting(session, group_id=group.id):
        raise WalletSpendWaiting()
    _return_balance(session, wallet=wallet, by=by)


def _return_balance(session: Session, *, wallet: GroupWallet, by: User | None) -> None:
    """Refund the (locked) wallet's balance to the members' top-ups, in proportion to
    what each put in; newest top-ups first for each member."""
    bal = wallet_crud.balance(session, wallet=wallet)
    if bal <= 0:
        return
    top_ups = wallet_crud.top_ups(session, group_id=wallet.group_id)
    put_in = wallet_crud.put_in_by_member(session, group_id=wallet.group_id)
    first: dict[uuid.UUID, int] = {}
    for i, p in enumerate(top_ups):
        first.setdefault(p.payer_id, i)
    shares = shares_of(bal, put_in, first)
    for member_id, part in sorted(shares.items(), key=lambda kv: first.get(kv[0], 0)):
        left = part
        for top_up in sorted(
            (p for p in top_ups if p.payer_id == member_id),
            key=lambda p: (p.captured_at or p.created_at, p.id.int),
            reverse=True,
        ):
            if left == 0:
                break
            locked = payments.lock(session, payment_id=top_up.id)
            take = min(left, payments.refundable(locked))
            if take <= 0:
                continue
            refund = payments.request_refund(
                session,
                payment=locked,
                amount=take,
                reason=RefundReason.WALLET_CLOSED,
                requested_by=by,
            )
            bal -= take
            left -= take
            wallet_crud.add_entry(
                session,
                wallet=wallet,
                kind=WalletEntryKind.RETURN,
                amount=-take,
                member_id=member_id,
                payment_id=top_up.id,
                refund_id=refund.id,
            )
        if left:
            logger.error(
                "wallet %s: %s of a member's part had no top-up left", wallet.group_id, left
            )
    if bal:
        logger.error("wallet %s: %s left after closing", wallet.group_id, bal)


def ledger_agrees(session: Session, *, group_id: uuid.UUID) -> bool:
    """Whether the ledger's sum and its newest balance agree."""
    wallet = session.get(GroupWallet, group_id)
    if wallet is None:
        raise NotFound("wallet")
    return wallet_crud.ledger_sum(session, group_id=group_id) == wallet_crud.balance(
        session, wallet=wallet
    )
