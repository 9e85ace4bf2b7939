"""The door: applying a batch of scans of an event's tickets, and attendance.

The door window: an entry is let in from `DOOR_OPENS_MINUTES_BEFORE` minutes before
the event starts (`not_open_yet` before that) until it ends (`event_over` from
`ends_at`); a cancelled event lets nobody in. Exits are taken at any time. The
window is judged at the scan's own time on the device (`scanned_at`, a time in the
future counting as now), so a scan made offline during the night and uploaded later
is judged as it happened.

Per ticket: an entry is `ok` unless the pass is inside (`already_inside`), or it
went out before and its offering does not allow re-entry (`no_reentry`); an exit is
`ok` for a pass that is inside (even one voided since: the guest is leaving), else
`not_inside`. A code that is not ours is `unknown` (recorded with no ticket); a
ticket of another event is `wrong_event`; a voided ticket, or a code issued before
it was voided, is `void`.

Every scan is recorded, refused ones too, with who, when, which gate and which
direction. A scan whose (event, client nonce) is already recorded is not applied
again: it answers the recorded outcome (`replayed`), so a device back online may
upload its scans twice. The batch's tickets are locked (`SELECT ... FOR UPDATE`, in
id order, so two batches never deadlock) while it is applied; its scans are applied
in the order they were scanned (`scanned_at`, then the order sent), and answered
in the order sent.

In the batch's transaction, a pass let in for the first time gets its included cover
credit (`app.services.cover_credit.grant_at_entry`: once per ticket, whatever the
races), and the `ok` scans keep their holders' club visits (`app.services.visits`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app.core.config import settings
from app.crud import cover_credit as cover_credit_crud
from app.crud import ticket as ticket_crud
from app.models import Event, EventStatus, User
from app.models.booking import (
    Offering,
    ScanDirection,
    ScanOutcome,
    Ticket,
    TicketScan,
    TicketStatus,
)
from app.schema.ticket import Attendance, ScanIn, ScanResult
from app.services import cover_credit as cover_credit_service
from app.services import visits as visits_service


def door_opens_at(event: Event) -> datetime:
    return event.starts_at - timedelta(minutes=settings.DOOR_OPENS_MINUTES_BEFORE)


@dataclass(frozen=True)
class _Named:
    """What a scanned code names: a ticket id and version, or nothing of ours."""

    ticket_id: uuid.UUID | None
    version: int


def _outcome(
    *,
    event: Event,
    ticket: Ticket | None,
    current: bool,
    offering: Offering | None,
    direction: ScanDirection,
    at: datetime,
) -> ScanOutcome:
    if ticket is None:
        return ScanOutcome.UNKNOWN
    if ticket.event_id != event.id:
        return ScanOutcome.WRONG_EVENT
    void = ticket.status == TicketStatus.VOID or not current
    if direction == ScanDirection.EXIT:
        if ticket.inside:
            return ScanOutcome.OK
        return ScanOutcome.VOID if void else ScanOutcome.NOT_INSIDE
    if void:
        return ScanOutcome.VOID
    if event.status == EventStatus.CANCELLED:
        return ScanOutcome.EVENT_CANCELLED
    if at < door_opens_at(event):
        return ScanOutcome.NOT_OPEN_YET
    if at >= event.ends_at:
        return ScanOutcome.EVENT_OVER
    if ticket.inside:
        return ScanOutcome.ALREADY_INSIDE
    if ticket.entered_at is not None and not (offering is not None and offering.reentry_allowed):
        return ScanOutcome.NO_REENTRY
    return ScanOutcome.OK


def _apply(ticket: Ticket, direction: ScanDirection, at: datetime) -> None:
    """Change the pass's state in memory only; `save_door_state` writes every changed
    ticket of the batch at the end, in one statement."""
    set_committed_value(ticket, "inside", direction == ScanDirection.ENTRY)
    if direction == ScanDirection.ENTRY and ticket.entered_at is None:
        set_committed_value(ticket, "entered_at", at)


def record_scans(
    session: Session,
    *,
    event: Event,
    staff: User,
    scans: Sequence[ScanIn],
    now: datetime | None = None,
) -> list[ScanResult]:
    """Apply and record a batch of scans at `event`'s door; one result per scan, in
    the order sent (see the module's docstring for the rules)."""
    now = now or datetime.now(UTC)
    named: list[_Named] = []
    for scan in scans:
        claims = ticket_crud.ticket_id_of(scan.token)
        named.append(_Named(*claims) if claims else _Named(None, 0))
    tickets = ticket_crud.lock_tickets(
        session, ticket_ids={n.ticket_id for n in named if n.ticket_id is not None}
    )
    offerings = ticket_crud.offerings(
        session, offering_ids={t.offering_id for t in tickets.values() if t.event_id == event.id}
    )
    recorded = ticket_crud.recorded_scans(
        session, event_id=event.id, nonces={scan.client_nonce for scan in scans}
    )
    results: dict[int, ScanResult] = {}
    changed: dict[uuid.UUID, Ticket] = {}
    first_entries: set[uuid.UUID] = set()  # let in for the first time by this batch
    moves: list[visits_service.DoorMove] = []  # the ok scans, in the order applied
    order = sorted(range(len(scans)), key=lambda i: (min(scans[i].scanned_at, now), i))
    for i in order:
        scan, name = scans[i], named[i]
        ticket = tickets.get(name.ticket_id) if name.ticket_id is not None else None
        offering = offerings.get(ticket.offering_id) if ticket is not None else None
        previous = recorded.get(scan.client_nonce)
        if previous is None:
            at = min(scan.scanned_at, now)
            outcome = _outcome(
                event=event,
                ticket=ticket,
                current=ticket is not None and name.version == ticket.token_version,
                offering=offering,
                direction=scan.direction,
                at=at,
            )
            row = TicketScan(
                event_id=event.id,
                ticket_id=ticket.id if ticket is not None else None,
                scanned_by_id=staff.id,
                client_nonce=scan.client_nonce,
                gate=scan.gate,
                direction=scan.direction,
                outcome=outcome,
                scanned_at=at,
                recorded_at=now,
            )
            if ticket_crud.record_scan(session, scan=row):
                if outcome == ScanOutcome.OK and ticket is not None:
                    if scan.direction == ScanDirection.ENTRY and ticket.entered_at is None:
                        first_entries.add(ticket.id)
                    moves.append(
                        visits_service.DoorMove(
                            ticket_id=ticket.id,
                            guests=ticket.guests,
                            direction=scan.direction,
                            at=at,
                            was_inside=ticket.inside,
                        )
                    )
                    _apply(ticket, scan.direction, at)
                    changed[ticket.id] = ticket
                recorded[scan.client_nonce] = row
                results[i] = _result(event, row, ticket, offering, replayed=False)
                continue
            # Recorded meanwhile by another upload of the same scan: answer that one.
            previous = ticket_crud.recorded_scan(
                session, event_id=event.id, nonce=scan.client_nonce
            )
            recorded[scan.client_nonce] = previous
        ticket = tickets.get(previous.ticket_id) if previous.ticket_id is not None else None
        offering = offerings.get(ticket.offering_id) if ticket is not None else None
        results[i] = _result(event, previous, ticket, offering, replayed=True)
    ticket_crud.save_door_state(session, tickets=changed.values(), now=now)
    if moves:
        passes = cover_credit_crud.passes(session, ticket_ids={m.ticket_id for m in moves})
        cover_credit_service.grant_at_entry(
            session, event=event, ticket_ids=first_entries, passes=passes, now=now
        )
        visits_service.record_door(
            session, event=event, moves=moves, first_entries=first_entries, passes=passes, now=now
        )
    return [results[i] for i in range(len(scans))]


def _result(
    event: Event,
    scan: TicketScan,
    ticket: Ticket | None,
    offering: Offering | None,
    *,
    replayed: bool,
) -> ScanResult:
    # Nothing about a ticket of another event is told at this door.
    ours = ticket is not None and ticket.event_id == event.id
    return ScanResult(
        client_nonce=scan.client_nonce,
        direction=scan.direction,
        outcome=scan.outcome,
        replayed=replayed,
        ticket_id=ticket.id if ours and ticket is not None else None,
        guests=ticket.guests if ours and ticket is not None else None,
        offering_name=offering.name if ours and offering is not None else None,
        inside=ticket.inside if ours and ticket is not None else None,
        scanned_at=scan.scanned_at,
        recorded_at=scan.recorded_at,
    )


def attendance(session: Session, *, event: Event) -> Attendance:
    return ticket_crud.attendance(session, event_id=event.id)
