"""Routes: the people who run a venue (members, invitations, roles, leaving)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import CurrentUser, ManagedVenue, OwnedVenue, SessionDep, StaffedVenue, commit
from app.api.location import set_location
from app.core.errors import (
    AlreadyMember,
    InviteAccepted,
    InviteExpired,
    InviteForAnotherEmail,
    InviteUsed,
    NotFound,
    VenueNeedsOwner,
    raises,
)
from app.crud import invite as invite_crud
from app.crud import venue as venue_crud
from app.models import VenueMembership
from app.models.base import utcnow
from app.models.venue import VenueInvite
from app.schema.venue import (
    InviteAccept,
    InviteCreate,
    InviteRead,
    MemberRead,
    MemberRoleUpdate,
    MembershipRead,
)
from app.services import auth as auth_service
from app.services import staff as staff_service

router = APIRouter(tags=["staff"])


@router.get("/venues/{venue_id}/members", response_model=list[MemberRead])
def list_members(venue: ManagedVenue, session: SessionDep) -> list[MemberRead]:
    """Everyone who works at the venue, with their role (managers and owners)."""
    return venue_crud.list_members(session, venue=venue)


@router.patch("/venues/{venue_id}/members/{user_id}", response_model=MembershipRead)
@raises(VenueNeedsOwner)
def change_member_role(
    venue: OwnedVenue,
    user_id: uuid.UUID,
    data: MemberRoleUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> VenueMembership:
    """Change a member's role (owners). The last owner cannot be demoted (409)."""
    membership = staff_service.change_role(
        session, venue=venue, user_id=user_id, role=data.role, acting=user
    )
    commit(session)
    return membership


@router.delete("/venues/{venue_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(VenueNeedsOwner)
def remove_member(
    venue: OwnedVenue, user_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> None:
    """Remove someone from the venue (owners). The last owner cannot be removed (409)."""
    staff_service.remove(session, venue=venue, user_id=user_id, acting=user)
    commit(session)


@router.post("/venues/{venue_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
@raises(VenueNeedsOwner)
def leave_venue(venue: StaffedVenue, session: SessionDep, user: CurrentUser) -> None:
    """Stop working at the venue. The last owner cannot leave (409)."""
    staff_service.remove(session, venue=venue, user_id=user.id, acting=user)
    commit(session)


@router.post(
    "/venues/{venue_id}/invites", response_model=InviteRead, status_code=status.HTTP_201_CREATED
)
@raises(AlreadyMember)
def invite_member(
    venue: OwnedVenue,
    data: InviteCreate,
    session: SessionDep,
    user: CurrentUser,
    response: Response,
) -> VenueInvite:
    """Invite someone by email with a role (owners): they get a single-use link that
    expires in 7 days. Inviting the same address again replaces the pending invitation."""
    invite, email = staff_service.invite(
        session, venue=venue, email=data.email, role=data.role, invited_by=user, now=utcnow()
    )
    auth_service.deliver(session, email)
    commit(session)
    set_location(response, f"/venues/{venue.id}/invites/{invite.id}")
    return invite


@router.get("/venues/{venue_id}/invites", response_model=list[InviteRead])
def list_invites(venue: OwnedVenue, session: SessionDep) -> list[VenueInvite]:
    """Pending invitations (owners)."""
    return list(invite_crud.list_pending(session, venue=venue, now=utcnow()))


@router.delete("/venues/{venue_id}/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(InviteAccepted)
def revoke_invite(venue: OwnedVenue, invite_id: uuid.UUID, session: SessionDep) -> None:
    """Withdraw a pending invitation (owners)."""
    invite = invite_crud.get_for_venue(session, venue=venue, invite_id=invite_id)
    invite_crud.revoke(session, invite=invite, now=utcnow())
    commit(session)


@router.post("/invites/accept", response_model=MembershipRead)
@raises(InviteForAnotherEmail, AlreadyMember, InviteUsed, InviteExpired, NotFound)
def accept_invite(data: InviteAccept, session: SessionDep, user: CurrentUser) -> VenueMembership:
    """Join a venue with the token from an invitation email, signed in with that address."""
    membership = staff_service.accept(session, token=data.token, user=user, now=utcnow())
    commit(session)
    return membership
