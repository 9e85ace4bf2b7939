"""Venue memberships: who has which role where."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from app.models import VenueMembership, VenueRole


def get_role(session: Session, *, venue_id: uuid.UUID, user_id: uuid.UUID) -> VenueRole | None:
    role = session.exec(
        select(VenueMembership.role).where(
            VenueMembership.venue_id == venue_id, VenueMembership.user_id == user_id
        )
    ).first()
    return VenueRole(role) if role is not None else None


def add(
    session: Session, *, venue_id: uuid.UUID, user_id: uuid.UUID, role: VenueRole
) -> VenueMembership:
    membership = VenueMembership(venue_id=venue_id, user_id=user_id, role=role)
    session.add(membership)
    session.flush()
    return membership
