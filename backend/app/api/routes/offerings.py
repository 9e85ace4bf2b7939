"""Routes: what an event sells, its offerings (pass types) and capacity pools.

Anyone, signed in or not, reads the active offerings of a public event with their
price, sale window and passes left. The venue's team manages them: staff read
offerings and pools (with each pool's size, taken and left); managers and owners
create, change, reorder, retire and delete offerings, and create, resize and
delete pools. A cancelled or finished event refuses every change.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import ManagedEvent, SessionDep, StaffedEvent, commit
from app.api.location import set_location
from app.core.errors import (
    EventCancelled,
    EventOver,
    InvalidSaleWindow,
    NotFound,
    OfferingHasSales,
    OfferingLimit,
    OfferingRetired,
    OrderMismatch,
    PoolBelowTaken,
    PoolInUse,
    PoolLimit,
    PoolNameTaken,
    PoolNotOfEvent,
    raises,
)
from app.crud import offering as offering_crud
from app.schema.offering import (
    OfferingCreate,
    OfferingPublic,
    OfferingRead,
    OfferingReorder,
    OfferingUpdate,
    PoolCreate,
    PoolRead,
    PoolUpdate,
)

router = APIRouter(tags=["offerings"])

ONE_EVENT = "/venues/{venue_id}/events/{event_id}"
OFFERINGS = ONE_EVENT + "/offerings"
ONE_OFFERING = OFFERINGS + "/{offering_id}"
POOLS = ONE_EVENT + "/pools"
ONE_POOL = POOLS + "/{pool_id}"


# --- public ------------------------------------------------------------------------------


@router.get("/events/{event_id}/offerings", response_model=list[OfferingPublic])
@raises(NotFound)
def list_public_offerings(event_id: uuid.UUID, session: SessionDep) -> list[OfferingPublic]:
    """The active offerings of a public event in display order, with whether each is
    on sale now and how many passes are left (no sign-in needed)."""
    return offering_crud.list_public(session, event_id=event_id)


# --- offerings ---------------------------------------------------------------------------


@router.get(OFFERINGS, response_model=list[OfferingRead])
def list_offerings(event: StaffedEvent, session: SessionDep) -> list[OfferingRead]:
    """Every offering of the event (hidden and retired too), in display order."""
    return offering_crud.list_offerings(session, event=event)


@router.post(OFFERINGS, response_model=OfferingRead, status_code=status.HTTP_201_CREATED)
@raises(EventCancelled, EventOver, OfferingLimit, PoolNotOfEvent)
def create_offering(
    event: ManagedEvent, data: OfferingCreate, session: SessionDep, response: Response
) -> OfferingRead:
    """Add an offering at the end of the display order, drawing from `pools` (each
    pass takes `places_per_pass` of a pool, by default its guests)."""
    offering = offering_crud.create_offering(session, event=event, data=data)
    commit(session)
    set_location(response, f"/venues/{event.venue_id}/events/{event.id}/offerings/{offering.id}")
    return offering_crud.offering_view(session, event=event, offering=offering)


@router.put(OFFERINGS + "/order", response_model=list[OfferingRead])
@raises(EventCancelled, EventOver, OrderMismatch)
def reorder_offerings(
    event: ManagedEvent, data: OfferingReorder, session: SessionDep
) -> list[OfferingRead]:
    """Put the event's offerings in this order (send every offering id once)."""
    offerings = offering_crud.reorder_offerings(session, event=event, ids=data.ids)
    commit(session)
    return offerings


@router.get(ONE_OFFERING, response_model=OfferingRead)
def read_offering(event: StaffedEvent, offering_id: uuid.UUID, session: SessionDep) -> OfferingRead:
    offering = offering_crud.get_offering(session, event=event, offering_id=offering_id)
    return offering_crud.offering_view(session, event=event, offering=offering)


@router.patch(ONE_OFFERING, response_model=OfferingRead)
@raises(
    EventCancelled, EventOver, OfferingRetired, InvalidSaleWindow, PoolNotOfEvent, PoolBelowTaken
)
def update_offering(
    event: ManagedEvent, offering_id: uuid.UUID, data: OfferingUpdate, session: SessionDep
) -> OfferingRead:
    """Change some fields; `pools`, when sent, replaces what the offering draws from
    (refused if its bookings would then overfill a pool). Hidden offerings can be
    made active again; retired ones cannot change."""
    offering = offering_crud.get_offering(session, event=event, offering_id=offering_id)
    offering_crud.update_offering(session, event=event, offering=offering, data=data)
    commit(session)
    return offering_crud.offering_view(session, event=event, offering=offering)


@router.post(ONE_OFFERING + "/retire", response_model=OfferingRead)
@raises(EventCancelled, EventOver, OfferingRetired)
def retire_offering(
    event: ManagedEvent, offering_id: uuid.UUID, session: SessionDep
) -> OfferingRead:
    """Stop selling an offering for good; its bookings and tickets stay valid."""
    offering = offering_crud.get_offering(session, event=event, offering_id=offering_id)
    offering_crud.retire_offering(session, event=event, offering=offering)
    commit(session)
    return offering_crud.offering_view(session, event=event, offering=offering)


@router.delete(ONE_OFFERING, status_code=status.HTTP_204_NO_CONTENT)
@raises(EventCancelled, EventOver, OfferingHasSales)
def delete_offering(event: ManagedEvent, offering_id: uuid.UUID, session: SessionDep) -> None:
    """Delete an offering nobody has booked (one with bookings can only be retired)."""
    offering = offering_crud.get_offering(session, event=event, offering_id=offering_id)
    offering_crud.delete_offering(session, event=event, offering=offering)
    commit(session)


# --- pools -------------------------------------------------------------------------------


@router.get(POOLS, response_model=list[PoolRead])
def list_pools(event: StaffedEvent, session: SessionDep) -> list[PoolRead]:
    """The event's capacity pools by name, with the places taken and left."""
    return offering_crud.list_pools(session, event=event)


@router.post(POOLS, response_model=PoolRead, status_code=status.HTTP_201_CREATED)
@raises(EventCancelled, EventOver, PoolLimit, PoolNameTaken)
def create_pool(
    event: ManagedEvent, data: PoolCreate, session: SessionDep, response: Response
) -> PoolRead:
    pool = offering_crud.create_pool(session, event=event, data=data)
    commit(session)
    set_location(response, f"/venues/{event.venue_id}/events/{event.id}/pools/{pool.id}")
    return offering_crud.pool_view(session, pool=pool)


@router.get(ONE_POOL, response_model=PoolRead)
def read_pool(event: StaffedEvent, pool_id: uuid.UUID, session: SessionDep) -> PoolRead:
    pool = offering_crud.get_pool(session, event=event, pool_id=pool_id)
    return offering_crud.pool_view(session, pool=pool)


@router.patch(ONE_POOL, response_model=PoolRead)
@raises(EventCancelled, EventOver, PoolNameTaken, PoolBelowTaken)
def update_pool(
    event: ManagedEvent, pool_id: uuid.UUID, data: PoolUpdate, session: SessionDep
) -> PoolRead:
    """Rename or resize a pool; it cannot shrink below the places already taken."""
    pool = offering_crud.get_pool(session, event=event, pool_id=pool_id)
    offering_crud.update_pool(session, event=event, pool=pool, data=data)
    commit(session)
    return offering_crud.pool_view(session, pool=pool)


@router.delete(ONE_POOL, status_code=status.HTTP_204_NO_CONTENT)
@raises(EventCancelled, EventOver, PoolInUse)
def delete_pool(event: ManagedEvent, pool_id: uuid.UUID, session: SessionDep) -> None:
    """Delete a pool no offering draws from."""
    pool = offering_crud.get_pool(session, event=event, pool_id=pool_id)
    offering_crud.delete_pool(session, event=event, pool=pool)
    commit(session)
