"""Cover-charge credit: a pass's included credit, given when its ticket is first let
in at the door, spent on orders and bill shares at the event's venue until the
event ends, never paid out.

- Granting (`grant_at_entry`, called by the door in the scan's transaction): once per
  ticket, whatever happens (a re-entry, the same scan uploaded again, two gates at
  once): the credit's `ticket_id` is unique and it is inserted with
  `INSERT .. ON CONFLICT DO NOTHING`. The holder is the booking's consumer; the guests
  of a couple or group pass share the one credit of their pass (the credit is per
  pass, not per guest). It expires when the event ends (`Event.ends_at`, which every
  event has: the table requires it, after the start).
- Spending (`spend`) takes what it can from the holder's unexpired credits at the
  venue, the soonest-expiring first, under the credits' row locks taken in id order;
  a balance never goes below zero (the ledger's CHECK says so too).
- Giving back (`give_back`) returns what an order or a bill share took, once: to
  expired credits too (the ledger stays true), where it stays unusable.
- Revoking (`revoke_for_booking`, called when a booking is cancelled: refunded in full
  by a manager, cancelled by its consumer, or its event cancelled): the pass's money
  goes back, so its credit does too. What is left leaves as a `revoked` entry and the
  credit is marked revoked: never spendable again, also for what an order gives back
  to it later. What was already spent stays spent (the orders it paid were served).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlmodel import Session

from app.core.errors import CoverCreditChanged
from app.crud import cover_credit as cover_credit_crud
from app.models import Event, User
from app.models.group import CoverCreditEntryKind
from app.schema.common import Page, PageParams
from app.schema.cover_credit import CoverCreditDetail, CoverCreditEntryRead, CoverCreditRead


def _one_subject(order_id: uuid.UUID | None, bill_share_id: uuid.UUID | None) -> None:
    if (order_id is None) == (bill_share_id is None):
        raise ValueError("exactly one of order_id and bill_share_id is required")


def grant_at_entry(
    session: Session,
    *,
    event: Event,
    ticket_ids: Collection[uuid.UUID],
    passes: dict[uuid.UUID, cover_credit_crud.PassCredit] | None = None,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Give each of these tickets (let in for the first time at `event`'s door) its
    pass's credit, if it has one and has not had it; the ids of the credits made."""
    now = now or datetime.now(UTC)
    if passes is None:
        passes = cover_credit_crud.passes(session, ticket_ids=ticket_ids)
    made: list[uuid.UUID] = []
    for ticket_id in sorted(ticket_ids):
        pass_ = passes.get(ticket_id)
        if pass_ is None or pass_.cover_credit_minor <= 0:
            continue
        credit_id = cover_credit_crud.grant(
            session,
            ticket_id=ticket_id,
            holder_id=pass_.holder_id,
            venue_id=event.venue_id,
            event_id=event.id,
            amount_minor=pass_.cover_credit_minor,
            currency=pass_.currency,
            expires_at=event.ends_at,
            now=now,
        )
        if credit_id is not None:
            made.append(credit_id)
    return made


def available(
    session: Session,
    *,
    holder_id: uuid.UUID,
    venue_id: uuid.UUID,
    currency: str,
    at: datetime,
) -> int:
    """What the holder can spend at the venue at `at`: the sum of the balances of
    their credits there, in that currency, not expired (`expires_at > at`). A read
    without locks: `spend` is the one that decides."""
    return cover_credit_crud.available(
        session, holder_id=holder_id, venue_id=venue_id, currency=currency, at=at
    )


def spend(
    session: Session,
    *,
    holder_id: uuid.UUID,
    venue_id: uuid.UUID,
    currency: str,
    amount: int,
    order_id: uuid.UUID | None = None,
    bill_share_id: uuid.UUID | None = None,
    at: datetime,
) -> int:
    """Take up to `amount` from the holder's unexpired credits at the venue (the
    soonest-expiring first, then the oldest id), writing one `spent` entry per credit
    drawn on, for the order or the bill share (exactly one of them). Locks the
    holder's credits there (in id order) until the transaction ends. Returns how much
    it took (0 with nothing to take); the caller pays the rest with another tender."""
    _one_subject(order_id, bill_share_id)
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount == 0:
        return 0
    locked = cover_credit_crud.lock_spendable(
        session, holder_id=holder_id, venue_id=venue_id, currency=currency, at=at
    )
    locked.sort(key=lambda c: (c.credit.expires_at, c.credit.id))
    taken = 0
    for credit in locked:
        take = min(credit.balance_minor, amount - taken)
        if take <= 0:
            continue
        cover_credit_crud.append(
            session,
            locked=credit,
            kind=CoverCreditEntryKind.SPENT,
            amount_minor=-take,
            order_id=order_id,
            bill_share_id=bill_share_id,
            now=at,
        )
        taken += take
        if taken == amount:
            break
    return taken


def plan(
    session: Session,
    *,
    holder_id: uuid.UUID,
    venue_id: uuid.UUID,
    currency: str,
    amount: int,
    at: datetime,
) -> int:
    """What of `amount` the holder's credit at the venue would pay: a first look, without
    locks, that a payment is planned around (`spend_planned` then takes it under them)."""
    if amount <= 0:
        return 0
    return min(
        amount,
        available(session, holder_id=holder_id, venue_id=venue_id, currency=currency, at=at),
    )


def spend_planned(
    session: Session,
    *,
    holder_id: uuid.UUID,
    venue_id: uuid.UUID,
    currency: str,
    amount: int,
    order_id: uuid.UUID | None = None,
    bill_share_id: uuid.UUID | None = None,
    at: datetime,
) -> None:
    """Take exactly `amount`, the credit a payment was planned around (a first look at
    `available` before the gateway was asked): less left now (spent from another phone
    meanwhile) is a 409 `cover_credit_changed`, and the caller's transaction rolls back."""
    taken = spend(
        session,
        holder_id=holder_id,
        venue_id=venue_id,
        currency=currency,
        amount=amount,
        order_id=order_id,
        bill_share_id=bill_share_id,
        at=at,
    )
    if taken != amount:
        raise CoverCreditChanged()


def give_back(
    session: Session,
    *,
    order_id: uuid.UUID | None = None,
    bill_share_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Return to each credit what the order's (or bill share's: exactly one of them)
    `spent` entries took from it, as `returned` entries; expired credits get it back
    too, and stay unusable. Once only: if a `returned` entry for it exists already
    (checked under the credits' locks), nothing is done. Returns what was given back."""
    _one_subject(order_id, bill_share_id)
    now = now or datetime.now(UTC)
    taken = cover_credit_crud.taken_for(session, order_id=order_id, bill_share_id=bill_share_id)
    if not taken:
        return 0
    locked = cover_credit_crud.lock(session, credit_ids=taken.keys())
    if cover_credit_crud.returned_for(session, order_id=order_id, bill_share_id=bill_share_id):
        return 0
    # Read again under the locks: a spend for it may have committed meanwhile.
    taken = cover_credit_crud.taken_for(session, order_id=order_id, bill_share_id=bill_share_id)
    returned = 0
    for credit in locked:
        amount = taken.get(credit.credit.id, 0)
        if amount <= 0:
            continue
        cover_credit_crud.append(
            session,
            locked=credit,
            kind=CoverCreditEntryKind.RETURNED,
            amount_minor=amount,
            order_id=order_id,
            bill_share_id=bill_share_id,
            now=now,
        )
        returned += amount
    return returned


def revoke_for_booking(
    session: Session, *, booking_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Revoke the credits the booking's tickets were given (see the module's doc);
    once only. Call it under the booking's lock, after its tickets are void (their
    row locks make a scan at the door that is granting a credit finish first).
    Returns what was taken back."""
    now = now or datetime.now(UTC)
    taken_back = 0
    for credit in cover_credit_crud.lock_of_booking(session, booking_id=booking_id):
        if credit.credit.revoked_at is not None:
            continue
        if credit.balance_minor > 0:
            taken_back += credit.balance_minor
            cover_credit_crud.append(
                session,
                locked=credit,
                kind=CoverCreditEntryKind.REVOKED,
                amount_minor=-credit.balance_minor,
                order_id=None,
                bill_share_id=None,
                now=now,
            )
        credit.credit.revoked_at = now
        session.add(credit.credit)
    session.flush()
    return taken_back


# --- what the holder reads ---------------------------------------------------------------


def _read(view: cover_credit_crud.CreditView, *, now: datetime) -> CoverCreditRead:
    credit = view.credit
    return CoverCreditRead(
        id=credit.id,
        ticket_id=credit.ticket_id,
        venue_id=credit.venue_id,
        venue_name=view.venue_name,
        event_id=credit.event_id,
        event_title=view.event_title,
        amount_minor=credit.amount_minor,
        balance_minor=view.balance_minor,
        currency=credit.currency,
        expires_at=credit.expires_at,
        revoked_at=credit.revoked_at,
        active=credit.revoked_at is None and credit.expires_at > now and view.balance_minor > 0,
        created_at=credit.created_at,
    )


def list_for_holder(
    session: Session, *, user: User, page: PageParams, now: datetime | None = None
) -> Page[CoverCreditRead]:
    """The user's credits, the newest first, with their balances."""
    now = now or datetime.now(UTC)
    views = cover_credit_crud.list_for_holder(session, user=user, page=page)
    return Page(
        items=[_read(v, now=now) for v in views.items],
        total=views.total,
        limit=views.limit,
        offset=views.offset,
    )


def detail(
    session: Session, *, view: cover_credit_crud.CreditView, now: datetime | None = None
) -> CoverCreditDetail:
    """A credit with its ledger, oldest entry first."""
    read = _read(view, now=now or datetime.now(UTC))
    entries = cover_credit_crud.ledger(session, credit_id=view.credit.id)
    return CoverCreditDetail(
        **read.model_dump(),
        entries=[
            CoverCreditEntryRead(
                seq=e.seq,
                kind=e.kind,
                amount_minor=e.amount_minor,
                balance_after_minor=e.balance_after_minor,
                order_id=e.order_id,
                bill_share_id=e.bill_share_id,
                created_at=e.created_at,
            )
            for e in entries
        ],
    )
