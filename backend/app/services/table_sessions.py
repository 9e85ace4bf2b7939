"""Table sessions: everyone who scans one table's code shares its open session.

- `open_or_join` resolves the scanned code, opens the table's session or finds the
  one open (one per table, whatever the races: see `app.crud.table_session`), and
  adds the caller as a member or renews their `joined_at`.
- `require_member_for_order` is the rule an order on a session obeys: the caller
  joined it within `ORDER_SESSION_JOIN_HOURS` and, when the app sends its position,
  is within `ORDER_MAX_DISTANCE_METRES` of the venue.
- Staff move a session to another free table of the venue, merge one into another
  (its orders and members move; it closes with reason `merged`) and close one.
  Each takes the sessions' row locks (in id order when two).

Every change goes to the live log (`app.crud.live.record`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.core.config import settings
from app.core.errors import (
    BillIssued,
    NotFound,
    SessionJoinExpired,
    SessionMergeRefused,
    SessionNotSettled,
    TableNotFree,
    TableSessionClosed,
    TooFarFromVenue,
)
from app.core.geo import haversine_m
from app.crud import bill as bill_crud
from app.crud import live
from app.crud import order as order_crud
from app.crud import table as table_crud
from app.crud import table_session as session_crud
from app.models import User, Venue
from app.models.order import (
    BillStatus,
    LiveEventKind,
    Order,
    SessionCloseReason,
    TableSession,
    TableSessionMember,
    TableSessionStatus,
)
from app.models.table import VenueTable
from app.models.venue import PaymentMode


def _now() -> datetime:
    return datetime.now(UTC)


def check_distance(venue: Venue, *, point: tuple[float, float] | None) -> None:
    """Refuse a position farther than `ORDER_MAX_DISTANCE_METRES` from the venue."""
    if point is None:
        return
    distance = haversine_m(point[0], point[1], venue.latitude, venue.longitude)
    if distance > settings.ORDER_MAX_DISTANCE_METRES:
        raise TooFarFromVenue(
            {
                "message": TooFarFromVenue.message,
                "distance_m": round(distance),
                "max_distance_m": settings.ORDER_MAX_DISTANCE_METRES,
            }
        )


def _event(session: Session, *, table_session: TableSession, what: str, **data: object) -> None:
    live.record(
        session,
        kind=LiveEventKind.SESSION,
        venue_id=table_session.venue_id,
        session_id=table_session.id,
        data={
            "event": what,
            "session_id": str(table_session.id),
            "table_id": str(table_session.table_id),
            "status": table_session.status.value,
            **data,
        },
    )


def open_or_join(
    session: Session, *, token: str, user: User, point: tuple[float, float] | None
) -> TableSession:
    """Open the scanned table's session or join the open one (see the module's doc)."""
    table, venue = table_crud.resolve_token(session, token=token)
    check_distance(venue, point=point)
    table_session, opened = session_crud.open_or_get(
        session, table=table, venue=venue, opened_by_id=user.id
    )
    session_crud.join(session, table_session=table_session, user_id=user.id)
    _event(
        session,
        table_session=table_session,
        what="opened" if opened else "joined",
        user_id=str(user.id),
    )
    return table_session


def _check_recent(member: TableSessionMember) -> None:
    if member.joined_at < _now() - timedelta(hours=settings.ORDER_SESSION_JOIN_HOURS):
        raise SessionJoinExpired(
            {
                "message": SessionJoinExpired.message,
                "joined_at": member.joined_at.isoformat(),
                "join_hours": settings.ORDER_SESSION_JOIN_HOURS,
            }
        )


def require_recent_member(session: Session, *, table_session_id: uuid.UUID, user: User) -> None:
    """The user joined the session recently enough to act on its bill (asking for it,
    paying a share), as for ordering: someone who sat there hours ago (or scanned a
    photographed code once) cannot freeze or hold up the table's tab."""
    member = session_crud.membership(session, session_id=table_session_id, user_id=user.id)
    if member is None:
        raise NotFound("table session")
    _check_recent(member)


def require_member_for_order(
    session: Session,
    *,
    table_session_id: uuid.UUID,
    user: User,
    point: tuple[float, float] | None,
) -> tuple[TableSession, Venue]:
    """The session an order is placed on: a member's own (anyone else: 404), open,
    joined recently enough, near enough. Not locked here (the gateway is called after
    this and before any lock): `app.services.orders` locks it FOR SHARE before writing
    the order, and looks again."""
    member = session_crud.membership(session, session_id=table_session_id, user_id=user.id)
    if member is None:
        raise NotFound("table session")
    table_session = session_crud.get(session, session_id=table_session_id)
    if table_session.status is not TableSessionStatus.OPEN:
        raise TableSessionClosed()
    _check_recent(member)
    venue = session.get(Venue, table_session.venue_id)
    assert venue is not None
    check_distance(venue, point=point)
    return table_session, venue


# --- staff -----------------------------------------------------------------------------


def _locked_open(session: Session, *, table_session: TableSession) -> TableSession:
    locked = session_crud.lock(session, session_id=table_session.id)
    if locked.status is not TableSessionStatus.OPEN:
        raise TableSessionClosed()
    return locked


def move(
    session: Session, *, table_session: TableSession, table_id: uuid.UUID, by: User
) -> TableSession:
    """Move an open session to another active table of its venue that has none open."""
    locked = _locked_open(session, table_session=table_session)
    table = session.get(VenueTable, table_id)
    if table is None or table.venue_id != locked.venue_id or not table.is_active:
        raise NotFound("table")
    if table.id == locked.table_id:
        return locked
    if session_crud.get_open_for_table(session, table_id=table.id) is not None:
        raise TableNotFree()
    before = locked.table_id
    try:
        with session.begin_nested():
            locked.table_id = table.id
            session.add(locked)
            session.flush()
    except IntegrityError as exc:  # opened there at this very moment
        session.refresh(locked)
        raise TableNotFree() from exc
    _event(session, table_session=locked, what="moved", from_table_id=str(before), by=str(by.id))
    return locked


def merge(
    session: Session, *, table_session: TableSession, into_session_id: uuid.UUID, by: User
) -> TableSession:
    """Merge `table_session` into another open session of the same venue: its orders
    and members move there, and it closes (reason `merged`). Returns the target."""
    if into_session_id == table_session.id:
        raise SessionMergeRefused(
            {
                "message": "A session cannot be merged into itself",
                "session_id": str(into_session_id),
            }
        )
    target = session_crud.get_for_venue(
        session, session_id=into_session_id, venue_id=table_session.venue_id
    )
    first, second = sorted([table_session, target], key=lambda s: s.id)
    locked = {s.id: _locked_open(session, table_session=s) for s in (first, second)}
    source, target = locked[table_session.id], locked[target.id]
    if source.payment_mode is not target.payment_mode:
        raise SessionMergeRefused(
            {"message": "The two sessions pay differently (per order, at the end)"}
        )
    modes = {order_crud.session_tax_mode(session, session_id=s.id) for s in (source, target)}
    if len(modes - {None}) > 1:
        raise SessionMergeRefused(
            {"message": "The two sessions' orders were priced differently (with, without tax)"}
        )
    for each in (source, target):
        if session_crud.open_bill(session, session_id=each.id) is not None:
            raise BillIssued({"message": BillIssued.message, "session_id": str(each.id)})
    session.execute(
        sa.update(Order).where(col(Order.session_id) == source.id).values(session_id=target.id)
    )
    session_crud.move_members(session, source_id=source.id, target_id=target.id)
    session.expire_all()
    source = session_crud.lock(session, session_id=source.id)
    session_crud.close(
        session,
        table_session=source,
        reason=SessionCloseReason.MERGED,
        by_id=by.id,
        at=_now(),
        merged_into_id=target.id,
    )
    _event(session, table_session=source, what="merged", into_session_id=str(target.id))
    target = session_crud.lock(session, session_id=target.id)
    _event(session, table_session=target, what="merged_in", from_session_id=str(source.id))
    return target


def close(session: Session, *, table_session: TableSession, by: User | None) -> TableSession:
    """Close an open session (staff). A pay-at-the-end session whose orders are not paid
    stays open: its bill is asked for and paid first (or its orders rejected before a
    bill is issued), so no tab is lost."""
    locked = _locked_open(session, table_session=table_session)
    if locked.payment_mode is PaymentMode.AT_END:
        bill = bill_crud.live_for_session(session, session_id=locked.id)
        unpaid = (
            bill.status is not BillStatus.PAID
            if bill is not None
            else bool(bill_crud.billable_lines(session, session_id=locked.id))
        )
        if unpaid:
            raise SessionNotSettled(
                {
                    "message": SessionNotSettled.message,
                    "bill_id": str(bill.id) if bill is not None else None,
                }
            )
    session_crud.close(
        session,
        table_session=locked,
        reason=SessionCloseReason.STAFF,
        by_id=by.id if by is not None else None,
        at=_now(),
    )
    _event(session, table_session=locked, what="closed", reason=SessionCloseReason.STAFF.value)
    return locked


def settle(session: Session, *, table_session_id: uuid.UUID) -> TableSession:
    """Close a session whose bill is paid (reason `settled`): for the bills work to call."""
    locked = session_crud.lock(session, session_id=table_session_id)
    if locked.status is TableSessionStatus.OPEN:
        session_crud.close(
            session, table_session=locked, reason=SessionCloseReason.SETTLED, by_id=None, at=_now()
        )
        _event(
            session, table_session=locked, what="closed", reason=SessionCloseReason.SETTLED.value
        )
    return locked
