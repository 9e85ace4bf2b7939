"""A venue's pickup points: the counters where pickup orders are collected."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import PickupPointInUse, PickupPointNameTaken
from app.crud.common import get_or_404
from app.models import Venue
from app.models.order import Order, PickupPoint
from app.schema.pickup_point import PickupPointCreate, PickupPointUpdate

_ORDER = (col(PickupPoint.display_order), col(PickupPoint.name), col(PickupPoint.id))


def list_for_venue(session: Session, *, venue: Venue) -> Sequence[PickupPoint]:
    """Every pickup point of the venue, active or not, in display order."""
    return session.exec(
        select(PickupPoint).where(PickupPoint.venue_id == venue.id).order_by(*_ORDER)
    ).all()


def list_active(session: Session, *, venue: Venue) -> Sequence[PickupPoint]:
    return session.exec(
        select(PickupPoint)
        .where(PickupPoint.venue_id == venue.id, col(PickupPoint.is_active))
        .order_by(*_ORDER)
    ).all()


def get(session: Session, *, venue: Venue, pickup_point_id: uuid.UUID) -> PickupPoint:
    return get_or_404(session, PickupPoint, pickup_point_id, what="pickup point", venue_id=venue.id)


def _name_free(
    session: Session, *, venue: Venue, name: str, except_id: uuid.UUID | None = None
) -> None:
    stmt = select(PickupPoint.id).where(
        PickupPoint.venue_id == venue.id,
        sa.func.lower(col(PickupPoint.name)) == name.lower(),
    )
    if except_id is not None:
        stmt = stmt.where(col(PickupPoint.id) != except_id)
    if session.exec(stmt).first() is not None:
        raise PickupPointNameTaken(f"This venue already has a pickup point called {name!r}")


def create(session: Session, *, venue: Venue, data: PickupPointCreate) -> PickupPoint:
    _name_free(session, venue=venue, name=data.name)
    order = data.display_order
    if order is None:
        current = session.execute(
            sa.select(sa.func.max(col(PickupPoint.display_order))).where(
                col(PickupPoint.venue_id) == venue.id
            )
        ).scalar_one()
        order = 0 if current is None else int(current) + 1
    point = PickupPoint(
        venue_id=venue.id, name=data.name, is_active=data.is_active, display_order=order
    )
    session.add(point)
    session.flush()
    return point


def update(
    session: Session, *, venue: Venue, point: PickupPoint, data: PickupPointUpdate
) -> PickupPoint:
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        _name_free(session, venue=venue, name=changes["name"], except_id=point.id)
    for key, value in changes.items():
        setattr(point, key, value)
    session.add(point)
    session.flush()
    return point


def delete(session: Session, *, point: PickupPoint) -> None:
    """Delete a pickup point no order was placed at (else PickupPointInUse: deactivate
    it instead, so the orders keep where they were collected)."""
    used = session.execute(
        sa.select(sa.func.count()).select_from(Order).where(col(Order.pickup_point_id) == point.id)
    ).scalar_one()
    if used:
        raise PickupPointInUse(
            f"{used} order(s) were placed at {point.name!r}; deactivate it instead"
        )
    session.delete(point)
    session.flush()
