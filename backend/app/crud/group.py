"""Groups, their members and invitations: queries and single-row rules (never commits).

A current member is a `group_member` row with `left_at` IS NULL (one per person and
group: the partial unique index `uq_group_member_current`); a former member keeps
their row with `left_at` and `left_reason`. Locks are taken by `app.services.groups`
in its fixed order (the group row first); the helpers here that change rows expect
their caller to hold the group's row lock.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.core.errors import NotFound, NotGroupAdmin
from app.core.group_invite_token import encode_invite_token, invite_link
from app.crud.common import AnyRow, paginate
from app.models import User
from app.models.group import (
    Group,
    GroupInvite,
    GroupMember,
    GroupRole,
    GroupWallet,
    LeftReason,
)
from app.schema.common import Page, PageParams
from app.schema.group import GroupInviteRead, GroupMemberRead, GroupRead, GroupSummary

# --- the group and who is in it -----------------------------------------------------------


def current_member(session: Session, group_id: uuid.UUID, user_id: uuid.UUID) -> GroupMember | None:
    """The user's current membership of the group, if they are a member now."""
    return session.exec(
        select(GroupMember)
        .where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            col(GroupMember.left_at).is_(None),
        )
        .execution_options(populate_existing=True)
    ).first()


def get_for_member(session: Session, *, group_id: uuid.UUID, user_id: uuid.UUID) -> Group:
    """A group the user is a current member of; anyone else (former members, platform
    admins too) gets `NotFound("group")`, the same answer as for a group that does not
    exist."""
    group = session.get(Group, group_id)
    if group is None or current_member(session, group.id, user_id) is None:
        raise NotFound("group")
    return group


def get_for_admin(session: Session, *, group_id: uuid.UUID, user_id: uuid.UUID) -> Group:
    """A group the user is the admin of: members get `NotGroupAdmin` (403), anyone else
    `NotFound("group")`."""
    group = get_for_member(session, group_id=group_id, user_id=user_id)
    require_admin(group, user_id=user_id)
    return group


def require_admin(group: Group, *, user_id: uuid.UUID) -> None:
    """`NotGroupAdmin` unless the user is the group's admin (check it again under the
    group's lock: the role may have been handed on meanwhile)."""
    if group.admin_id != user_id:
        raise NotGroupAdmin()


def lock(session: Session, *, group_id: uuid.UUID) -> Group:
    """The group re-read under its row lock (SELECT ... FOR UPDATE): the first lock of
    every change of a group, its members or its invitations."""
    found = session.exec(
        select(Group)
        .where(Group.id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotFound("group")
    return found


def create(
    session: Session,
    *,
    name: str,
    admin_id: uuid.UUID,
    currency: str,
    time_zone: str,
    booking_id: uuid.UUID | None = None,
    table_session_id: uuid.UUID | None = None,
) -> Group:
    """A new group with its wallet and its admin as first member."""
    group = Group(
        name=name,
        admin_id=admin_id,
        currency=currency,
        time_zone=time_zone,
        booking_id=booking_id,
        table_session_id=table_session_id,
    )
    session.add(group)
    session.flush()
    session.add(GroupWallet(group_id=group.id, currency=currency))
    session.add(GroupMember(group_id=group.id, user_id=admin_id, role=GroupRole.ADMIN))
    session.flush()
    return group


def count_current(session: Session, *, group_id: uuid.UUID) -> int:
    """How many people are in the group now (its admin included)."""
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(GroupMember)
            .where(col(GroupMember.group_id) == group_id, col(GroupMember.left_at).is_(None))
        ).scalar_one()
    )


def add_member(
    session: Session,
    *,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    invite_id: uuid.UUID | None = None,
) -> GroupMember:
    """A new current membership (the caller holds the group's lock and has checked the
    person is not a member already)."""
    member = GroupMember(group_id=group_id, user_id=user_id, invite_id=invite_id)
    session.add(member)
    session.flush()
    return member


def end_membership(session: Session, *, member: GroupMember, reason: LeftReason) -> None:
    member.left_at = datetime.now(UTC)
    member.left_reason = reason
    session.add(member)
    session.flush()


def set_role(session: Session, *, member: GroupMember, role: GroupRole) -> None:
    member.role = role
    session.add(member)
    session.flush()


# --- answers ------------------------------------------------------------------------------


def members(session: Session, *, group_id: uuid.UUID) -> list[GroupMemberRead]:
    """The group's current members, the admin first, then in the order they joined."""
    rows = session.execute(
        sa.select(GroupMember, col(User.full_name))
        .join(User, col(User.id) == GroupMember.user_id)
        .where(col(GroupMember.group_id) == group_id, col(GroupMember.left_at).is_(None))
        .order_by(
            (col(GroupMember.role) == GroupRole.ADMIN.value).desc(),
            col(GroupMember.joined_at),
            col(GroupMember.id),
        )
    ).all()
    return [
        GroupMemberRead(
            user_id=member.user_id,
            name=name,
            role=member.role,
            can_spend=member.can_spend,
            joined_at=member.joined_at,
        )
        for member, name in rows
    ]


def read(session: Session, *, group: Group) -> GroupRead:
    return GroupRead(
        id=group.id,
        name=group.name,
        status=group.status,
        admin_id=group.admin_id,
        booking_id=group.booking_id,
        table_session_id=group.table_session_id,
        currency=group.currency,
        time_zone=group.time_zone,
        cap_minor=group.cap_minor,
        cap_period=group.cap_period,
        approval_above_minor=group.approval_above_minor,
        created_at=group.created_at,
        closed_at=group.closed_at,
        members=members(session, group_id=group.id),
    )


def list_for_user(session: Session, *, user_id: uuid.UUID, page: PageParams) -> Page[GroupSummary]:
    """The groups the user is a current member of, the latest joined first (one query)."""
    others = aliased(GroupMember)
    member_count = (
        sa.select(sa.func.count())
        .select_from(others)
        .where(col(others.group_id) == col(Group.id), col(others.left_at).is_(None))
        .scalar_subquery()
    )
    statement = (
        sa.select(Group, GroupMember, member_count)
        .join(GroupMember, col(GroupMember.group_id) == Group.id)
        .where(col(GroupMember.user_id) == user_id, col(GroupMember.left_at).is_(None))
        .order_by(col(GroupMember.joined_at).desc(), col(GroupMember.id).desc())
    )

    def item(row: AnyRow) -> GroupSummary:
        group, member, count = row[0], row[1], row[2]
        return GroupSummary(
            id=group.id,
            name=group.name,
            status=group.status,
            currency=group.currency,
            role=member.role,
            member_count=int(count),
            joined_at=member.joined_at,
            created_at=group.created_at,
        )

    return paginate(session, statement, page=page, item=item)


# --- invitations --------------------------------------------------------------------------


def create_invite(
    session: Session,
    *,
    group_id: uuid.UUID,
    created_by_id: uuid.UUID,
    max_uses: int,
    hours: int,
) -> GroupInvite:
    invite = GroupInvite(
        group_id=group_id,
        created_by_id=created_by_id,
        max_uses=max_uses,
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
    )
    session.add(invite)
    session.flush()
    return invite


def get_invite(session: Session, *, invite_id: uuid.UUID) -> GroupInvite | None:
    return session.exec(
        select(GroupInvite)
        .where(GroupInvite.id == invite_id)
        .execution_options(populate_existing=True)
    ).first()


def get_invite_of_group(
    session: Session, *, group_id: uuid.UUID, invite_id: uuid.UUID
) -> GroupInvite:
    """An invitation of this group (another group's, or none: `NotFound`)."""
    invite = get_invite(session, invite_id=invite_id)
    if invite is None or invite.group_id != group_id:
        raise NotFound("invitation")
    return invite


def list_invites(session: Session, *, group_id: uuid.UUID) -> list[GroupInvite]:
    """The group's invitations, newest first."""
    return list(
        session.exec(
            select(GroupInvite)
            .where(GroupInvite.group_id == group_id)
            .order_by(col(GroupInvite.created_at).desc(), col(GroupInvite.id))
        ).all()
    )


def take_invite_use(session: Session, *, invite_id: uuid.UUID, now: datetime) -> bool:
    """Count one use of the invitation, atomically, only while it still has one left,
    is not revoked and has not expired (False: nothing was counted)."""
    taken = session.execute(
        sa.update(GroupInvite)
        .where(
            col(GroupInvite.id) == invite_id,
            col(GroupInvite.uses) < col(GroupInvite.max_uses),
            col(GroupInvite.revoked_at).is_(None),
            col(GroupInvite.expires_at) > now,
        )
        .values(uses=col(GroupInvite.uses) + 1)
        .returning(col(GroupInvite.id))
    ).first()
    return taken is not None


def revoke_invite(session: Session, *, invite: GroupInvite) -> GroupInvite:
    if invite.revoked_at is None:
        invite.revoked_at = datetime.now(UTC)
        session.add(invite)
        session.flush()
    return invite


def invite_read(invite: GroupInvite) -> GroupInviteRead:
    return GroupInviteRead(
        id=invite.id,
        group_id=invite.group_id,
        max_uses=invite.max_uses,
        uses=invite.uses,
        expires_at=invite.expires_at,
        revoked_at=invite.revoked_at,
        created_at=invite.created_at,
        token=encode_invite_token(invite_id=invite.id),
        link=invite_link(invite_id=invite.id),
    )
