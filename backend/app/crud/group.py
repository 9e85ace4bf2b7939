"""Groups, their members and invitations: queries and single-row rules (never commits).

A current member is a `group_member` row with `left_at` IS NULL (one per person and
group: the partial unique index `uq_group_member_current`); a former member keeps
their row with `left_at` and `left_reason`.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.core.errors import NotFound, NotGroupAdmin
from app.models.group import Group, GroupMember, GroupRole


def current_member(session: Session, group_id: uuid.UUID, user_id: uuid.UUID) -> GroupMember | None:
    """The user's current membership of the group, if they are a member now."""
    return session.exec(
        select(GroupMember).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            col(GroupMember.left_at).is_(None),
        )
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
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound("group")
    member = current_member(session, group.id, user_id)
    if member is None:
        raise NotFound("group")
    if member.role != GroupRole.ADMIN or group.admin_id != user_id:
        raise NotGroupAdmin()
    return group
