"""Club visits: one guest's night at a venue, kept by the door, read by the guest and
by the venue.

- Which venues: every venue that hosts an event, not only nightclubs (an event at a
  restaurant or a food court is a night out too; the issue speaks of clubs because
  they are the ones with door scans today).
- The night of a scan is the local date (the venue's time zone) of its event's
  start, an event starting before 06:00 counting to the evening before (a night runs
  06:00 to 06:00, `app.core.timezones.night_of`). So several entries through one
  night are one visit, keyed by (venue, consumer, night); the consumer is the
  booking's, whoever of their guests walks in.
- Kept by the door in the scan's transaction (`record_door`): an `ok` entry upserts
  the visit (`entries` + 1, `inside`, the first entry the earliest seen); an `ok` exit
  sets `last_exit_at`; `inside` is whether any pass of theirs for the event is inside;
  `guests` is the most guests of their passes inside at once; `cover_charge_minor`
  adds each pass's unit price when the pass is let in for the first time (so once per
  pass, whatever the re-entries). When two events of one venue start the same night,
  the visit is one, and the door of each event keeps its presence by that event's
  passes.
- What a visit spent is computed on read (`app.crud.visit.spend_of_visits`): prepaid
  orders the guest placed at the venue (or its QSRs) and paid shares of
  pay-at-the-end bills there, from the first entry until one hour after the last
  exit (while inside, or never scanned out: one hour after the event's end).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.timezones import night_bounds, night_of
from app.crud import cover_credit as cover_credit_crud
from app.crud import visit as visit_crud
from app.models import Event, User, Venue
from app.models.booking import ScanDirection
from app.models.group import ClubVisit
from app.schema.common import Page, PageParams
from app.schema.visit import (
    InsidePoint,
    NightEvent,
    SpendByTender,
    VenueNightRead,
    VenueNightSummary,
    VisitRead,
)


@dataclass(frozen=True)
class DoorMove:
    """An `ok` scan the door applied: a pass going in or out."""

    ticket_id: uuid.UUID
    guests: int
    direction: ScanDirection
    at: datetime
    was_inside: bool  # the pass's state before this move


def record_door(
    session: Session,
    *,
    event: Event,
    moves: Sequence[DoorMove],
    first_entries: set[uuid.UUID],
    passes: dict[uuid.UUID, cover_credit_crud.PassCredit],
    now: datetime,
) -> None:
    """Keep the visits of a door batch's `ok` scans (in the order applied), after its
    tickets were written. Each consumer's visit is locked in consumer id order, so two
    batches never deadlock."""
    if not moves:
        return
    night = night_of(event.venue.timezone, event.starts_at)
    by_holder: dict[uuid.UUID, list[DoorMove]] = {}
    for move in moves:
        pass_ = passes.get(move.ticket_id)
        if pass_ is not None:
            by_holder.setdefault(pass_.holder_id, []).append(move)
    for holder_id in sorted(by_holder):
        mine = by_holder[holder_id]
        before: dict[uuid.UUID, DoorMove] = {}
        for move in mine:
            before.setdefault(move.ticket_id, move)
        running = sum(m.guests for m in before.values() if m.was_inside)
        peak = running
        for move in mine:
            running += move.guests if move.direction == ScanDirection.ENTRY else -move.guests
            peak = max(peak, running)
        entries = [m for m in mine if m.direction == ScanDirection.ENTRY]
        exits = [m for m in mine if m.direction == ScanDirection.EXIT]
        change = visit_crud.DoorChange(
            venue_id=event.venue_id,
            event_id=event.id,
            consumer_id=holder_id,
            night=night,
            currency=passes[mine[0].ticket_id].currency,
            entries=len(entries),
            cover_charge_minor=sum(
                passes[t].unit_price_minor for t in before if t in first_entries
            ),
            first_entry_at=min((m.at for m in entries), default=None),
            last_exit_at=max((m.at for m in exits), default=None),
            peak_guests=peak,
            ticket_ids=frozenset(before),
        )
        if visit_crud.record_door(session, change=change, now=now):
            visit_crud.refresh_presence(session, change=change)


def _tenders(spend: visit_crud.Spend) -> SpendByTender:
    return SpendByTender(
        credit_minor=spend.credit_minor,
        wallet_minor=spend.wallet_minor,
        gateway_minor=spend.gateway_minor,
        total_minor=spend.total_minor,
    )


def list_for_consumer(session: Session, *, user: User, page: PageParams) -> Page[VisitRead]:
    """The user's own visits, newest night first, each with what it spent by tender
    and who of their groups was there (three queries for the page)."""
    rows = visit_crud.list_for_consumer(session, user=user, page=page)
    ids = [row.visit.id for row in rows.items]
    spent = visit_crud.spend_of_visits(session, visits=col(ClubVisit.id).in_(ids)) if ids else {}
    there = visit_crud.companions(session, visit_ids=ids)
    items = [
        VisitRead(
            id=row.visit.id,
            venue_id=row.visit.venue_id,
            venue_name=row.venue_name,
            event_id=row.visit.event_id,
            event_title=row.event_title,
            night=row.visit.night,
            first_entry_at=row.visit.first_entry_at,
            last_exit_at=row.visit.last_exit_at,
            inside=row.visit.inside,
            entries=row.visit.entries,
            guests=row.visit.guests,
            cover_charge_minor=row.visit.cover_charge_minor,
            currency=row.visit.currency,
            spend=_tenders(spent.get(row.visit.id, visit_crud.Spend())),
            group_members_there=there.get(row.visit.id, []),
        )
        for row in rows.items
    ]
    return Page(items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


def _summary(counts: visit_crud.NightCounts) -> VenueNightSummary:
    return VenueNightSummary(
        night=counts.night,
        visits=counts.visits,
        guests=counts.guests,
        new_visits=counts.visits - counts.returning_visits,
        returning_visits=counts.returning_visits,
        new_guests=counts.guests - counts.returning_guests,
        returning_guests=counts.returning_guests,
        cover_charge_minor=counts.cover_charge_minor,
    )


def current_night(venue: Venue, *, now: datetime | None = None) -> date:
    return night_of(venue.timezone, now or datetime.now(UTC))


def venue_night(
    session: Session, *, venue: Venue, night: date, now: datetime | None = None
) -> VenueNightRead:
    """The venue's night: its visits' guests (new and returning: a returning guest
    had a visit here on an earlier night), cover charge, spend by tender and per head,
    and the inside-now curve of its events' door scans."""
    now = now or datetime.now(UTC)
    counts = visit_crud.night_counts(session, venue_id=venue.id, night=night)
    spent = visit_crud.Spend()
    if counts.visits:
        visits = sa.and_(col(ClubVisit.venue_id) == venue.id, col(ClubVisit.night) == night)
        for spend in visit_crud.spend_of_visits(session, visits=visits).values():
            spent.add(spend)
    starts_from, starts_before = night_bounds(venue.timezone, night)
    events = visit_crud.night_events(
        session, venue_id=venue.id, starts_from=starts_from, starts_before=starts_before
    )
    curve = visit_crud.inside_curve(session, event_ids=[e.id for e in events], now=now)
    summary = _summary(counts)
    return VenueNightRead(
        **summary.model_dump(),
        venue_id=venue.id,
        currency=venue.currency,
        events=[
            NightEvent(id=e.id, title=e.title, starts_at=e.starts_at, ends_at=e.ends_at)
            for e in events
        ],
        spend=_tenders(spent),
        spend_per_head_minor=spent.total_minor // counts.guests if counts.guests else 0,
        inside_curve=[
            InsidePoint(at=p.at, entered=p.entered, exited=p.exited, inside=p.inside) for p in curve
        ],
    )


def venue_nights(session: Session, *, venue: Venue, page: PageParams) -> Page[VenueNightSummary]:
    """The venue's nights with visits, newest first, with their counts."""
    rows = visit_crud.nights(session, venue_id=venue.id, page=page)
    return Page(
        items=[_summary(r) for r in rows.items],
        total=rows.total,
        limit=rows.limit,
        offset=rows.offset,
    )
