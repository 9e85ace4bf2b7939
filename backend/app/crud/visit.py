"""Club visits: the queries (the rules are `services.visits`).

A visit is keyed by (venue, consumer, night). The door upserts it in the scan's
transaction; the row lock the upsert takes serializes the door batches of one
consumer's night, so what is read of their passes after it (`refresh_presence`, a
new statement: READ COMMITTED sees what the batch before committed) is current.

What a visit spent is computed when read, within the visit's *window*: from its
first entry to one hour after its last exit, or, while the guest is inside (or never
scanned out), to one hour after the event's end (`spend_window`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.crud.common import AnyRow, paginate, table_of
from app.models import Event, User, Venue
from app.models.booking import Booking, ScanDirection, ScanOutcome, Ticket, TicketScan
from app.models.group import ClubVisit, GroupMember
from app.models.order import (
    Bill,
    BillShare,
    BillShareStatus,
    Order,
    OrderStatus,
    TableSession,
)
from app.models.payment import WALLET_PROVIDER, Payment, PaymentStatus
from app.models.venue import PaymentMode
from app.schema.common import Page, PageParams

#: Orders placed within the window count, unless they never were (or no longer are) owed.
NOT_SPENT = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.ABANDONED,
    OrderStatus.REJECTED,
    OrderStatus.CANCELLED,
)
#: How long after the last exit (or the event's end) what is paid still counts.
SPEND_GRACE = timedelta(hours=1)
#: The inside-now curve's step, and how far it may reach from its start.
CURVE_STEP = timedelta(minutes=15)
CURVE_MAX_SPAN = timedelta(hours=48)

# --- the door --------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorChange:
    """What one door batch did for one consumer's night at a venue."""

    venue_id: uuid.UUID
    event_id: uuid.UUID
    consumer_id: uuid.UUID
    night: date
    currency: str
    entries: int  # `ok` entries
    cover_charge_minor: int  # unit prices of the passes let in for the first time
    first_entry_at: datetime | None
    last_exit_at: datetime | None
    # The most guests of the batch's passes inside at once (counted with those of
    # the batch's passes that were inside before it).
    peak_guests: int
    ticket_ids: frozenset[uuid.UUID]


def _key(change: DoorChange) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(ClubVisit.venue_id) == change.venue_id,
        col(ClubVisit.consumer_id) == change.consumer_id,
        col(ClubVisit.night) == change.night,
    )


def record_door(session: Session, *, change: DoorChange, now: datetime) -> bool:
    """Upsert the visit for the batch's entries (or, exits only, update the one there
    is); both lock the visit's row. Whether there is a visit."""
    if change.entries:
        assert change.first_entry_at is not None
        insert = pg_insert(ClubVisit).values(
            id=uuid.uuid4(),
            venue_id=change.venue_id,
            event_id=change.event_id,
            consumer_id=change.consumer_id,
            night=change.night,
            guests=max(change.peak_guests, 1),
            entries=change.entries,
            first_entry_at=change.first_entry_at,
            last_exit_at=change.last_exit_at,
            inside=True,
            cover_charge_minor=change.cover_charge_minor,
            currency=change.currency,
            created_at=now,
            updated_at=now,
        )
        table = table_of(ClubVisit)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["venue_id", "consumer_id", "night"],
                set_={
                    "entries": table.c.entries + insert.excluded.entries,
                    "first_entry_at": sa.func.least(
                        table.c.first_entry_at, insert.excluded.first_entry_at
                    ),
                    "last_exit_at": sa.func.greatest(
                        table.c.last_exit_at, insert.excluded.last_exit_at
                    ),
                    "cover_charge_minor": table.c.cover_charge_minor
                    + insert.excluded.cover_charge_minor,
                    "updated_at": now,
                },
            )
        )
        return True
    found = session.execute(
        sa.update(ClubVisit)
        .where(_key(change))
        .values(
            last_exit_at=sa.func.greatest(col(ClubVisit.last_exit_at), change.last_exit_at),
            updated_at=now,
        )
        .returning(col(ClubVisit.id))
    ).first()
    return found is not None


def refresh_presence(session: Session, *, change: DoorChange) -> None:
    """Set the visit's `inside` (any of the consumer's passes of the event inside
    now) and raise its `guests` to the batch's peak plus the guests of their other
    passes inside. Run after `record_door` (which holds the visit's lock) and after
    the batch's tickets are written."""
    mine = sa.and_(
        col(Booking.consumer_id) == change.consumer_id,
        col(Ticket.event_id) == change.event_id,
        col(Ticket.inside).is_(True),
    )
    inside_passes = (
        sa.select(col(Ticket.id))
        .join(Booking, col(Booking.id) == col(Ticket.booking_id))
        .where(mine)
    )
    others = (
        sa.select(sa.func.coalesce(sa.func.sum(col(Ticket.guests)), 0))
        .join(Booking, col(Booking.id) == col(Ticket.booking_id))
        .where(mine, col(Ticket.id).not_in(sorted(change.ticket_ids)))
        .scalar_subquery()
    )
    session.execute(
        sa.update(ClubVisit)
        .where(_key(change))
        .values(
            inside=sa.exists(inside_passes),
            guests=sa.func.greatest(col(ClubVisit.guests), others + change.peak_guests),
        )
    )


# --- reading ---------------------------------------------------------------------------


def spend_window() -> tuple[Any, Any]:
    """The visit's window (start, end) as SQL over `club_visit` joined to its `event`."""
    still_in = sa.or_(col(ClubVisit.inside).is_(True), col(ClubVisit.last_exit_at).is_(None))
    until = sa.case(
        (still_in, sa.func.greatest(col(Event.ends_at), col(ClubVisit.last_exit_at))),
        else_=col(ClubVisit.last_exit_at),
    )
    return col(ClubVisit.first_entry_at), until + SPEND_GRACE


@dataclass
class Spend:
    credit_minor: int = 0
    wallet_minor: int = 0
    gateway_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.credit_minor + self.wallet_minor + self.gateway_minor

    def add(self, other: Spend) -> None:
        self.credit_minor += other.credit_minor
        self.wallet_minor += other.wallet_minor
        self.gateway_minor += other.gateway_minor


def _family(venue: Any, visit_venue: Any) -> sa.ColumnElement[bool]:
    """`venue` is the visit's venue or one of its QSRs (a food court's)."""
    return sa.or_(venue.id == visit_venue, venue.food_court_id == visit_venue)


def _wallet_paid(subject: Any) -> Any:
    """Per order (or bill share): what captured wallet payments paid."""
    return (
        sa.select(subject.label("subject_id"), sa.func.sum(col(Payment.amount_minor)).label("paid"))
        .where(
            col(Payment.status) == PaymentStatus.CAPTURED,
            col(Payment.provider) == WALLET_PROVIDER,
            subject.is_not(None),
        )
        .group_by(subject)
        .subquery()
    )


def spend_of_visits(session: Session, *, visits: sa.ColumnElement[bool]) -> dict[uuid.UUID, Spend]:
    """What each visit matched by `visits` (a condition on `club_visit`) spent, by
    tender, in two queries: its prepaid orders (the visit's consumer placed them, at
    the venue or one of its QSRs; a food-court cart counts once, by its parent) and its
    paid shares of pay-at-the-end bills there. Cover credit is what `credit_minor`
    says; a captured `wallet` payment paid the wallet's part; the gateway the rest."""
    start, end = spend_window()
    spent: dict[uuid.UUID, Spend] = {}

    order_venue = aliased(Venue)
    wallet = _wallet_paid(col(Payment.order_id))
    owed = col(Order.total_minor) - col(Order.credit_minor)
    wallet_part = sa.func.least(sa.func.coalesce(wallet.c.paid, 0), owed)
    orders = session.execute(
        sa.select(
            col(ClubVisit.id),
            sa.func.sum(col(Order.credit_minor)),
            sa.func.sum(wallet_part),
            sa.func.sum(owed - wallet_part),
        )
        .select_from(ClubVisit)
        .join(Event, col(Event.id) == col(ClubVisit.event_id))
        .join(
            Order,
            sa.and_(
                col(Order.placed_by_id) == col(ClubVisit.consumer_id),
                col(Order.parent_id).is_(None),
                col(Order.status).not_in(NOT_SPENT),
                col(Order.placed_at) >= start,
                col(Order.placed_at) < end,
            ),
        )
        .join(
            order_venue,
            sa.and_(
                col(order_venue.id) == col(Order.venue_id),
                _family(order_venue, col(ClubVisit.venue_id)),
            ),
        )
        .outerjoin(TableSession, col(TableSession.id) == col(Order.session_id))
        .outerjoin(wallet, wallet.c.subject_id == col(Order.id))
        .where(
            visits,
            sa.or_(
                col(Order.session_id).is_(None),
                col(TableSession.payment_mode) == PaymentMode.PER_ORDER,
            ),
        )
        .group_by(col(ClubVisit.id))
    ).all()
    for visit_id, credit, by_wallet, gateway in orders:
        spent.setdefault(visit_id, Spend()).add(Spend(int(credit), int(by_wallet), int(gateway)))

    bill_venue = aliased(Venue)
    wallet = _wallet_paid(col(Payment.bill_share_id))
    owed = col(BillShare.amount_minor) - col(BillShare.credit_minor)
    wallet_part = sa.func.least(sa.func.coalesce(wallet.c.paid, 0), owed)
    shares = session.execute(
        sa.select(
            col(ClubVisit.id),
            sa.func.sum(col(BillShare.credit_minor)),
            sa.func.sum(wallet_part),
            sa.func.sum(owed - wallet_part),
        )
        .select_from(ClubVisit)
        .join(Event, col(Event.id) == col(ClubVisit.event_id))
        .join(
            BillShare,
            sa.and_(
                col(BillShare.payer_id) == col(ClubVisit.consumer_id),
                col(BillShare.status) == BillShareStatus.PAID,
                col(BillShare.paid_at) >= start,
                col(BillShare.paid_at) < end,
            ),
        )
        .join(Bill, col(Bill.id) == col(BillShare.bill_id))
        .join(
            bill_venue,
            sa.and_(
                col(bill_venue.id) == col(Bill.venue_id),
                _family(bill_venue, col(ClubVisit.venue_id)),
            ),
        )
        .outerjoin(wallet, wallet.c.subject_id == col(BillShare.id))
        .where(visits)
        .group_by(col(ClubVisit.id))
    ).all()
    for visit_id, credit, by_wallet, gateway in shares:
        spent.setdefault(visit_id, Spend()).add(Spend(int(credit), int(by_wallet), int(gateway)))
    return spent


def companions(session: Session, *, visit_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """For each visit, the names of the other consumers who shared a group with its
    consumer that night (both members by the window's end, neither gone before the
    first entry) and have a visit the same night at the same venue. One query."""
    if not visit_ids:
        return {}
    start, end = spend_window()
    mine, theirs = aliased(GroupMember), aliased(GroupMember)
    other_visit = aliased(ClubVisit)

    def member_then(member: Any) -> sa.ColumnElement[bool]:
        return sa.and_(
            member.joined_at <= end, sa.or_(member.left_at.is_(None), member.left_at >= start)
        )

    rows = session.execute(
        sa.select(col(ClubVisit.id), col(User.id), col(User.full_name))
        .select_from(ClubVisit)
        .join(Event, col(Event.id) == col(ClubVisit.event_id))
        .join(mine, sa.and_(col(mine.user_id) == col(ClubVisit.consumer_id), member_then(mine)))
        .join(
            theirs,
            sa.and_(
                col(theirs.group_id) == col(mine.group_id),
                col(theirs.user_id) != col(ClubVisit.consumer_id),
                member_then(theirs),
            ),
        )
        .join(
            other_visit,
            sa.and_(
                col(other_visit.consumer_id) == col(theirs.user_id),
                col(other_visit.venue_id) == col(ClubVisit.venue_id),
                col(other_visit.night) == col(ClubVisit.night),
            ),
        )
        .join(User, col(User.id) == col(theirs.user_id))
        .where(col(ClubVisit.id).in_(sorted(visit_ids)))
        .distinct()
        .order_by(col(ClubVisit.id), col(User.full_name), col(User.id))
    ).all()
    found: dict[uuid.UUID, list[str]] = {}
    for visit_id, _user_id, name in rows:
        found.setdefault(visit_id, []).append(name or "Socia guest")
    return found


@dataclass(frozen=True)
class VisitRow:
    visit: ClubVisit
    venue_name: str
    event_title: str


def _visit_row(row: AnyRow) -> VisitRow:
    return VisitRow(visit=row[0], venue_name=row[1], event_title=row[2])


def list_for_consumer(session: Session, *, user: User, page: PageParams) -> Page[VisitRow]:
    """The user's own visits, the newest night first."""
    statement = (
        sa.select(ClubVisit, col(Venue.name), col(Event.title))
        .join(Venue, col(Venue.id) == col(ClubVisit.venue_id))
        .join(Event, col(Event.id) == col(ClubVisit.event_id))
        .where(col(ClubVisit.consumer_id) == user.id)
        .order_by(
            col(ClubVisit.night).desc(),
            col(ClubVisit.first_entry_at).desc(),
            col(ClubVisit.id).desc(),
        )
    )
    return paginate(session, statement, page=page, item=_visit_row)


@dataclass(frozen=True)
class NightCounts:
    night: date
    visits: int
    guests: int
    cover_charge_minor: int
    returning_visits: int
    returning_guests: int


def _returning() -> sa.ColumnElement[bool]:
    earlier = aliased(ClubVisit)
    return sa.exists(
        sa.select(col(earlier.id)).where(
            col(earlier.venue_id) == col(ClubVisit.venue_id),
            col(earlier.consumer_id) == col(ClubVisit.consumer_id),
            col(earlier.night) < col(ClubVisit.night),
        )
    )


def _night_columns() -> list[Any]:
    returning = _returning()
    return [
        col(ClubVisit.night),
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(col(ClubVisit.guests)), 0),
        sa.func.coalesce(sa.func.sum(col(ClubVisit.cover_charge_minor)), 0),
        sa.func.count().filter(returning),
        sa.func.coalesce(sa.func.sum(col(ClubVisit.guests)).filter(returning), 0),
    ]


def _night_counts(row: AnyRow) -> NightCounts:
    return NightCounts(*(row[0], *(int(v) for v in row[1:6])))


def night_counts(session: Session, *, venue_id: uuid.UUID, night: date) -> NightCounts:
    row = session.execute(
        sa.select(*_night_columns())
        .where(col(ClubVisit.venue_id) == venue_id, col(ClubVisit.night) == night)
        .group_by(col(ClubVisit.night))
    ).first()
    return _night_counts(row) if row is not None else NightCounts(night, 0, 0, 0, 0, 0)


def nights(session: Session, *, venue_id: uuid.UUID, page: PageParams) -> Page[NightCounts]:
    """The venue's nights with visits, the newest first."""
    statement = (
        sa.select(*_night_columns())
        .where(col(ClubVisit.venue_id) == venue_id)
        .group_by(col(ClubVisit.night))
        .order_by(col(ClubVisit.night).desc())
    )
    return paginate(session, statement, page=page, item=_night_counts)


def night_events(
    session: Session, *, venue_id: uuid.UUID, starts_from: datetime, starts_before: datetime
) -> Sequence[Event]:
    """The venue's events starting within the night's bounds."""
    return (
        session.execute(
            sa.select(Event)
            .where(
                col(Event.venue_id) == venue_id,
                col(Event.starts_at) >= starts_from,
                col(Event.starts_at) < starts_before,
            )
            .order_by(col(Event.starts_at), col(Event.id))
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class CurvePoint:
    at: datetime
    entered: int
    exited: int
    inside: int


#: Buckets start on quarter hours (of UTC, and so of every zone on a quarter-hour offset).
_ORIGIN = sa.literal(datetime(2000, 1, 1, tzinfo=UTC), sa.DateTime(timezone=True))


def inside_curve(
    session: Session, *, event_ids: Collection[uuid.UUID], now: datetime
) -> list[CurvePoint]:
    """Guests inside through the night of these events, every 15 minutes (one query):
    each `ok` entry scan adds its pass's guests, each `ok` exit takes them away; a
    point is a 15-minute bucket starting at `at`, with the guests that came in and
    went out during it and those inside at its end. From the bucket of the first
    start or scan to that of the last scan or the end (not past now), at most 48
    hours."""
    if not event_ids:
        return []
    step = sa.literal(CURVE_STEP, sa.Interval())
    events = (
        sa.select(col(Event.starts_at), col(Event.ends_at))
        .where(col(Event.id).in_(sorted(event_ids)))
        .subquery("events")
    )
    delta = sa.case(
        (col(TicketScan.direction) == ScanDirection.ENTRY, col(Ticket.guests)),
        else_=-col(Ticket.guests),
    )
    moves = (
        sa.select(col(TicketScan.scanned_at).label("at"), delta.label("delta"))
        .join(Ticket, col(Ticket.id) == col(TicketScan.ticket_id))
        .where(
            col(TicketScan.event_id).in_(sorted(event_ids)),
            col(TicketScan.outcome) == ScanOutcome.OK,
        )
        .subquery("moves")
    )
    lo = sa.func.date_bin(
        step,
        sa.func.least(
            sa.select(sa.func.min(events.c.starts_at)).scalar_subquery(),
            sa.select(sa.func.min(moves.c.at)).scalar_subquery(),
        ),
        _ORIGIN,
    )
    hi = sa.func.greatest(
        sa.func.least(sa.select(sa.func.max(events.c.ends_at)).scalar_subquery(), now),
        sa.select(sa.func.max(moves.c.at)).scalar_subquery(),
    )
    span = sa.select(lo.label("lo"), hi.label("hi")).subquery("span")
    series = (
        sa.select(
            sa.func.generate_series(
                span.c.lo, sa.func.least(span.c.hi, span.c.lo + CURVE_MAX_SPAN), step
            ).label("at")
        )
        .select_from(span)
        .subquery("series")
    )
    bucket_at = sa.func.date_bin(step, moves.c.at, _ORIGIN)
    buckets = (
        sa.select(
            bucket_at.label("at"),
            sa.func.coalesce(sa.func.sum(moves.c.delta).filter(moves.c.delta > 0), 0).label("in"),
            sa.func.coalesce(-sa.func.sum(moves.c.delta).filter(moves.c.delta < 0), 0).label("out"),
        )
        .group_by(bucket_at)
        .subquery("buckets")
    )
    entered = sa.func.coalesce(buckets.c["in"], 0)
    exited = sa.func.coalesce(buckets.c.out, 0)
    rows = session.execute(
        sa.select(
            series.c.at,
            entered,
            exited,
            sa.func.sum(entered - exited).over(order_by=series.c.at),
        )
        .select_from(series)
        .outerjoin(buckets, buckets.c.at == series.c.at)
        .order_by(series.c.at)
    ).all()
    return [CurvePoint(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows]
