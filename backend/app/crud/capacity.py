"""What is left of an event's capacity pools, and taking places under their locks.

A pool's places are taken by every booking line whose offering draws from it
(quantity x the places one pass takes of that pool), for bookings that are
confirmed or held with a hold that has not expired at `now` (an expired hold
stops counting at once, before any job marks it expired). Writers lock the
pools they draw from with `lock_pools`, always in id order, so two bookings
never deadlock and never both take the last place.

Each pool has a count of the places its held and confirmed bookings take
(`CapacityPoolBooked`, kept by triggers, expired holds included until they are
marked); the count subtracts the holds that have expired since. It is written once,
in `_places_taken`: per pool for the readers here, and correlated to one pool row in
`offering_has_room`, which other queries (the poster feed) embed to ask "can one more
pass be sold?" without a round trip. A booking's lines change that count as they are
written, so a writer that takes places locks the pools (`lock_pools`) first.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.crud.common import AnySelect, row_exists
from app.models import Event, EventStatus, Venue, VenueStatus
from app.models.booking import (
    Booking,
    BookingItem,
    BookingStatus,
    CapacityPool,
    CapacityPoolBooked,
    Offering,
    OfferingPool,
    OfferingStatus,
)


def live_hold(now: Any) -> sa.ColumnElement[bool]:
    """The bookings held (unpaid) with a hold that has not expired at `now`."""
    return sa.and_(col(Booking.status) == BookingStatus.HELD, col(Booking.hold_expires_at) > now)


def takes_places(now: Any) -> sa.ColumnElement[bool]:
    """The bookings that count against capacity at `now`."""
    return sa.or_(col(Booking.status) == BookingStatus.CONFIRMED, live_hold(now))


def _lines_in(pool: Any) -> AnySelect:
    """The places booking lines take of `pool` (a pool row of the enclosing query), to
    be filtered by their bookings: a sum over `booking` x `booking_item` x `offering_pool`."""
    return (
        sa.select(
            sa.func.coalesce(
                sa.func.sum(col(BookingItem.quantity) * col(OfferingPool.places_per_pass)), 0
            )
        )
        .select_from(Booking)
        .join(BookingItem, col(BookingItem.booking_id) == col(Booking.id))
        .join(
            OfferingPool,
            sa.and_(
                col(OfferingPool.offering_id) == col(BookingItem.offering_id),
                col(OfferingPool.pool_id) == pool.id,
            ),
        )
    )


def _places_taken(*, now: Any, exclude_booking_id: Any, pool: Any) -> sa.ColumnElement[int]:
    """SQL: the places taken at `now` from `pool` (the entity or an alias of it, a row
    of the enclosing query), leaving out the booking `exclude_booking_id` when given.
    The one copy of the capacity rule in SQL.

    `capacity_pool_booked` holds the places of its held and confirmed bookings, kept by
    triggers (migration 0015); what is subtracted here are the holds that have expired
    and are not marked expired yet: a range of `ix_booking_held_hold_expires_at` as
    short as the expiry job's lag, never every booking of the event."""
    expired = (
        _lines_in(pool)
        .where(
            col(Booking.event_id) == pool.event_id,
            # A literal, not a parameter: a prepared statement's generic plan uses the
            # partial index only when the query's text implies its `status = 'held'`.
            col(Booking.status) == sa.literal_column(f"'{BookingStatus.HELD.value}'"),
            col(Booking.hold_expires_at) <= now,
        )
        .correlate(pool)
        .scalar_subquery()
    )
    booked = (
        sa.select(col(CapacityPoolBooked.booked))
        .where(col(CapacityPoolBooked.pool_id) == pool.id)
        .correlate(pool)
        .scalar_subquery()
    )
    taken: sa.ColumnElement[int] = booked - expired
    if exclude_booking_id is not None:
        own = (
            _lines_in(pool)
            .where(col(Booking.id) == exclude_booking_id, takes_places(now))
            .correlate(pool)
            .scalar_subquery()
        )
        taken = taken - own
    return taken


@cache
def _taken_per_pool(*, excluding: bool) -> AnySelect:
    """(places taken at `:now`, pool id) for the pools `:pool_ids`, leaving out the
    booking `:exclude_booking_id` when `excluding`. Built once: on the path of every
    booking, building it took longer than running it."""
    exclude: sa.BindParameter[Any] | None = (
        sa.bindparam("exclude_booking_id") if excluding else None
    )
    return sa.select(
        _places_taken(now=sa.bindparam("now"), exclude_booking_id=exclude, pool=CapacityPool),
        col(CapacityPool.id),
    ).where(col(CapacityPool.id).in_(sa.bindparam("pool_ids", expanding=True)))


def used_places(
    session: Session,
    *,
    pool_ids: Collection[uuid.UUID],
    now: datetime,
    exclude_booking_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, int]:
    """Places taken from each pool at `now` (0 for a pool nobody holds)."""
    if not pool_ids:
        return {}
    used = dict.fromkeys(pool_ids, 0)
    params: dict[str, Any] = {"pool_ids": list(pool_ids), "now": now}
    if exclude_booking_id is not None:
        params["exclude_booking_id"] = exclude_booking_id
    taken = _taken_per_pool(excluding=exclude_booking_id is not None)
    for places, pool_id in session.execute(taken, params):
        if places is None:  # every pool has its count (a trigger makes it with the pool)
            raise RuntimeError(f"capacity pool {pool_id} has no booked count")
        used[pool_id] = int(places)
    return used


@cache
def _taken_and_holds() -> AnySelect:
    """`_taken_per_pool(excluding=True)`, with the consumer's other live holds for the
    event on every row. Built once: it is counted on the path of every booking."""
    holds = (
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(
            col(Booking.event_id) == sa.bindparam("event_id"),
            col(Booking.consumer_id) == sa.bindparam("consumer_id"),
            live_hold(sa.bindparam("now")),
            col(Booking.id) != sa.bindparam("exclude_booking_id"),
        )
        .scalar_subquery()
    )
    return _taken_per_pool(excluding=True).add_columns(holds)


def count_for_booking(
    session: Session, *, booking: Booking, pool_ids: Collection[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, int], int]:
    """Under the pools' locks, in one statement: the places others take from each of
    `booking`'s pools at `now` (as `used_places` counts them, leaving the booking out),
    and how many other held bookings with a live hold its consumer has for its event
    (a bound on unpaid holds, counted under the same locks so that parallel requests of
    one consumer cannot all slip past it)."""
    params = {
        "pool_ids": list(pool_ids),
        "now": now,
        "exclude_booking_id": booking.id,
        "event_id": booking.event_id,
        "consumer_id": booking.consumer_id,
    }
    used = dict.fromkeys(pool_ids, 0)
    holds = 0
    for places, pool_id, live in session.execute(_taken_and_holds(), params):
        if places is None:  # every pool has its count (a trigger makes it with the pool)
            raise RuntimeError(f"capacity pool {pool_id} has no booked count")
        used[pool_id] = int(places)
        holds = int(live)
    return used, holds


def left_of(sizes: dict[uuid.UUID, int], used: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Places left in each pool (id -> size), given what is taken (never below zero)."""
    return {pool_id: max(size - used.get(pool_id, 0), 0) for pool_id, size in sizes.items()}


def locked_places_left(
    session: Session,
    *,
    pool_ids: Collection[uuid.UUID],
    now: datetime,
    exclude_booking_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, int]:
    """Lock the pools (id order, held to the commit), then count what is left: the
    count places are taken by. The count is a statement of its own, after the locks,
    so it sees what the previous holder committed."""
    sizes = lock_pools(session, pool_ids=pool_ids)
    used = used_places(session, pool_ids=pool_ids, now=now, exclude_booking_id=exclude_booking_id)
    return left_of(sizes, used)


def first_short(
    *,
    wanted: Iterable[tuple[uuid.UUID, int]],
    draws: dict[uuid.UUID, Draws],
    left: dict[uuid.UUID, int],
) -> tuple[uuid.UUID, int] | None:
    """Take (offering id, passes) in turn from `left`; the first offering that does
    not fit, with the passes it has left, or None when all fit."""
    for offering_id, quantity in wanted:
        offering_draws = draws.get(offering_id, {})
        available = passes_left(draws=offering_draws, left=left)
        if available < quantity:
            return offering_id, available
        for pool_id, per_pass in offering_draws.items():
            left[pool_id] -= per_pass * quantity
    return None


@cache
def _lock_pools_statement() -> AnySelect:
    return (
        sa.select(col(CapacityPool.id), col(CapacityPool.size))
        .where(col(CapacityPool.id).in_(sa.bindparam("pool_ids", expanding=True)))
        .order_by(col(CapacityPool.id))
        .with_for_update()
    )


def lock_pools(session: Session, *, pool_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Lock these pools for the rest of the transaction, in id order (never deadlocks);
    their sizes, by id in that order."""
    if not pool_ids:
        return {}
    rows = session.execute(_lock_pools_statement(), {"pool_ids": sorted(pool_ids)})
    return {pool_id: size for pool_id, size in rows}  # noqa: C416 (a Result is not a mapping)


Draws = dict[uuid.UUID, int]  # pool id -> places one pass takes from it


def draws_of_offerings(
    session: Session, *, offering_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Draws]:
    """The pools each offering draws from, with the places one pass takes of each."""
    draws: dict[uuid.UUID, Draws] = {offering_id: {} for offering_id in offering_ids}
    if not offering_ids:
        return draws
    rows = session.exec(
        select(OfferingPool).where(col(OfferingPool.offering_id).in_(list(offering_ids)))
    )
    for link in rows:
        draws[link.offering_id][link.pool_id] = link.places_per_pass
    return draws


def places_left(
    session: Session,
    *,
    event_id: uuid.UUID,
    now: datetime,
    exclude_booking_id: uuid.UUID | None = None,
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, Draws]]:
    """Places left in each of the event's pools, and what each of its offerings draws."""
    pools = list(session.exec(select(CapacityPool).where(CapacityPool.event_id == event_id)))
    used = used_places(
        session, pool_ids=[p.id for p in pools], now=now, exclude_booking_id=exclude_booking_id
    )
    left = left_of({p.id: p.size for p in pools}, used)
    offering_ids = list(session.exec(select(Offering.id).where(Offering.event_id == event_id)))
    return left, draws_of_offerings(session, offering_ids=offering_ids)


def passes_left(*, draws: Draws, left: dict[uuid.UUID, int]) -> int:
    """How many more passes of an offering can be sold: the least its pools have room
    for. An offering that draws from no pool sells nothing."""
    if not draws:
        return 0
    return min(left.get(pool_id, 0) // per_pass for pool_id, per_pass in draws.items())


def _taken_from(pool: Any, *, now: Any) -> sa.ColumnElement[int]:
    """SQL: the places taken at `now` from `pool` (an alias of a pool row of the
    enclosing query)."""
    return _places_taken(now=now, exclude_booking_id=None, pool=pool)


@dataclass(frozen=True)
class SaleOffering:
    """What a booking checks and takes of one offering (the columns, not the entity)."""

    id: uuid.UUID
    status: OfferingStatus
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    max_per_booking: int
    currency: str
    price_minor: int
    guests_per_pass: int
    cover_credit_minor: int


@dataclass(frozen=True)
class FirstLook:
    """An event, its venue and some of its offerings as a booking checks them, with
    the pools those offerings draw from and the places left in them: read together,
    without locks."""

    event_id: uuid.UUID
    event_status: EventStatus
    starts_at: datetime
    ends_at: datetime
    min_age: int | None
    venue_is_active: bool
    venue_status: VenueStatus
    venue_timezone: str
    #: The offerings asked for that are the event's (by id; others are missing).
    offerings: dict[uuid.UUID, SaleOffering]
    draws: dict[uuid.UUID, Draws]
    left: dict[uuid.UUID, int]


_SALE_OFFERING_COLUMNS = [f.name for f in fields(SaleOffering)]
#: The event's and venue's columns of a first look, in `FirstLook`'s field order.
_FACT_COLUMNS = (
    Event.id,
    Event.status,
    Event.starts_at,
    Event.ends_at,
    Event.min_age,
    Venue.is_active,
    Venue.status,
    Venue.timezone,
)
_FACT_FIELDS = [f.name for f in fields(FirstLook)][: len(_FACT_COLUMNS)]


@cache
def _first_look_statement() -> AnySelect:
    """Built once (see `_taken_per_pool`): one row per (offering, pool it draws from),
    an offering drawing from no pool on a row of its own, and the event alone on a row
    when none of the offerings asked for is its."""
    offering = aliased(Offering, name="look_offering")
    draw = aliased(OfferingPool, name="look_draw")
    pool = aliased(CapacityPool, name="look_pool")
    taken = _taken_from(pool, now=sa.bindparam("now"))
    return (
        sa.select(
            *(col(column) for column in _FACT_COLUMNS),
            *(getattr(offering, name) for name in _SALE_OFFERING_COLUMNS),
            col(draw.pool_id),
            col(draw.places_per_pass),
            col(pool.size) - taken,
        )
        .select_from(Event)
        .join(Venue, col(Venue.id) == col(Event.venue_id))
        .outerjoin(
            offering,
            sa.and_(
                col(offering.event_id) == col(Event.id),
                col(offering.id).in_(sa.bindparam("offering_ids", expanding=True)),
            ),
        )
        .outerjoin(draw, col(draw.offering_id) == col(offering.id))
        .outerjoin(pool, col(pool.id) == col(draw.pool_id))
        .where(col(Event.id) == sa.bindparam("event_id"))
    )


def first_look(
    session: Session,
    *,
    event_id: uuid.UUID,
    offering_ids: Collection[uuid.UUID],
    now: datetime,
) -> FirstLook | None:
    """The event (None when there is none), these of its offerings, what they draw
    from which pool and the places left in those pools at `now`, in one statement
    without locks: a first look. Never the count a booking takes places by: lock the
    pools first (`lock_pools`), then count in a NEW statement (`used_places`). A lock
    and a count in one statement would wait for the lock but count from the snapshot
    taken before the wait, missing what the previous holder committed (the
    concurrency tests oversold by 1-4 places of 50 that way)."""
    rows = session.execute(
        _first_look_statement(),
        {"event_id": event_id, "offering_ids": list(offering_ids), "now": now},
    ).all()
    if not rows:
        return None
    facts, width = len(_FACT_COLUMNS), len(_SALE_OFFERING_COLUMNS)
    offerings: dict[uuid.UUID, SaleOffering] = {}
    draws: dict[uuid.UUID, Draws] = {}
    left: dict[uuid.UUID, int] = {}
    for row in rows:
        values = row[facts : facts + width]
        pool_id, per_pass, places = row[facts + width :]
        if values[0] is None:  # none of the offerings asked for is the event's
            continue
        offering = offerings.get(values[0])
        if offering is None:
            offering = offerings[values[0]] = SaleOffering(*values)
            draws[offering.id] = {}
        if pool_id is not None:
            draws[offering.id][pool_id] = per_pass
            left[pool_id] = max(int(places), 0)
    event_and_venue = dict(zip(_FACT_FIELDS, rows[0][:facts], strict=True))
    return FirstLook(**event_and_venue, offerings=offerings, draws=draws, left=left)


def offering_has_room(offering: Any, *, now: Any) -> sa.ColumnElement[bool]:
    """SQL: one more pass of `offering` (an offering row of the enclosing query, the
    entity or an alias of it) fits at `now`, i.e. `passes_left(...) > 0` as
    `places_left` counts it: the offering draws from at least one pool, and every
    pool it draws from is one of its event's and has at least the places one pass
    takes of it left. `now` is a datetime or a bound parameter."""
    draw = aliased(OfferingPool, name="room_draw")
    pool = aliased(CapacityPool, name="room_pool")
    taken = _taken_from(pool, now=now)
    # Each draw's pool looked up by id (a join here is hashed over every pool).
    room_in_pool: AnySelect = (
        sa.select(sa.literal_column("1"))
        .select_from(pool)
        .where(
            col(pool.id) == col(draw.pool_id),
            col(pool.event_id) == offering.event_id,
            col(pool.size) - taken >= col(draw.places_per_pass),
        )
        .correlate(draw, offering)
    )
    draws: AnySelect = (
        sa.select(sa.literal_column("1"))
        .select_from(draw)
        .where(col(draw.offering_id) == offering.id)
        .correlate(offering)
    )
    return sa.and_(row_exists(draws), ~row_exists(draws.where(~row_exists(room_in_pool))))
