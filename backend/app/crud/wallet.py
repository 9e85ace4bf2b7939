"""Queries of group wallets: the wallet's lock, its ledger, its spends, its top-ups."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import NotFound
from app.crud.common import AnySelect
from app.models import User
from app.models.group import (
    Group,
    GroupWallet,
    WalletEntry,
    WalletEntryKind,
    WalletSpend,
    WalletSpendStatus,
)
from app.models.payment import Payment, PaymentPurpose, PaymentStatus


def lock(session: Session, *, group_id: uuid.UUID) -> GroupWallet:
    """The wallet under its row lock (held to the commit): every change of its balance
    takes it first."""
    wallet = session.exec(
        select(GroupWallet)
        .where(GroupWallet.group_id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if wallet is None:
        raise NotFound("wallet")
    return wallet


def group_of(session: Session, *, group_id: uuid.UUID) -> Group:
    """The group, read afresh (after its wallet's lock: a close committed meanwhile shows)."""
    group = session.exec(
        select(Group).where(Group.id == group_id).execution_options(populate_existing=True)
    ).first()
    if group is None:
        raise NotFound("group")
    return group


def balance(session: Session, *, wallet: GroupWallet) -> int:
    """The balance after the wallet's newest entry (0 before any)."""
    if wallet.entries == 0:
        return 0
    after = session.exec(
        select(WalletEntry.balance_after_minor).where(
            WalletEntry.group_id == wallet.group_id, WalletEntry.seq == wallet.entries
        )
    ).one()
    return int(after)


def ledger_sum(session: Session, *, group_id: uuid.UUID) -> int:
    """The sum of every entry of the wallet (what the balance must be)."""
    total = session.exec(
        select(func.coalesce(func.sum(WalletEntry.amount_minor), 0)).where(
            WalletEntry.group_id == group_id
        )
    ).one()
    return int(total)


def add_entry(
    session: Session,
    *,
    wallet: GroupWallet,
    kind: WalletEntryKind,
    amount: int,
    member_id: uuid.UUID,
    payment_id: uuid.UUID | None = None,
    refund_id: uuid.UUID | None = None,
    spend_id: uuid.UUID | None = None,
    note: str | None = None,
) -> WalletEntry:
    """Append one entry to a *locked* wallet's ledger, with the balance after it (a
    balance below zero is refused by the table's CHECK: callers check first)."""
    balance_after = balance(session, wallet=wallet) + amount
    wallet.entries += 1
    session.add(wallet)
    entry = WalletEntry(
        group_id=wallet.group_id,
        seq=wallet.entries,
        kind=kind,
        amount_minor=amount,
        balance_after_minor=balance_after,
        member_id=member_id,
        payment_id=payment_id,
        refund_id=refund_id,
        spend_id=spend_id,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def entries_query(*, group_id: uuid.UUID) -> AnySelect:
    """The ledger, newest first, each entry with its member's name and the payment it
    moved (what a spend paid for)."""
    return (
        sa.select(
            WalletEntry,
            col(User.full_name),
            col(Payment.purpose),
            col(Payment.order_id),
            col(Payment.bill_share_id),
            col(Payment.booking_id),
        )
        .join(User, col(User.id) == col(WalletEntry.member_id))
        .outerjoin(Payment, col(Payment.id) == col(WalletEntry.payment_id))
        .where(col(WalletEntry.group_id) == group_id)
        .order_by(col(WalletEntry.seq).desc())
    )


def spends_query(
    *, group_id: uuid.UUID, status: WalletSpendStatus | None
) -> SelectOfScalar[WalletSpend]:
    query = select(WalletSpend).where(WalletSpend.group_id == group_id)
    if status is not None:
        query = query.where(WalletSpend.status == status)
    return query.order_by(col(WalletSpend.created_at).desc(), col(WalletSpend.id))


def spend_of_payment(session: Session, *, payment_id: uuid.UUID) -> WalletSpend | None:
    return session.exec(select(WalletSpend).where(WalletSpend.payment_id == payment_id)).first()


def lock_spend(session: Session, *, spend_id: uuid.UUID) -> WalletSpend:
    spend = session.exec(
        select(WalletSpend)
        .where(WalletSpend.id == spend_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if spend is None:
        raise NotFound("spend")
    return spend


def get_spend(session: Session, *, group_id: uuid.UUID, spend_id: uuid.UUID) -> WalletSpend:
    spend = session.get(WalletSpend, spend_id)
    if spend is None or spend.group_id != group_id:
        raise NotFound("spend")
    return spend


def count_waiting(session: Session, *, group_id: uuid.UUID) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(WalletSpend)
            .where(
                WalletSpend.group_id == group_id, WalletSpend.status == WalletSpendStatus.WAITING
            )
        ).one()
    )


def spent_since(
    session: Session, *, group_id: uuid.UUID, member_id: uuid.UUID, since: datetime
) -> int:
    """What a member spent (or has waiting) from the wallet since then, less what came
    back to it as refunds of those spends."""
    spent = session.exec(
        select(func.coalesce(func.sum(WalletSpend.amount_minor), 0)).where(
            WalletSpend.group_id == group_id,
            WalletSpend.member_id == member_id,
            col(WalletSpend.status).in_([WalletSpendStatus.SPENT, WalletSpendStatus.WAITING]),
            col(WalletSpend.created_at) >= since,
        )
    ).one()
    refunded = session.exec(
        select(func.coalesce(func.sum(WalletEntry.amount_minor), 0))
        .join(WalletSpend, col(WalletSpend.id) == col(WalletEntry.spend_id))
        .where(
            WalletEntry.group_id == group_id,
            WalletEntry.kind == WalletEntryKind.REFUND,
            WalletSpend.member_id == member_id,
            col(WalletSpend.created_at) >= since,
        )
    ).one()
    return int(spent) - int(refunded)


def waiting_due(session: Session, *, now: datetime) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(WalletSpend.id)
            .where(
                WalletSpend.status == WalletSpendStatus.WAITING,
                col(WalletSpend.expires_at) <= now,
            )
            .order_by(col(WalletSpend.expires_at))
            .limit(200)
        )
    )


def top_ups(session: Session, *, group_id: uuid.UUID) -> list[Payment]:
    """The wallet's captured top-ups, oldest first."""
    return list(
        session.exec(
            select(Payment)
            .where(
                Payment.group_id == group_id,
                Payment.purpose == PaymentPurpose.WALLET_TOP_UP,
                Payment.status == PaymentStatus.CAPTURED,
            )
            .order_by(col(Payment.captured_at), col(Payment.id))
        )
    )


def pending_top_ups_minor(session: Session, *, group_id: uuid.UUID, since: datetime) -> int:
    """Top-ups made since then and not captured or failed yet (money on its way)."""
    total = session.exec(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.group_id == group_id,
            Payment.purpose == PaymentPurpose.WALLET_TOP_UP,
            col(Payment.status).in_([PaymentStatus.CREATED, PaymentStatus.AUTHORIZED]),
            col(Payment.created_at) >= since,
        )
    ).one()
    return int(total)


def put_in_by_member(session: Session, *, group_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """What each member put into the wallet: their captured top-ups as credited."""
    rows = session.exec(
        select(WalletEntry.member_id, func.sum(WalletEntry.amount_minor))
        .where(WalletEntry.group_id == group_id, WalletEntry.kind == WalletEntryKind.TOP_UP)
        .group_by(col(WalletEntry.member_id))
    ).all()
    return {member_id: int(total) for member_id, total in rows}
