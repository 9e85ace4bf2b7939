"""Groups: friends going out together, with one wallet and an admin who sets its rules.

A signed-in consumer makes a group (`create`), optionally for one of their confirmed
bookings or a table session they sit at, and is its admin; the group's wallet is made
with it, in the booking's or venue's currency. People join with an invitation link
(`create_invite`, `accept_invite`: signed, expiring, usable by a set number of
people, withdrawn with `revoke_invite`) or, for a group made for a booking, are added
by the admin by phone number while the group has fewer members than the booking has
guests (`add_booking_guest`). Members leave (`remove_member` on themselves); the admin
removes members, says who may spend (`set_can_spend`), sets the wallet's rules
(`update`), hands the admin role on (`hand_over`) and closes the group (`close`: the
wallet's balance goes back to the members first). A closed group is still read by its
members (and its ledger), but refuses every change (409 `group_closed`). A group has at
most `GROUP_MAX_MEMBERS` current members, its admin included.

Locks, always in this order:
1. the group's row (`consumer_group`, SELECT ... FOR UPDATE: `crud.group.lock`), taken
   first by every change of a group, its members or its invitations;
2. then member and invitation rows (a use of an invitation is also an atomic
   conditional UPDATE, `uses < max_uses`);
3. then the wallet's row (`app.services.wallets`; closing calls `close_wallet` while
   holding the group's lock). Wallet flows that start from the wallet never lock the
   group's row after it: they read the group afresh once they hold the wallet's lock.
Who may act is checked again once the group's lock is held (the admin role may have
been handed on, a membership ended, the group closed while the request waited), and the
member count is taken under it, so parallel joins never pass the maximum.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from app.core import ratelimit
from app.core.config import settings
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
    PhoneNotAddable,
    TableSessionClosed,
)
from app.core.group_invite_token import decode_invite_token
from app.core.security import InvalidToken
from app.crud import booking as booking_crud
from app.crud import group as group_crud
from app.crud import table_session as session_crud
from app.crud import user as user_crud
from app.models import Event, User, Venue
from app.models.booking import Booking, BookingStatus
from app.models.group import (
    Group,
    GroupInvite,
    GroupMember,
    GroupRole,
    GroupStatus,
    LeftReason,
)
from app.models.order import TableSessionStatus
from app.schema.group import GroupCreate, GroupInvitePreview, GroupUpdate, InviteState
from app.services import table_sessions as sessions_service
from app.services import wallets

DEFAULT_CURRENCY = "INR"
DEFAULT_TIME_ZONE = "Asia/Kolkata"
# Adding by phone number looks a number up: an admin may try this many an hour.
ADD_BY_PHONE_LIMIT = "30/hour"


def _now() -> datetime:
    return datetime.now(UTC)


# --- making a group -----------------------------------------------------------------------


def create(session: Session, *, user: User, data: GroupCreate) -> Group:
    """A new group with the caller as admin, and its wallet. A booking must be one of
    the caller's own confirmed bookings, a table session one they joined recently and
    still open (else 404); the wallet's currency is then theirs."""
    currency: str | None = None
    time_zone = DEFAULT_TIME_ZONE
    if data.booking_id is not None:
        booking = booking_crud.get_for_consumer(session, booking_id=data.booking_id, consumer=user)
        if booking.status is not BookingStatus.CONFIRMED:
            raise NotFound("booking")
        event = session.get(Event, booking.event_id)
        venue = session.get(Venue, event.venue_id) if event is not None else None
        currency = booking.currency
        time_zone = venue.timezone if venue is not None else DEFAULT_TIME_ZONE
    elif data.table_session_id is not None:
        sessions_service.require_recent_member(
            session, table_session_id=data.table_session_id, user=user
        )
        table_session = session_crud.get(session, session_id=data.table_session_id)
        if table_session.status is not TableSessionStatus.OPEN:
            raise TableSessionClosed()
        venue = session.get(Venue, table_session.venue_id)
        assert venue is not None
        currency = venue.currency
        time_zone = venue.timezone
    if currency is not None and data.currency is not None and data.currency != currency:
        raise GroupCurrencyMismatch()
    return group_crud.create(
        session,
        name=data.name,
        admin_id=user.id,
        currency=data.currency or currency or DEFAULT_CURRENCY,
        time_zone=time_zone,
        booking_id=data.booking_id,
        table_session_id=data.table_session_id,
    )


# --- changes, each under the group's lock ---------------------------------------------------


def _locked(
    session: Session, *, group: Group, by: User, admin: bool = False, open_only: bool = True
) -> Group:
    """The group under its row lock, with who may act checked again under it: a current
    member (else 404), the admin when `admin` (else 403), and an open group (else 409)."""
    locked = group_crud.lock(session, group_id=group.id)
    if group_crud.current_member(session, locked.id, by.id) is None:
        raise NotFound("group")
    if admin:
        group_crud.require_admin(locked, user_id=by.id)
    if open_only and locked.status is GroupStatus.CLOSED:
        raise GroupClosed()
    return locked


def _member(session: Session, *, group: Group, user_id: uuid.UUID) -> GroupMember:
    member = group_crud.current_member(session, group.id, user_id)
    if member is None:
        raise NotFound("member")
    return member


def update(session: Session, *, group: Group, by: User, data: GroupUpdate) -> Group:
    """The admin renames the group or changes the wallet's rules."""
    locked = _locked(session, group=group, by=by, admin=True)
    for name, value in data.changes().items():
        setattr(locked, name, value)
    session.add(locked)
    session.flush()
    return locked


def set_can_spend(
    session: Session, *, group: Group, by: User, user_id: uuid.UUID, can_spend: bool
) -> Group:
    """The admin says whether a member may spend from the wallet."""
    locked = _locked(session, group=group, by=by, admin=True)
    member = _member(session, group=locked, user_id=user_id)
    member.can_spend = can_spend
    session.add(member)
    session.flush()
    return locked


def remove_member(session: Session, *, group: Group, by: User, user_id: uuid.UUID) -> Group:
    """A member leaves (`user_id` is their own), or the admin removes someone. The admin
    cannot leave before handing the role on (409 `admin_must_hand_over`)."""
    locked = _locked(session, group=group, by=by)
    if user_id == by.id:
        if locked.admin_id == by.id:
            raise AdminMustHandOver()
        reason = LeftReason.LEFT
    else:
        group_crud.require_admin(locked, user_id=by.id)
        reason = LeftReason.REMOVED
    member = _member(session, group=locked, user_id=user_id)
    group_crud.end_membership(session, member=member, reason=reason)
    return locked


def hand_over(session: Session, *, group: Group, by: User, user_id: uuid.UUID) -> Group:
    """The admin makes another current member the admin (and becomes a member)."""
    locked = _locked(session, group=group, by=by, admin=True)
    successor = _member(session, group=locked, user_id=user_id)
    if successor.user_id == by.id:
        return locked
    current = _member(session, group=locked, user_id=by.id)
    group_crud.set_role(session, member=current, role=GroupRole.MEMBER)
    group_crud.set_role(session, member=successor, role=GroupRole.ADMIN)
    locked.admin_id = successor.user_id
    session.add(locked)
    session.flush()
    return locked


def add_booking_guest(session: Session, *, group: Group, by: User, phone: str) -> Group:
    """The admin adds a guest of the group's booking by the phone number of their
    account, while the group has fewer members than the booking has guests (a couple
    pass: 2 people); beyond that, or for a group not made for a booking, people join
    with an invitation link. Someone already in the group is not added twice."""
    locked = _locked(session, group=group, by=by, admin=True)
    booking = session.get(Booking, locked.booking_id) if locked.booking_id else None
    if booking is None or booking.status is not BookingStatus.CONFIRMED:
        raise GroupNotForBooking()
    ratelimit.hit("group-add-by-phone", str(by.id), ADD_BY_PHONE_LIMIT)
    person = user_crud.get_by_phone(session, phone=phone)
    if person is None or not person.is_active or person.deleted_at is not None:
        raise PhoneNotAddable()
    if group_crud.current_member(session, locked.id, person.id) is not None:
        return locked
    count = group_crud.count_current(session, group_id=locked.id)
    if count >= booking.guests:
        raise BookingGuestsInGroup()
    if count >= settings.GROUP_MAX_MEMBERS:
        raise GroupFull()
    group_crud.add_member(session, group_id=locked.id, user_id=person.id)
    return locked


def close(session: Session, *, group: Group, by: User) -> Group:
    """The admin closes the group: the wallet's balance goes back to the members
    (`wallets.close_wallet`, refused while a spend waits), then the group is closed.
    Memberships stay (members still read the group and its ledger); invitations stop
    working."""
    locked = _locked(session, group=group, by=by, admin=True)
    wallets.close_wallet(session, group=locked, by=by)
    locked.status = GroupStatus.CLOSED
    locked.closed_at = _now()
    session.add(locked)
    session.flush()
    return locked


# --- invitations ----------------------------------------------------------------------------


def create_invite(
    session: Session, *, group: Group, by: User, max_uses: int, hours: int | None
) -> GroupInvite:
    """A new invitation link of the group, usable by `max_uses` people for `hours`."""
    locked = _locked(session, group=group, by=by, admin=True)
    return group_crud.create_invite(
        session,
        group_id=locked.id,
        created_by_id=by.id,
        max_uses=max_uses,
        hours=hours or settings.GROUP_INVITE_HOURS,
    )


def revoke_invite(session: Session, *, group: Group, by: User, invite_id: uuid.UUID) -> GroupInvite:
    """The admin withdraws a link (again: no change)."""
    locked = _locked(session, group=group, by=by, admin=True)
    invite = group_crud.get_invite_of_group(session, group_id=locked.id, invite_id=invite_id)
    return group_crud.revoke_invite(session, invite=invite)


def _invite_of_token(session: Session, *, token: str) -> GroupInvite:
    """The invitation a token names: forged, malformed or unknown are the same 404."""
    try:
        invite_id = decode_invite_token(token)
    except InvalidToken as exc:
        raise NotFound("invitation") from exc
    invite = group_crud.get_invite(session, invite_id=invite_id)
    if invite is None:
        raise NotFound("invitation")
    return invite


def _refusal(
    *, group: Group, invite: GroupInvite, members: int, now: datetime
) -> InviteState | None:
    """Why the invitation does not let someone new join now (None: it does)."""
    if group.status is GroupStatus.CLOSED:
        return InviteState.GROUP_CLOSED
    if invite.revoked_at is not None:
        return InviteState.REVOKED
    if invite.expires_at <= now:
        return InviteState.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteState.USED_UP
    if members >= settings.GROUP_MAX_MEMBERS:
        return InviteState.GROUP_FULL
    return None


_REFUSALS = {
    InviteState.GROUP_CLOSED: GroupClosed,
    InviteState.REVOKED: GroupInviteRevoked,
    InviteState.EXPIRED: GroupInviteExpired,
    InviteState.USED_UP: GroupInviteUsedUp,
    InviteState.GROUP_FULL: GroupFull,
}


def preview_invite(session: Session, *, token: str, user: User) -> GroupInvitePreview:
    """What a link's holder sees before joining: the group's name, its admin's name,
    how many are in it and whether the link works for them now (no member's id)."""
    invite = _invite_of_token(session, token=token)
    group = session.get(Group, invite.group_id)
    assert group is not None
    admin = session.get(User, group.admin_id)
    members = group_crud.count_current(session, group_id=group.id)
    if group_crud.current_member(session, group.id, user.id) is not None:
        state = InviteState.MEMBER
    else:
        state = _refusal(group=group, invite=invite, members=members, now=_now()) or (
            InviteState.OPEN
        )
    return GroupInvitePreview(
        group_name=group.name,
        admin_name=admin.full_name if admin is not None else None,
        member_count=members,
        currency=group.currency,
        expires_at=invite.expires_at,
        state=state,
    )


def accept_invite(session: Session, *, token: str, user: User) -> tuple[Group, bool]:
    """Join the group with its invitation link; answers the group and whether the
    caller joined now (False: they were in it already, which is not an error).

    Under the group's lock: the invitation's state and the member count are read
    afresh, and its use is counted with a conditional UPDATE (uses < max_uses), so
    parallel accepts never pass `max_uses` nor `GROUP_MAX_MEMBERS`."""
    found = _invite_of_token(session, token=token)
    group = group_crud.lock(session, group_id=found.group_id)
    if group_crud.current_member(session, group.id, user.id) is not None:
        return group, False
    invite = group_crud.get_invite(session, invite_id=found.id)
    assert invite is not None  # invitations go only with their group, which we hold
    now = _now()
    members = group_crud.count_current(session, group_id=group.id)
    refusal = _refusal(group=group, invite=invite, members=members, now=now)
    if refusal is not None:
        raise _REFUSALS[refusal]()
    if not group_crud.take_invite_use(session, invite_id=invite.id, now=now):
        raise GroupInviteUsedUp()
    group_crud.add_member(session, group_id=group.id, user_id=user.id, invite_id=invite.id)
    return group, True
