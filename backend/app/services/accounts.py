"""Account workflows that span several rules: first superuser, adding a way to sign
in, deleting an account, and what platform admins do to accounts."""

from __future__ import annotations

from sqlalchemy import func as sa_func
from sqlmodel import Session, col, delete, func, select

from app.core.errors import (
    AccountDeleted,
    CannotDeactivateSelf,
    CannotRevokeOwnAdmin,
    SoleVenueOwner,
)
from app.core.security import hash_password
from app.crud import auth as auth_crud
from app.crud import user as user_crud
from app.models import User, Venue, VenueMembership, VenueRole
from app.services import auth as auth_service
from app.services import otp as otp_service


def ensure_superuser(
    session: Session, *, email: str, password: str, full_name: str | None = None
) -> User:
    """Create a platform admin with this email, or promote the existing account."""
    email = email.strip().lower()
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    if user is None:
        user = User(email=email, full_name=full_name or "Platform admin")
        session.add(user)
    user.password_hash = hash_password(password)
    user.is_superuser = True
    user.is_active = True
    session.flush()
    return user


def create_first_superuser(session: Session, *, email: str, password: str) -> User | None:
    """The `FIRST_SUPERUSER` on a fresh database; None when the address already has an
    account. Runs at every deploy (`socia migrate`), so it never touches an existing
    account: a password changed since, or a deactivation, stays as it is."""
    if user_crud.get_by_email(session, email=email.strip()) is not None:
        return None
    return ensure_superuser(session, email=email, password=password)


def attach_email(
    session: Session, *, user: User, email: str, password: str, ip: str
) -> auth_service.PendingEmail:
    """Add business sign-in to a phone account; returns the verification email to send
    once committed. Limited per account and per client address before anything is
    looked up, so it cannot be used to test which addresses have accounts."""
    otp_service.limit_attach_attempts(user=user, ip=ip)
    user_crud.attach_email(session, user=user, email=email, password=password)
    return auth_service.verification_email(session, user=user)


def _venues_only_owned_by(session: Session, user: User) -> list[str]:
    """Ids of venues where this user is the only owner."""
    owners = (
        select(VenueMembership.venue_id, sa_func.count().label("owners"))
        .where(VenueMembership.role == VenueRole.OWNER)
        .group_by(col(VenueMembership.venue_id))
        .subquery()
    )
    rows = session.exec(
        select(VenueMembership.venue_id)
        .join(owners, owners.c.venue_id == VenueMembership.venue_id)
        .where(
            VenueMembership.user_id == user.id,
            VenueMembership.role == VenueRole.OWNER,
            owners.c.owners == 1,
        )
    ).all()
    return [str(venue_id) for venue_id in rows]


def delete_account(session: Session, *, user: User) -> None:
    """Erase the person, keep the row (orders and payments still point at it)."""
    # The venues this user owns, locked (in a fixed order) like every staff change, so
    # two co-owners deleting their accounts at once cannot leave a venue without one.
    owned = (
        select(VenueMembership.venue_id)
        .where(VenueMembership.user_id == user.id, VenueMembership.role == VenueRole.OWNER)
        .scalar_subquery()
    )
    session.exec(
        select(Venue.id).where(col(Venue.id).in_(owned)).order_by(col(Venue.id)).with_for_update()
    ).all()
    sole = _venues_only_owned_by(session, user)
    if sole:
        raise SoleVenueOwner(
            f"You are the only owner of {len(sole)} venue(s); add another owner or close "
            "them before deleting your account"
        )
    auth_crud.end_sessions(session, user=user)
    session.execute(delete(VenueMembership).where(col(VenueMembership.user_id) == user.id))
    if user.phone is not None:
        auth_crud.delete_codes_for_phone(session, phone=user.phone)
    auth_crud.delete_email_tokens(session, user_id=user.id)
    user_crud.anonymise(session, user=user)


def deactivate(session: Session, *, admin: User, user: User) -> User:
    """The user can no longer sign in, and every session ends now."""
    if user.id == admin.id:
        raise CannotDeactivateSelf()
    user.is_active = False
    auth_crud.end_sessions(session, user=user)
    return user


def reactivate(session: Session, *, user: User) -> User:
    if user.deleted_at is not None:
        raise AccountDeleted("This account was deleted and cannot be reactivated")
    user.is_active = True
    session.add(user)
    session.flush()
    return user


def set_superuser(session: Session, *, admin: User, user: User, value: bool) -> User:
    if user.deleted_at is not None:
        raise AccountDeleted()
    if not value and user.id == admin.id:
        raise CannotRevokeOwnAdmin()
    user.is_superuser = value
    session.add(user)
    session.flush()
    return user
