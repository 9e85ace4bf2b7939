"""Staff workflows: invitations by email, accepting them, roles and leaving.

The rule that a venue always keeps an owner is enforced under a row lock on the
venue, so two owners demoting each other at the same moment cannot both win.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.core.errors import AlreadyMember, InviteForAnotherEmail, VenueNeedsOwner
from app.core.links import EmailedPage, emailed_link
from app.crud import invite as invite_crud
from app.crud import membership as membership_crud
from app.crud import venue as venue_crud
from app.models import User, Venue, VenueMembership, VenueRole
from app.models.venue import VenueInvite
from app.services.auth import PendingEmail

INVITE_TTL = timedelta(days=7)


def invite_link(token: str) -> str:
    return emailed_link(EmailedPage.VENUE_INVITE, token)


def invite(
    session: Session, *, venue: Venue, email: str, role: VenueRole, invited_by: User, now: datetime
) -> tuple[VenueInvite, PendingEmail]:
    """Invite `email` to the venue with `role`: the invitation, and the email with its
    single-use link for the caller to `deliver` in the same transaction (a slow or broken mail
    server never holds the request's database connection or leaves a dead link)."""
    email = email.strip().lower()
    for member in venue_crud.list_members(session, venue=venue):
        if member.email is not None and member.email.lower() == email:
            raise AlreadyMember(f"{email} is already a member of this venue ({member.role.value})")
    token = secrets.token_urlsafe(32)
    created = invite_crud.create(
        session,
        venue=venue,
        email=email,
        role=role,
        token=token,
        invited_by=invited_by,
        expires_at=now + INVITE_TTL,
        now=now,
    )
    message = PendingEmail(
        to=email,
        template="venue_invite",
        context={
            "venue_name": venue.name,
            "role": role.value,
            "inviter": invited_by.full_name or invited_by.email or "A venue owner",
            "link": invite_link(token),
            "expires_at": created.expires_at.strftime("%d %b %Y %H:%M UTC"),
        },
    )
    return created, message


def accept(session: Session, *, token: str, user: User, now: datetime) -> VenueMembership:
    """Join the venue as the invited person (signed in with the invited email)."""
    pending = invite_crud.get_by_token(session, token=token)
    if user.email is None or user.email.lower() != pending.email.lower():
        raise InviteForAnotherEmail()
    if membership_crud.get_role(session, venue_id=pending.venue_id, user_id=user.id) is not None:
        raise AlreadyMember("You are already a member of this venue")
    invite_crud.consume(session, invite=pending, user=user, now=now)
    return membership_crud.add(
        session, venue_id=pending.venue_id, user_id=user.id, role=pending.role
    )


def _keep_an_owner(session: Session, *, venue: Venue, membership: VenueMembership) -> None:
    if membership.role == VenueRole.OWNER and venue_crud.count_owners(session, venue=venue) <= 1:
        raise VenueNeedsOwner()


def _lock_as(session: Session, *, venue: Venue, acting: User, needs: VenueRole) -> None:
    """Lock the venue, then check again that `acting` still has the role the route's
    guard saw: an owner demoted or removed by another owner a moment ago must not go
    on changing staff."""
    venue_crud.lock(session, venue=venue)
    venue_crud.require_role(session, venue=venue, user=acting, minimum=needs)


def change_role(
    session: Session, *, venue: Venue, user_id: uuid.UUID, role: VenueRole, acting: User
) -> VenueMembership:
    _lock_as(session, venue=venue, acting=acting, needs=VenueRole.OWNER)
    membership = venue_crud.get_membership(session, venue=venue, user_id=user_id)
    if membership.role == role:
        return membership
    if role != VenueRole.OWNER:
        _keep_an_owner(session, venue=venue, membership=membership)
    membership.role = role
    session.add(membership)
    session.flush()
    return membership


def remove(session: Session, *, venue: Venue, user_id: uuid.UUID, acting: User) -> None:
    """Remove a member (an owner removing someone, or a member leaving)."""
    leaving = acting.id == user_id
    _lock_as(
        session, venue=venue, acting=acting, needs=VenueRole.STAFF if leaving else VenueRole.OWNER
    )
    membership = venue_crud.get_membership(session, venue=venue, user_id=user_id)
    _keep_an_owner(session, venue=venue, membership=membership)
    session.delete(membership)
    session.flush()


@dataclass(frozen=True)
class InvitationView:
    """What the invitation page shows about an emailed invitation."""

    venue_name: str
    email: str
    role: VenueRole
    expires_at: datetime
    state: str  # "pending", "accepted" or "expired"


def view_invitation(session: Session, *, token: str, now: datetime) -> InvitationView:
    """The invitation an emailed link names (`NotFound` if unknown or revoked)."""
    pending = invite_crud.get_by_token(session, token=token)
    venue = venue_crud.get(session, venue_id=pending.venue_id)
    if pending.accepted_at is not None:
        state = "accepted"
    elif pending.expires_at <= now:
        state = "expired"
    else:
        state = "pending"
    return InvitationView(
        venue_name=venue.name,
        email=pending.email,
        role=pending.role,
        expires_at=pending.expires_at,
        state=state,
    )
