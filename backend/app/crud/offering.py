"""What an event sells: its offerings and capacity pools, as its team manages them and
as anyone reads them.

Every change first locks the event row (`FOR NO KEY UPDATE`: it waits for a
cancellation and for another change of the same event's offerings, but not for
bookings, whose rows only take a key-share lock on the event) and refuses a
cancelled or finished event. What is left of a pool comes from `app.crud.capacity`
only; a pool is resized, and an offering's draws changed, under that module's pool
locks, so no booking can take a place between the check and the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core.errors import (
    EventCancelled,
    EventOver,
    InvalidSaleWindow,
    OfferingHasSales,
    OfferingLimit,
    OfferingRetired,
    OrderMismatch,
    PoolBelowTaken,
    PoolInUse,
    PoolLimit,
    PoolNameTaken,
    PoolNotOfEvent,
)
from app.crud import capacity
from app.crud import event as event_crud
from app.crud.common import AnySelect, get_or_404, row_exists
from app.models import Event, EventStatus
from app.models.booking import (
    BookingItem,
    CapacityPool,
    Offering,
    OfferingPool,
    OfferingStatus,
)
from app.schema.offering import (
    MAX_OFFERINGS_PER_EVENT,
    MAX_POOLS_PER_EVENT,
    DrawRead,
    OfferingCreate,
    OfferingPublic,
    OfferingRead,
    OfferingUpdate,
    PoolCreate,
    PoolDraw,
    PoolRead,
    PoolUpdate,
    check_sale_window,
)


def _now() -> datetime:
    return datetime.now(UTC)


# --- the event's lock and state ----------------------------------------------------------


def lock_event_for_changes(session: Session, *, event: Event) -> Event:
    """Lock the event row against cancellation and other changes of what it sells,
    and refuse an event that is cancelled or over."""
    session.refresh(event, with_for_update={"key_share": True})
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled("The event is cancelled; what it sells can no longer change")
    if event_crud.is_over(event):
        raise EventOver("The event is over; what it sold can no longer change")
    return event


def on_sale(
    offering: Offering, *, event_status: EventStatus, event_ends_at: datetime, now: datetime
) -> bool:
    """Whether the offering can be bought at `now`: active, the event scheduled and not
    over, and `now` within its sale window (an open end is no limit)."""
    return (
        offering.status == OfferingStatus.ACTIVE
        and event_status == EventStatus.SCHEDULED
        and event_ends_at > now
        and (offering.sale_starts_at is None or offering.sale_starts_at <= now)
        and (offering.sale_ends_at is None or now < offering.sale_ends_at)
    )


def still_sold(offering: Any, *, now: Any) -> sa.ColumnElement[bool]:
    """SQL: the offering is still sold at `now`: active and its sale not ended (on sale
    now, or opening later), as `services.bookings` decides a late payment may still
    confirm. Hidden and retired offerings are not sold; neither is one whose sale has
    closed."""
    return sa.and_(
        offering.status == OfferingStatus.ACTIVE.value,
        sa.or_(offering.sale_ends_at.is_(None), offering.sale_ends_at > now),
    )


def event_sold_out(event_id: Any, *, now: Any) -> sa.ColumnElement[bool]:
    """SQL: the event (`event_id`, a column of the enclosing query) is sold out at `now`.

    Sold out: the event still sells at least one offering (`still_sold`: active,
    its sale not closed) and none of those has room for one more pass
    (`capacity.offering_has_room`: the least left in its pools, holds counted until
    they expire). An event selling nothing (no offering, only hidden or retired ones,
    or every sale closed) is not sold out: there is nothing to run out of. An
    offering whose sale opens later counts: while it has room, more passes are
    coming; when it shares a full pool, it has none either. Whether the event is
    cancelled or over is another question (see `crud.poster`)."""
    sold = aliased(Offering, name="sold")
    sellable: AnySelect = sa.select(sa.literal_column("1")).where(
        col(sold.event_id) == event_id, still_sold(sold, now=now)
    )
    return sa.and_(
        row_exists(sellable),
        ~row_exists(sellable.where(capacity.offering_has_room(sold, now=now))),
    )


# --- pools -------------------------------------------------------------------------------


def _pools_of(session: Session, *, event_id: uuid.UUID) -> list[CapacityPool]:
    return list(
        session.exec(
            select(CapacityPool)
            .where(CapacityPool.event_id == event_id)
            .order_by(col(CapacityPool.name), col(CapacityPool.id))
        )
    )


def _pool_read(pool: CapacityPool, taken: int) -> PoolRead:
    return PoolRead(
        id=pool.id,
        event_id=pool.event_id,
        name=pool.name,
        size=pool.size,
        taken=taken,
        left=max(pool.size - taken, 0),
        created_at=pool.created_at,
        updated_at=pool.updated_at,
    )


def list_pools(session: Session, *, event: Event) -> list[PoolRead]:
    """The event's pools by name, each with the places taken and left (two queries)."""
    pools = _pools_of(session, event_id=event.id)
    used = capacity.used_places(session, pool_ids=[p.id for p in pools], now=_now())
    return [_pool_read(pool, used[pool.id]) for pool in pools]


def get_pool(session: Session, *, event: Event, pool_id: uuid.UUID) -> CapacityPool:
    return get_or_404(session, CapacityPool, pool_id, what="pool", event_id=event.id)


def pool_view(session: Session, *, pool: CapacityPool) -> PoolRead:
    used = capacity.used_places(session, pool_ids=[pool.id], now=_now())
    return _pool_read(pool, used[pool.id])


def _pool_name_taken(
    session: Session, *, event_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None
) -> bool:
    statement = select(CapacityPool.id).where(
        CapacityPool.event_id == event_id, CapacityPool.name == name
    )
    if except_id is not None:
        statement = statement.where(col(CapacityPool.id) != except_id)
    return session.exec(statement).first() is not None


def create_pool(session: Session, *, event: Event, data: PoolCreate) -> CapacityPool:
    lock_event_for_changes(session, event=event)
    count = session.execute(
        sa.select(sa.func.count()).where(col(CapacityPool.event_id) == event.id)
    ).scalar_one()
    if count >= MAX_POOLS_PER_EVENT:
        raise PoolLimit(f"An event may have at most {MAX_POOLS_PER_EVENT} capacity pools")
    if _pool_name_taken(session, event_id=event.id, name=data.name):
        raise PoolNameTaken(f"This event already has a pool called {data.name!r}")
    pool = CapacityPool(event_id=event.id, name=data.name, size=data.size)
    session.add(pool)
    session.flush()
    return pool


def update_pool(
    session: Session, *, event: Event, pool: CapacityPool, data: PoolUpdate
) -> CapacityPool:
    """Rename or resize a pool; it may not shrink below the places already taken."""
    lock_event_for_changes(session, event=event)
    changes = data.model_dump(exclude_unset=True)
    name = changes.get("name")
    if name is not None and _pool_name_taken(
        session, event_id=event.id, name=name, except_id=pool.id
    ):
        raise PoolNameTaken(f"This event already has a pool called {name!r}")
    size = changes.get("size")
    if size is not None and size < pool.size:
        # Under the pool's lock no booking takes a place until this commits.
        capacity.lock_pools(session, pool_ids=[pool.id])
        taken = capacity.used_places(session, pool_ids=[pool.id], now=_now())[pool.id]
        if size < taken:
            raise PoolBelowTaken(
                {
                    "message": f"{taken} places of this pool are taken; it cannot shrink to {size}",
                    "size": size,
                    "taken": taken,
                }
            )
    for key, value in changes.items():
        setattr(pool, key, value)
    session.add(pool)
    session.flush()
    return pool


def delete_pool(session: Session, *, event: Event, pool: CapacityPool) -> None:
    """Delete a pool no offering draws from."""
    lock_event_for_changes(session, event=event)
    drawn_by = session.execute(
        sa.select(sa.func.count()).where(col(OfferingPool.pool_id) == pool.id)
    ).scalar_one()
    if drawn_by:
        raise PoolInUse(
            {
                "message": f"{drawn_by} offering(s) draw from this pool; "
                "take it off them before deleting it",
                "offerings": drawn_by,
            }
        )
    session.delete(pool)
    session.flush()


# --- offerings: reading --------------------------------------------------------------------


def _offerings_of(
    session: Session, *, event_id: uuid.UUID, status: OfferingStatus | None = None
) -> list[Offering]:
    statement = select(Offering).where(Offering.event_id == event_id)
    if status is not None:
        statement = statement.where(Offering.status == status)
    return list(session.exec(statement.order_by(col(Offering.position), col(Offering.id))))


def _fields(offering: Offering, *, sellable: bool, available: int) -> dict[str, Any]:
    return {
        "id": offering.id,
        "event_id": offering.event_id,
        "name": offering.name,
        "description": offering.description,
        "kind": offering.kind,
        "price_minor": offering.price_minor,
        "currency": offering.currency,
        "guests_per_pass": offering.guests_per_pass,
        "cover_credit_minor": offering.cover_credit_minor,
        "sale_starts_at": offering.sale_starts_at,
        "sale_ends_at": offering.sale_ends_at,
        "max_per_booking": offering.max_per_booking,
        "reentry_allowed": offering.reentry_allowed,
        "position": offering.position,
        "on_sale": sellable,
        "available": available,
    }


def _team_views(
    session: Session, *, event: Event, offerings: Sequence[Offering]
) -> list[OfferingRead]:
    """Offerings with their pools' size, taken and left (three queries, any number)."""
    now = _now()
    pools = {pool.id: pool for pool in _pools_of(session, event_id=event.id)}
    used = capacity.used_places(session, pool_ids=list(pools), now=now)
    left = capacity.left_of({pool_id: pool.size for pool_id, pool in pools.items()}, used)
    draws = capacity.draws_of_offerings(session, offering_ids=[o.id for o in offerings])
    views = []
    for offering in offerings:
        # Only the event's own pools (the API never links another's; `passes_left`
        # counts any other as empty).
        drawn = draws[offering.id]
        shown = sorted(
            ((pool_id, n) for pool_id, n in drawn.items() if pool_id in pools),
            key=lambda d: (pools[d[0]].name, d[0]),
        )
        views.append(
            OfferingRead(
                **_fields(
                    offering,
                    sellable=on_sale(
                        offering, event_status=event.status, event_ends_at=event.ends_at, now=now
                    ),
                    available=capacity.passes_left(draws=drawn, left=left),
                ),
                status=offering.status,
                pools=[
                    DrawRead(
                        pool_id=pool_id,
                        name=pools[pool_id].name,
                        places_per_pass=per_pass,
                        size=pools[pool_id].size,
                        taken=used[pool_id],
                        left=left[pool_id],
                    )
                    for pool_id, per_pass in shown
                ],
                created_at=offering.created_at,
                updated_at=offering.updated_at,
            )
        )
    return views


def list_offerings(session: Session, *, event: Event) -> list[OfferingRead]:
    """Every offering of the event (hidden and retired too), in display order."""
    return _team_views(session, event=event, offerings=_offerings_of(session, event_id=event.id))


def get_offering(session: Session, *, event: Event, offering_id: uuid.UUID) -> Offering:
    return get_or_404(session, Offering, offering_id, what="offering", event_id=event.id)


def offering_view(session: Session, *, event: Event, offering: Offering) -> OfferingRead:
    return _team_views(session, event=event, offerings=[offering])[0]


def list_public(session: Session, *, event_id: uuid.UUID) -> list[OfferingPublic]:
    """The active offerings of a public event (the visibility of `GET /events/{id}`),
    in display order, with whether each is on sale and how many passes are left."""
    event = event_crud.get_public(session, event_id=event_id)
    now = _now()
    offerings = _offerings_of(session, event_id=event.id, status=OfferingStatus.ACTIVE)
    left, draws = capacity.places_left(session, event_id=event.id, now=now)
    return [
        OfferingPublic(
            **_fields(
                offering,
                sellable=on_sale(
                    offering, event_status=event.status, event_ends_at=event.ends_at, now=now
                ),
                available=capacity.passes_left(draws=draws.get(offering.id, {}), left=left),
            )
        )
        for offering in offerings
    ]


# --- offerings: changing -------------------------------------------------------------------


def _check_pools(session: Session, *, event: Event, draws: Sequence[PoolDraw]) -> None:
    """Every pool drawn from is one of the event's (422 naming each that is not)."""
    if not draws:
        return
    ids = [d.pool_id for d in draws]
    mine = set(
        session.exec(
            select(CapacityPool.id).where(
                col(CapacityPool.id).in_(ids), CapacityPool.event_id == event.id
            )
        )
    )
    wrong = [
        {
            "loc": ["body", "pools", i, "pool_id"],
            "msg": "Not a capacity pool of this event",
            "type": PoolNotOfEvent.code,
        }
        for i, pool_id in enumerate(ids)
        if pool_id not in mine
    ]
    if wrong:
        raise PoolNotOfEvent(wrong)


def _has_sales(session: Session, *, offering_id: uuid.UUID) -> bool:
    return (
        session.exec(select(BookingItem.id).where(BookingItem.offering_id == offering_id)).first()
        is not None
    )


def _set_draws(
    session: Session,
    *,
    offering: Offering,
    draws: Sequence[PoolDraw],
    guests_per_pass: int,
    check_taken: bool,
) -> None:
    """Replace what the offering draws from. With `check_taken` (an offering that has
    been booked, whose bookings then count against the new draws), under the locks of
    every pool concerned, refuse a pool that would hold more than its size."""
    new = {d.pool_id: d.places_per_pass or guests_per_pass for d in draws}
    old = capacity.draws_of_offerings(session, offering_ids=[offering.id])[offering.id]
    if new == old:
        return
    grown = [pool_id for pool_id, per_pass in new.items() if per_pass > old.get(pool_id, 0)]
    sizes: dict[uuid.UUID, int] = {}
    if check_taken and grown:
        sizes = capacity.lock_pools(session, pool_ids={*old, *new})
    # Written in a savepoint: when the bookings would overfill a pool, nothing stays.
    with session.begin_nested():
        session.execute(sa.delete(OfferingPool).where(col(OfferingPool.offering_id) == offering.id))
        session.add_all(
            OfferingPool(offering_id=offering.id, pool_id=pool_id, places_per_pass=per_pass)
            for pool_id, per_pass in new.items()
        )
        session.flush()
        if sizes:
            taken = capacity.used_places(session, pool_ids=grown, now=_now())
            over = [pool_id for pool_id in grown if taken[pool_id] > sizes[pool_id]]
            if over:
                pool = session.get(CapacityPool, over[0])
                assert pool is not None  # locked above
                raise PoolBelowTaken(
                    {
                        "message": f"The passes already booked would take {taken[pool.id]} "
                        f"places of the pool {pool.name!r}, which has {pool.size}",
                        "pool_id": str(pool.id),
                        "size": pool.size,
                        "taken": taken[pool.id],
                    }
                )


def create_offering(session: Session, *, event: Event, data: OfferingCreate) -> Offering:
    lock_event_for_changes(session, event=event)
    count, last = session.execute(
        sa.select(sa.func.count(), sa.func.max(col(Offering.position))).where(
            col(Offering.event_id) == event.id
        )
    ).one()
    if count >= MAX_OFFERINGS_PER_EVENT:
        raise OfferingLimit(f"An event may have at most {MAX_OFFERINGS_PER_EVENT} offerings")
    _check_pools(session, event=event, draws=data.pools)
    offering = Offering(
        event_id=event.id,
        position=0 if last is None else int(last) + 1,
        **data.model_dump(exclude={"pools"}),
    )
    session.add(offering)
    session.flush()
    _set_draws(
        session,
        offering=offering,
        draws=data.pools,
        guests_per_pass=offering.guests_per_pass,
        check_taken=False,
    )
    return offering


def _refuse_retired(offering: Offering) -> None:
    if offering.status == OfferingStatus.RETIRED:
        raise OfferingRetired()


def update_offering(
    session: Session, *, event: Event, offering: Offering, data: OfferingUpdate
) -> Offering:
    """A partial update; `pools`, when sent, replaces the offering's draws (a draw
    without `places_per_pass` takes the offering's guests per pass)."""
    lock_event_for_changes(session, event=event)
    session.refresh(offering, with_for_update=True)
    _refuse_retired(offering)
    changes = data.model_dump(exclude_unset=True, exclude={"pools"})
    if "sale_starts_at" in changes or "sale_ends_at" in changes:
        try:
            check_sale_window(
                changes.get("sale_starts_at", offering.sale_starts_at),
                changes.get("sale_ends_at", offering.sale_ends_at),
            )
        except ValueError as exc:
            raise InvalidSaleWindow(str(exc)) from exc
    if data.pools is not None:
        _check_pools(session, event=event, draws=data.pools)
        _set_draws(
            session,
            offering=offering,
            draws=data.pools,
            guests_per_pass=changes.get("guests_per_pass", offering.guests_per_pass),
            check_taken=_has_sales(session, offering_id=offering.id),
        )
    for key, value in changes.items():
        setattr(offering, key, value)
    session.add(offering)
    session.flush()
    return offering


def retire_offering(session: Session, *, event: Event, offering: Offering) -> Offering:
    """Stop selling an offering for good (its bookings and tickets stay)."""
    lock_event_for_changes(session, event=event)
    session.refresh(offering, with_for_update=True)
    if offering.status == OfferingStatus.RETIRED:
        raise OfferingRetired("The offering is already retired")
    offering.status = OfferingStatus.RETIRED
    session.add(offering)
    session.flush()
    return offering


def delete_offering(session: Session, *, event: Event, offering: Offering) -> None:
    """Delete an offering nobody has booked (one with bookings can only be retired).

    The offering's row lock makes the check exact: a booking line being written for
    it holds a key-share lock on it, so this waits for that booking and then sees it.
    """
    lock_event_for_changes(session, event=event)
    session.refresh(offering, with_for_update=True)
    if _has_sales(session, offering_id=offering.id):
        raise OfferingHasSales()
    session.delete(offering)
    session.flush()


def reorder_offerings(
    session: Session, *, event: Event, ids: Sequence[uuid.UUID]
) -> list[OfferingRead]:
    """Put every offering of the event in this order (retired and hidden ones too)."""
    lock_event_for_changes(session, event=event)
    offerings = _offerings_of(session, event_id=event.id)
    by_id = {o.id: o for o in offerings}
    missing = set(by_id) - set(ids)
    unknown = set(ids) - set(by_id)
    if missing or unknown:
        raise OrderMismatch(
            {
                "message": "Send every offering of the event exactly once, in the new order",
                "missing": sorted(str(i) for i in missing),
                "unknown": sorted(str(i) for i in unknown),
            }
        )
    for position, offering_id in enumerate(ids):
        offering = by_id[offering_id]
        if offering.position != position:
            offering.position = position
            session.add(offering)
    session.flush()
    return _team_views(session, event=event, offerings=[by_id[i] for i in ids])
