"""Routes: a venue's pickup points (the counters where pickup orders are collected)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import ManagedVenue, SessionDep, StaffedVenue, VisibleVenue, commit
from app.api.location import set_location
from app.core.errors import PickupPointInUse, PickupPointNameTaken, raises
from app.crud import pickup_point as pickup_point_crud
from app.models.order import PickupPoint
from app.schema.pickup_point import (
    PickupPointCreate,
    PickupPointPublic,
    PickupPointRead,
    PickupPointUpdate,
)

router = APIRouter(tags=["pickup"])

P = "/venues/{venue_id}/pickup-points"


@router.get(P + "/active", response_model=list[PickupPointPublic])
def list_active_points(venue: VisibleVenue, session: SessionDep) -> list[PickupPoint]:
    """Where a pickup order can be collected: the venue's active pickup points (anyone,
    for a venue they may see)."""
    return list(pickup_point_crud.list_active(session, venue=venue))


@router.get(P, response_model=list[PickupPointRead])
def list_points(venue: StaffedVenue, session: SessionDep) -> list[PickupPoint]:
    """Every pickup point of the venue, active or not, in display order (staff and up)."""
    return list(pickup_point_crud.list_for_venue(session, venue=venue))


@router.post(P, response_model=PickupPointRead, status_code=status.HTTP_201_CREATED)
@raises(PickupPointNameTaken)
def create_point(
    venue: ManagedVenue, data: PickupPointCreate, session: SessionDep, response: Response
) -> PickupPoint:
    """Add a pickup point ("Bar 2", "Counter A"; managers and owners)."""
    point = pickup_point_crud.create(session, venue=venue, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/pickup-points/{point.id}")
    return point


@router.patch(P + "/{pickup_point_id}", response_model=PickupPointRead)
@raises(PickupPointNameTaken)
def update_point(
    venue: ManagedVenue, pickup_point_id: uuid.UUID, data: PickupPointUpdate, session: SessionDep
) -> PickupPoint:
    """Rename, reorder, or (de)activate a pickup point."""
    point = pickup_point_crud.get(session, venue=venue, pickup_point_id=pickup_point_id)
    pickup_point_crud.update(session, venue=venue, point=point, data=data)
    commit(session)
    return point


@router.delete(P + "/{pickup_point_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(PickupPointInUse)
def delete_point(venue: ManagedVenue, pickup_point_id: uuid.UUID, session: SessionDep) -> None:
    """Delete a pickup point no order was placed at (else 409: deactivate it instead)."""
    point = pickup_point_crud.get(session, venue=venue, pickup_point_id=pickup_point_id)
    pickup_point_crud.delete(session, point=point)
    commit(session)
