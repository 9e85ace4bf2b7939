"""Cover-charge credit: the queries (the rules are `services.cover_credit`).

A credit's balance is the `balance_after_minor` of its newest ledger entry, the one
whose `seq` is the credit's `entries`; every change of a credit's ledger holds the
credit's row lock (`SELECT ... FOR UPDATE`), taken in id order when several are.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.crud.common import AnyRow, AnySelect, paginate
from app.models import Event, User, Venue
from app.models.booking import Booking, BookingItem, Ticket
from app.models.group import CoverCredit, CoverCreditEntry, CoverCreditEntryKind
from app.schema.common import Page, PageParams


def _balance_join() -> sa.ColumnElement[bool]:
    """Joins a credit to its newest entry."""
    return sa.and_(
        col(CoverCreditEntry.credit_id) == col(CoverCredit.id),
        col(CoverCreditEntry.seq) == col(CoverCredit.entries),
    )


# --- granting at the door --------------------------------------------------------------


@dataclass(frozen=True)
class PassCredit:
    """What a ticket's pass gives at check-in, and to whom."""

    ticket_id: uuid.UUID
    holder_id: uuid.UUID
    currency: str
    cover_credit_minor: int
    unit_price_minor: int


def passes(session: Session, *, ticket_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PassCredit]:
    """For each ticket, its booking's consumer and currency and its booking line's
    credit and unit price (one query)."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        sa.select(
            col(Ticket.id),
            col(Booking.consumer_id),
            col(Booking.currency),
            col(BookingItem.cover_credit_minor),
            col(BookingItem.unit_price_minor),
        )
        .join(BookingItem, col(BookingItem.id) == col(Ticket.booking_item_id))
        .join(Booking, col(Booking.id) == col(Ticket.booking_id))
        .where(col(Ticket.id).in_(sorted(ticket_ids)))
    ).all()
    return {row[0]: PassCredit(*row) for row in rows}


def grant(
    session: Session,
    *,
    ticket_id: uuid.UUID,
    holder_id: uuid.UUID,
    venue_id: uuid.UUID,
    event_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    expires_at: datetime,
    now: datetime,
) -> uuid.UUID | None:
    """Create the ticket's credit with its `granted` entry (seq 1), unless the ticket
    already has one (a unique ticket_id: `INSERT .. ON CONFLICT DO NOTHING`, which
    waits for a concurrent insert of the same ticket). The new credit's id, or None."""
    credit_id: uuid.UUID | None = session.execute(
        pg_insert(CoverCredit)
        .values(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            holder_id=holder_id,
            venue_id=venue_id,
            event_id=event_id,
            amount_minor=amount_minor,
            currency=currency,
            expires_at=expires_at,
            entries=1,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id"])
        .returning(col(CoverCredit.id))
    ).scalar_one_or_none()
    if credit_id is None:
        return None
    session.execute(
        sa.insert(CoverCreditEntry).values(
            credit_id=credit_id,
            seq=1,
            kind=CoverCreditEntryKind.GRANTED,
            amount_minor=amount_minor,
            balance_after_minor=amount_minor,
            created_at=now,
        )
    )
    return credit_id


# --- balances and spending ---------------------------------------------------------------


def available(
    session: Session, *, holder_id: uuid.UUID, venue_id: uuid.UUID, currency: str, at: datetime
) -> int:
    """The sum of the balances of the holder's credits at the venue that are neither
    expired at `at` nor revoked."""
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(col(CoverCreditEntry.balance_after_minor)), 0))
        .select_from(CoverCredit)
        .join(CoverCreditEntry, _balance_join())
        .where(
            col(CoverCredit.holder_id) == holder_id,
            col(CoverCredit.venue_id) == venue_id,
            col(CoverCredit.currency) == currency,
            col(CoverCredit.expires_at) > at,
            col(CoverCredit.revoked_at).is_(None),
        )
    ).scalar_one()
    return int(total)


@dataclass
class LockedCredit:
    credit: CoverCredit
    balance_minor: int


def lock_spendable(
    session: Session, *, holder_id: uuid.UUID, venue_id: uuid.UUID, currency: str, at: datetime
) -> list[LockedCredit]:
    """The holder's spendable credits at the venue (not expired, not revoked), locked
    in id order and re-read, with their balances (read after the locks, so current)."""
    ids = session.exec(
        select(col(CoverCredit.id))
        .where(
            col(CoverCredit.holder_id) == holder_id,
            col(CoverCredit.venue_id) == venue_id,
            col(CoverCredit.currency) == currency,
            col(CoverCredit.expires_at) > at,
            col(CoverCredit.revoked_at).is_(None),
        )
        .order_by(col(CoverCredit.id))
        .with_for_update()
    ).all()
    return _with_balances(session, credit_ids=ids)


def lock(session: Session, *, credit_ids: Collection[uuid.UUID]) -> list[LockedCredit]:
    """These credits, locked in id order and re-read, with their balances."""
    if not credit_ids:
        return []
    session.execute(
        sa.select(col(CoverCredit.id))
        .where(col(CoverCredit.id).in_(sorted(credit_ids)))
        .order_by(col(CoverCredit.id))
        .with_for_update()
    )
    return _with_balances(session, credit_ids=credit_ids)


def lock_of_booking(session: Session, *, booking_id: uuid.UUID) -> list[LockedCredit]:
    """The credits the booking's tickets were given, locked in id order, with balances."""
    ids = session.exec(
        select(col(CoverCredit.id))
        .join(Ticket, col(Ticket.id) == col(CoverCredit.ticket_id))
        .where(col(Ticket.booking_id) == booking_id)
    ).all()
    return lock(session, credit_ids=ids)


def _with_balances(session: Session, *, credit_ids: Collection[uuid.UUID]) -> list[LockedCredit]:
    if not credit_ids:
        return []
    rows = session.execute(
        sa.select(CoverCredit, col(CoverCreditEntry.balance_after_minor))
        .join(CoverCreditEntry, _balance_join())
        .where(col(CoverCredit.id).in_(sorted(credit_ids)))
        .order_by(col(CoverCredit.id))
        .execution_options(populate_existing=True)
    ).all()
    return [LockedCredit(credit=row[0], balance_minor=int(row[1])) for row in rows]


def append(
    session: Session,
    *,
    locked: LockedCredit,
    kind: CoverCreditEntryKind,
    amount_minor: int,
    order_id: uuid.UUID | None,
    bill_share_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Add an entry to a locked credit's ledger (seq = entries + 1) and move its
    balance and `entries` on (in memory too)."""
    credit = locked.credit
    seq = credit.entries + 1
    balance = locked.balance_minor + amount_minor
    session.execute(
        sa.insert(CoverCreditEntry).values(
            credit_id=credit.id,
            seq=seq,
            kind=kind,
            amount_minor=amount_minor,
            balance_after_minor=balance,
            order_id=order_id,
            bill_share_id=bill_share_id,
            created_at=now,
        )
    )
    session.execute(
        sa.update(CoverCredit).where(col(CoverCredit.id) == credit.id).values(entries=seq)
    )
    set_committed_value(credit, "entries", seq)
    locked.balance_minor = balance


def _paid_for(
    order_id: uuid.UUID | None, bill_share_id: uuid.UUID | None
) -> sa.ColumnElement[bool]:
    if order_id is not None:
        return col(CoverCreditEntry.order_id) == order_id
    return col(CoverCreditEntry.bill_share_id) == bill_share_id


def taken_for(
    session: Session, *, order_id: uuid.UUID | None, bill_share_id: uuid.UUID | None
) -> dict[uuid.UUID, int]:
    """What `spent` entries for this order (or share) took, per credit (positive)."""
    rows = session.execute(
        sa.select(col(CoverCreditEntry.credit_id), sa.func.sum(col(CoverCreditEntry.amount_minor)))
        .where(
            _paid_for(order_id, bill_share_id),
            col(CoverCreditEntry.kind) == CoverCreditEntryKind.SPENT,
        )
        .group_by(col(CoverCreditEntry.credit_id))
    ).all()
    return {row[0]: -int(row[1]) for row in rows}


def returned_for(
    session: Session, *, order_id: uuid.UUID | None, bill_share_id: uuid.UUID | None
) -> bool:
    """Whether a `returned` entry for this order (or share) exists."""
    found = session.execute(
        sa.select(col(CoverCreditEntry.id))
        .where(
            _paid_for(order_id, bill_share_id),
            col(CoverCreditEntry.kind) == CoverCreditEntryKind.RETURNED,
        )
        .limit(1)
    ).first()
    return found is not None


# --- what the holder reads -----------------------------------------------------------------


@dataclass(frozen=True)
class CreditView:
    credit: CoverCredit
    balance_minor: int
    venue_name: str
    event_title: str


def _view_statement() -> AnySelect:
    return (
        sa.select(
            CoverCredit,
            col(CoverCreditEntry.balance_after_minor),
            col(Venue.name),
            col(Event.title),
        )
        .join(CoverCreditEntry, _balance_join())
        .join(Venue, col(Venue.id) == col(CoverCredit.venue_id))
        .join(Event, col(Event.id) == col(CoverCredit.event_id))
    )


def _view(row: AnyRow) -> CreditView:
    return CreditView(
        credit=row[0], balance_minor=int(row[1]), venue_name=row[2], event_title=row[3]
    )


def list_for_holder(session: Session, *, user: User, page: PageParams) -> Page[CreditView]:
    """The user's credits, the newest first."""
    statement = (
        _view_statement()
        .where(col(CoverCredit.holder_id) == user.id)
        .order_by(col(CoverCredit.created_at).desc(), col(CoverCredit.id).desc())
    )
    return paginate(session, statement, page=page, item=_view)


def get_own(session: Session, *, credit_id: uuid.UUID, user: User) -> CreditView:
    """One of the user's credits; anyone else's (or none) is not found."""
    row = session.execute(
        _view_statement().where(
            col(CoverCredit.id) == credit_id, col(CoverCredit.holder_id) == user.id
        )
    ).first()
    if row is None:
        raise NotFound("cover_credit")
    return _view(row)


def ledger(session: Session, *, credit_id: uuid.UUID) -> Sequence[CoverCreditEntry]:
    return session.exec(
        select(CoverCreditEntry)
        .where(col(CoverCreditEntry.credit_id) == credit_id)
        .order_by(col(CoverCreditEntry.seq))
    ).all()
