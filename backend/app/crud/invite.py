"""Venue invitations: single-use, expiring, stored as a hash of the emailed token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import InviteAccepted, InviteExpired, InviteUsed, NotFound
from app.core.security import hash_token
from app.crud.common import get_or_404
from app.models import User, Venue, VenueRole
from app.models.venue import VenueInvite


def create(
    session: Session,
    *,
    venue: Venue,
    email: str,
    role: VenueRole,
    token: str,
    invited_by: User,
    expires_at: datetime,
    now: datetime,
) -> VenueInvite:
    """A new invitation; any pending one for the same address is revoked (re-invite)."""
    session.execute(
        sa.update(VenueInvite)
        .where(
            col(VenueInvite.venue_id) == venue.id,
            col(VenueInvite.email) == email,
            col(VenueInvite.accepted_at).is_(None),
            col(VenueInvite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    invite = VenueInvite(
        venue_id=venue.id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by_id=invited_by.id,
        expires_at=expires_at,
    )
    session.add(invite)
    session.flush()
    return invite


def list_pending(session: Session, *, venue: Venue, now: datetime) -> Sequence[VenueInvite]:
    return session.exec(
        select(VenueInvite)
        .where(
            VenueInvite.venue_id == venue.id,
            col(VenueInvite.accepted_at).is_(None),
            col(VenueInvite.revoked_at).is_(None),
            col(VenueInvite.expires_at) > now,
        )
        .order_by(col(VenueInvite.created_at), col(VenueInvite.id))
    ).all()


def get_for_venue(session: Session, *, venue: Venue, invite_id: uuid.UUID) -> VenueInvite:
    return get_or_404(session, VenueInvite, invite_id, what="invite", venue_id=venue.id)


def revoke(session: Session, *, invite: VenueInvite, now: datetime) -> VenueInvite:
    if invite.accepted_at is not None:
        raise InviteAccepted()
    if invite.revoked_at is None:
        invite.revoked_at = now
        session.add(invite)
        session.flush()
    return invite


def get_by_token(session: Session, *, token: str) -> VenueInvite:
    invite = session.exec(
        select(VenueInvite).where(VenueInvite.token_hash == hash_token(token))
    ).first()
    if invite is None or invite.revoked_at is not None:
        raise NotFound("invite")
    return invite


def consume(session: Session, *, invite: VenueInvite, user: User, now: datetime) -> None:
    """Mark the invitation used, atomically: of two simultaneous accepts one wins."""
    used = session.execute(
        sa.update(VenueInvite)
        .where(
            col(VenueInvite.id) == invite.id,
            col(VenueInvite.accepted_at).is_(None),
            col(VenueInvite.revoked_at).is_(None),
            col(VenueInvite.expires_at) > now,
        )
        .values(accepted_at=now, accepted_by_id=user.id)
        .returning(col(VenueInvite.id))
        .execution_options(synchronize_session=False)
    ).first()
    if used is None:
        session.refresh(invite)
        if invite.accepted_at is not None:
            raise InviteUsed()
        if invite.revoked_at is not None:
            raise NotFound("invite")
        raise InviteExpired()
    session.refresh(invite)
