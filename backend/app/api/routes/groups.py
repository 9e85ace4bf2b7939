"""Routes: groups.

A signed-in consumer makes a group (for one of their confirmed bookings, a table
session they sit at, or nothing in particular) and is its admin; the group's wallet is
made with it. Its current members read it with its member list; anyone else (former
members, other consumers, venue staff, platform admins) gets a 404: groups are private
to their members. The admin renames it, sets the wallet's rules, says who may spend,
removes members, hands the admin role on, makes and withdraws invitation links, adds a
booking's guests by phone number and closes the group (the wallet's balance goes back
to the members; the close takes an `Idempotency-Key`). A member leaves by removing
themself. A link's holder previews the group and joins it. A closed group is read as
before but refuses every change (409 `group_closed`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.api.deps import (
    CurrentConsumer,
    CurrentUser,
    GroupOfAdmin,
    GroupOfMember,
    SessionDep,
    commit,
)
from app.api.idempotency import IdempotencyKeyDep, IdempotentRoute
from app.api.location import set_location
from app.core.errors import (
    AdminMustHandOver,
    BookingGuestsInGroup,
    GroupClosed,
    GroupCurrencyMismatch,
    GroupFull,
    GroupInviteExpired,
    GroupInviteRevoked,
    GroupInviteUsedUp,
    GroupNotForBooking,
    NotFound,
    NotGroupAdmin,
    PhoneNotAddable,
    SessionJoinExpired,
    TableSessionClosed,
    TooManyRequests,
    WalletSpendWaiting,
    raises,
)
from app.crud import group as group_crud
from app.schema.common import Page, PageParams, page_params
from app.schema.group import (
    GroupCreate,
    GroupHandOver,
    GroupInviteCreate,
    GroupInvitePreview,
    GroupInviteRead,
    GroupMemberAdd,
    GroupMemberUpdate,
    GroupRead,
    GroupSummary,
    GroupUpdate,
)
from app.services import groups as groups_service

router = APIRouter(tags=["groups"], route_class=IdempotentRoute)

PageDep = Annotated[PageParams, Depends(page_params)]
InviteToken = Annotated[
    str, Path(min_length=1, max_length=200, description="The token of the invitation link")
]
ONE_GROUP = "/groups/{group_id}"


@router.post("/groups", response_model=GroupRead, status_code=status.HTTP_201_CREATED)
@raises(NotFound, SessionJoinExpired, TableSessionClosed, GroupCurrencyMismatch)
def create_group(
    data: GroupCreate, user: CurrentConsumer, session: SessionDep, response: Response
) -> GroupRead:
    """Make a group with the caller as its admin, and its wallet. `booking_id`: one of
    the caller's confirmed bookings; `table_session_id`: an open table session they
    joined recently (anything else: 404). The wallet's currency is the booking's or
    the venue's (another one: 422), else INR."""
    group = groups_service.create(session, user=user, data=data)
    commit(session)
    set_location(response, f"/groups/{group.id}")
    return group_crud.read(session, group=group)


@router.get("/groups", response_model=Page[GroupSummary])
def list_my_groups(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[GroupSummary]:
    """The groups the caller is in now (closed ones too), the latest joined first."""
    return group_crud.list_for_user(session, user_id=user.id, page=page)


@router.get(ONE_GROUP, response_model=GroupRead)
def read_group(group: GroupOfMember, session: SessionDep) -> GroupRead:
    """The group with its current members (name, role, whether they may spend, when
    they joined)."""
    return group_crud.read(session, group=group)


@router.patch(ONE_GROUP, response_model=GroupRead)
@raises(GroupClosed)
def update_group(
    group: GroupOfAdmin, data: GroupUpdate, user: CurrentUser, session: SessionDep
) -> GroupRead:
    """The admin renames the group or sets the wallet's rules: `cap_minor` per member
    per `cap_period` (`day` or `night`; null: no cap), `approval_above_minor` (a spend
    above it waits for the admin; null: never). Fields left out stay as they are."""
    updated = groups_service.update(session, group=group, by=user, data=data)
    commit(session)
    return group_crud.read(session, group=updated)


@router.post(ONE_GROUP + "/members", response_model=GroupRead)
@raises(GroupClosed, GroupNotForBooking, BookingGuestsInGroup, GroupFull, PhoneNotAddable)
@raises(TooManyRequests)
def add_group_member(
    group: GroupOfAdmin, data: GroupMemberAdd, user: CurrentUser, session: SessionDep
) -> GroupRead:
    """The admin adds a guest of the group's booking by their phone number, while the
    group has fewer members than the booking has guests; beyond that (or for a group
    not made for a booking) they join with an invitation link (409). A number no one
    can be added with is a 422 that says only that. Someone already in the group is
    not added twice."""
    updated = groups_service.add_booking_guest(session, group=group, by=user, phone=data.phone)
    commit(session)
    return group_crud.read(session, group=updated)


@router.patch(ONE_GROUP + "/members/{user_id}", response_model=GroupRead)
@raises(GroupClosed)
def update_group_member(
    group: GroupOfAdmin,
    user_id: uuid.UUID,
    data: GroupMemberUpdate,
    user: CurrentUser,
    session: SessionDep,
) -> GroupRead:
    """The admin says whether a member may spend from the wallet (404: not a member)."""
    updated = groups_service.set_can_spend(
        session, group=group, by=user, user_id=user_id, can_spend=data.can_spend
    )
    commit(session)
    return group_crud.read(session, group=updated)


@router.delete(ONE_GROUP + "/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(NotGroupAdmin, GroupClosed, AdminMustHandOver)
def remove_group_member(
    group: GroupOfMember, user_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    """A member leaves (their own `user_id`); the admin removes a member (anyone else:
    403). The admin leaves only after handing the role on (409). A former member keeps
    nothing of the group but their part of the ledger."""
    groups_service.remove_member(session, group=group, by=user, user_id=user_id)
    commit(session)


@router.post(ONE_GROUP + "/admin", response_model=GroupRead)
@raises(GroupClosed)
def hand_over_group_admin(
    group: GroupOfAdmin, data: GroupHandOver, user: CurrentUser, session: SessionDep
) -> GroupRead:
    """The admin makes a current member the admin (404: not a member) and stays on as
    a member."""
    updated = groups_service.hand_over(session, group=group, by=user, user_id=data.user_id)
    commit(session)
    return group_crud.read(session, group=updated)


@router.post(ONE_GROUP + "/close", response_model=GroupRead)
@raises(GroupClosed, WalletSpendWaiting)
def close_group(
    group: GroupOfAdmin, user: CurrentUser, session: SessionDep, _key: IdempotencyKeyDep
) -> GroupRead:
    """The admin closes the group: what is left in the wallet goes back to the members
    in proportion to what each put in (refused while a spend waits for approval).
    Members still read the group afterwards; it refuses every change. A retry with the
    same `Idempotency-Key` replays the first answer."""
    closed = groups_service.close(session, group=group, by=user)
    commit(session)
    return group_crud.read(session, group=closed)


# --- invitations ----------------------------------------------------------------------------


@router.get(ONE_GROUP + "/invites", response_model=list[GroupInviteRead])
def list_group_invites(group: GroupOfAdmin, session: SessionDep) -> list[GroupInviteRead]:
    """The group's invitation links, newest first, with their uses (admin only)."""
    return [group_crud.invite_read(i) for i in group_crud.list_invites(session, group_id=group.id)]


@router.post(
    ONE_GROUP + "/invites", response_model=GroupInviteRead, status_code=status.HTTP_201_CREATED
)
@raises(GroupClosed)
def create_group_invite(
    group: GroupOfAdmin,
    data: GroupInviteCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> GroupInviteRead:
    """The admin makes an invitation link for `max_uses` people, working for
    `expires_in_hours` (by default, and at most, the server's `GROUP_INVITE_HOURS`).
    Share its `link`; whoever opens it signs in and joins with its `token`."""
    invite = groups_service.create_invite(
        session, group=group, by=user, max_uses=data.max_uses, hours=data.expires_in_hours
    )
    commit(session)
    set_location(response, f"/groups/{group.id}/invites/{invite.id}")
    return group_crud.invite_read(invite)


@router.get(ONE_GROUP + "/invites/{invite_id}", response_model=GroupInviteRead)
def read_group_invite(
    group: GroupOfAdmin, invite_id: uuid.UUID, session: SessionDep
) -> GroupInviteRead:
    """One of the group's invitation links (admin only)."""
    invite = group_crud.get_invite_of_group(session, group_id=group.id, invite_id=invite_id)
    return group_crud.invite_read(invite)


@router.delete(ONE_GROUP + "/invites/{invite_id}", response_model=GroupInviteRead)
@raises(GroupClosed)
def revoke_group_invite(
    group: GroupOfAdmin, invite_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> GroupInviteRead:
    """The admin withdraws a link: it stops working at once (people who joined stay)."""
    invite = groups_service.revoke_invite(session, group=group, by=user, invite_id=invite_id)
    commit(session)
    return group_crud.invite_read(invite)


@router.get("/group-invites/{token}", response_model=GroupInvitePreview)
def preview_group_invite(
    token: InviteToken, user: CurrentConsumer, session: SessionDep
) -> GroupInvitePreview:
    """What a link shows before joining: the group's name, its admin's name, how many
    are in it, and `state` (whether it lets the caller join now, and why not). A token
    that is not one of ours: 404."""
    return groups_service.preview_invite(session, token=token, user=user)


@router.post("/group-invites/{token}/accept", response_model=GroupRead)
@raises(GroupClosed, GroupInviteRevoked, GroupInviteExpired, GroupInviteUsedUp, GroupFull)
def accept_group_invite(
    token: InviteToken, user: CurrentConsumer, session: SessionDep
) -> GroupRead:
    """Join the group with its link's token (someone already in it gets the group
    again, 200). Refused when the link was withdrawn, expired or used by as many
    people as it allows, or the group is closed or full (409)."""
    group, _joined = groups_service.accept_invite(session, token=token, user=user)
    commit(session)
    return group_crud.read(session, group=group)
