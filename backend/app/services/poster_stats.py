"""Poster impressions and taps: counting the batches the app sends, and pruning what
can no longer matter. crud/poster.py holds the queries; this module holds the rules.

The reporting endpoint is public, so counting resists inflation the way table scan
counts do (`qr.counts_as_scan`): limits per client address that stop counting,
never refuse (the batch is still answered 200, the events over a limit are
`ignored`):

- at most one impression and one tap per client address per poster in
  `POSTER_EVENT_WINDOW_SECONDS` (the earliest of a batch is the one counted), and
- at most `POSTER_EVENTS_COUNTED_PER_IP` events counted per client address.

The window is on arrival, not on the `occurred_at` the client claims (which it can
forge). Many people behind one address (a carrier's shared address) count as one
client: the trade-off that makes fresh event ids from one script worthless.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from app.core import geo_index, ratelimit
from app.core.config import settings
from app.crud import poster as poster_crud
from app.models.base import utcnow
from app.models.poster import PosterInteraction
from app.schema.poster import PosterEventBatch, PosterEventBatchResult, PosterEventIn

# Impressions and taps older than this are not counted (a device that was offline long).
COUNTING_WINDOW = timedelta(days=30)
# ... nor those dated further ahead than this (a device clock that is a little fast is fine).
MAX_CLOCK_AHEAD = timedelta(minutes=5)
# A receipt dedupes retries of events that can still be counted: an event is received at
# most MAX_CLOCK_AHEAD before it occurred, and refused COUNTING_WINDOW after, so a receipt
# older than this can no longer match anything countable (one day to spare).
RECEIPTS_KEPT = COUNTING_WINDOW + MAX_CLOCK_AHEAD + timedelta(days=1)
# The geo cells of a poster that expired longer ago than this are pruned (not the poster).
EXPIRED_CELLS_KEPT = timedelta(days=7)


def _within_client_limits(events: Sequence[PosterEventIn], client: str) -> list[PosterEventIn]:
    """The events this client address may still have counted (see the module's doc)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.id))
    window = settings.POSTER_EVENT_WINDOW_SECONDS
    if window:
        first: dict[tuple[uuid.UUID, PosterInteraction], PosterEventIn] = {}
        for event in ordered:
            first.setdefault((event.poster_id, event.kind), event)
        once = f"1 per {window} seconds"
        ordered = [
            event
            for (poster_id, kind), event in sorted(first.items(), key=lambda item: item[1].id)
            if ratelimit.allow("poster-event-once", f"{client}|{poster_id}|{kind.value}", once)
        ]
        ordered.sort(key=lambda e: (e.occurred_at, e.id))
    granted = ratelimit.take(
        "poster-events-counted-ip", client, settings.POSTER_EVENTS_COUNTED_PER_IP, len(ordered)
    )
    return ordered[:granted]


def record_events(
    session: Session,
    *,
    batch: PosterEventBatch,
    client: str | None,
    now: datetime | None = None,
) -> PosterEventBatchResult:
    """Count a batch of impressions and taps, each client event id once ever.

    `client` is the sender's address, whose limits apply (None: a trusted caller,
    unlimited). Events of unknown posters, dated outside [now - COUNTING_WINDOW, now
    + MAX_CLOCK_AHEAD], or over the client's limits are ignored (counted in
    `ignored`, no receipt kept). Event ids already received are `duplicates` (and use
    up none of the client's limits). The receipt insert decides atomically which
    events are new, even when the same batch is retried concurrently. A day is the
    poster's venue's local date.
    """
    now = now or utcnow()
    zones = poster_crud.zones_of_posters(
        session, poster_ids={event.poster_id for event in batch.events}
    )
    oldest, newest = now - COUNTING_WINDOW, now + MAX_CLOCK_AHEAD
    countable = [
        event
        for event in batch.events
        if event.poster_id in zones and oldest <= event.occurred_at <= newest
    ]
    seen = poster_crud.received_event_ids(session, ids=[event.id for event in countable])
    duplicates = len(seen)
    fresh = [event for event in countable if event.id not in seen]
    if client is not None:
        fresh = _within_client_limits(fresh, client)
    inserted = poster_crud.add_receipts(session, events=fresh, now=now)
    new = [event for event in fresh if event.id in inserted]
    duplicates += len(fresh) - len(new)  # received meanwhile by a concurrent retry

    daily: dict[tuple[uuid.UUID, date], list[int]] = defaultdict(lambda: [0, 0])
    areas: dict[tuple[uuid.UUID, date, int], list[int]] = defaultdict(lambda: [0, 0])
    for event in new:
        day = min(event.occurred_at, now).astimezone(zones[event.poster_id]).date()
        slot = 0 if event.kind == PosterInteraction.IMPRESSION else 1
        daily[(event.poster_id, day)][slot] += 1
        if event.lat is not None and event.lng is not None:
            area = geo_index.area_cell(event.lat, event.lng)
            areas[(event.poster_id, day, area)][slot] += 1
    poster_crud.add_counts(
        session,
        daily={key: (i, t) for key, (i, t) in daily.items()},
        areas={key: (i, t) for key, (i, t) in areas.items()},
    )
    return PosterEventBatchResult(
        accepted=len(new),
        duplicates=duplicates,
        ignored=len(batch.events) - len(new) - duplicates,
    )


@dataclass(frozen=True)
class Pruned:
    """What `prune` removed."""

    receipts: int
    cells: int
    posters: int  # whose cells were removed
    receipts_before: datetime
    expired_before: datetime


def prune(
    session: Session,
    *,
    now: datetime | None = None,
    expired_cells_kept: timedelta = EXPIRED_CELLS_KEPT,
) -> Pruned:
    """Delete what can no longer matter; safe to run at any time, and again.

    - event receipts received before `now - RECEIPTS_KEPT`: the events they could
      dedupe are older than the counting window and refused anyway;
    - the geo cells of posters that expired before `now - expired_cells_kept` (the
      posters and their counts stay; extending one writes its cells again).

    A poster locked by a request in progress (an update, a venue move) is skipped,
    never waited for: the next run takes it.
    """
    now = now or utcnow()
    receipts_before = now - RECEIPTS_KEPT
    expired_before = now - expired_cells_kept
    receipts = poster_crud.delete_receipts(session, received_before=receipts_before)
    deleted = poster_crud.delete_cells_of_expired(session, expired_before=expired_before)
    return Pruned(
        receipts=receipts,
        cells=len(deleted),
        posters=len(set(deleted)),
        receipts_before=receipts_before,
        expired_before=expired_before,
    )
