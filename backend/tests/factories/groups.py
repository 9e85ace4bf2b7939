"""Typed factories for groups: a group with its wallet, members, former members and
invitation links (made as the app makes them: `app.crud.group`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.core.group_invite_token import encode_invite_token
from app.crud import group as group_crud
from app.models import User
from app.models.group import Group, GroupInvite, GroupMember, LeftReason

_seq = itertools.count(1)


def make_group(
    session: Session,
    *,
    admin: User,
    members: Sequence[User] = (),
    currency: str = "INR",
    name: str | None = None,
    **fields: Any,
) -> Group:
    """A group (and its wallet) with `admin` as admin and `members` as members;
    `fields` sets other columns of the group (`booking_id`, `cap_minor`, ...)."""
    group = group_crud.create(
        session,
        name=name or f"Group {next(_seq)}",
        admin_id=admin.id,
        currency=currency,
        time_zone=fields.pop("time_zone", "Asia/Kolkata"),
        booking_id=fields.pop("booking_id", None),
        table_session_id=fields.pop("table_session_id", None),
    )
    for key, value in fields.items():
        setattr(group, key, value)
    session.add(group)
    for member in members:
        group_crud.add_member(session, group_id=group.id, user_id=member.id)
    session.flush()
    return group


def add_to_group(session: Session, *, group: Group, user: User) -> GroupMember:
    return group_crud.add_member(session, group_id=group.id, user_id=user.id)


def leave_group(
    session: Session, *, group: Group, user: User, reason: LeftReason = LeftReason.LEFT
) -> GroupMember:
    """End the user's current membership: they become a former member."""
    member = group_crud.current_member(session, group.id, user.id)
    assert member is not None
    group_crud.end_membership(session, member=member, reason=reason)
    return member


def make_invite(
    session: Session,
    *,
    group: Group,
    max_uses: int = 5,
    hours: int = 24,
    expired: bool = False,
    revoked: bool = False,
) -> tuple[GroupInvite, str]:
    """An invitation link of the group and its token."""
    invite = group_crud.create_invite(
        session, group_id=group.id, created_by_id=group.admin_id, max_uses=max_uses, hours=hours
    )
    if expired:
        invite.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    if revoked:
        invite.revoked_at = datetime.now(UTC)
    session.add(invite)
    session.flush()
    return invite, encode_invite_token(invite_id=invite.id)
