"""Users: look-ups, creation, profile changes, admin listing."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, func, select

from app.core.errors import (
    EmailAlreadySet,
    EmailTaken,
    PhoneAlreadySet,
    PhoneTaken,
    integrity_error,
)
from app.core.security import hash_password
from app.core.text import contains_pattern
from app.crud.common import paginate
from app.models import User
from app.models.base import utcnow
from app.schema.common import Page, PageParams


def get(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


@cache
def _by_id() -> Any:
    return select(User).where(col(User.id) == sa.bindparam("user_id"))


def get_signed_in(session: Session, user_id: uuid.UUID) -> User | None:
    """The user a token names, as `Session.get` finds it (the session's own copy when
    it holds one), but read by one statement built once: this runs on every signed-in
    request, and `Session.get` builds its query each time."""
    known = session.identity_map.get(identity_key(User, user_id))
    if isinstance(known, User) and not sa.inspect(known).expired:
        return known
    user: User | None = session.execute(_by_id(), {"user_id": user_id}).scalar_one_or_none()
    return user


def get_for_update(session: Session, user_id: uuid.UUID) -> User | None:
    return session.exec(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def get_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.lower())).first()


def get_by_phone(session: Session, *, phone: str) -> User | None:
    return session.exec(select(User).where(User.phone == phone)).first()


def _insert(session: Session, user: User) -> User:
    """Add a user; a unique email or phone taken meanwhile is a 409, not a 500."""
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    return user


def create_with_phone(session: Session, *, phone: str) -> User:
    """A consumer account, created by a verified one-time code."""
    if get_by_phone(session, phone=phone) is not None:
        raise PhoneTaken()
    return _insert(session, User(phone=phone, phone_verified_at=utcnow()))


def create_with_email(session: Session, *, email: str, password: str, full_name: str) -> User:
    """A business account (email not yet verified)."""
    if get_by_email(session, email=email) is not None:
        raise EmailTaken()
    user = User(email=email.lower(), password_hash=hash_password(password), full_name=full_name)
    return _insert(session, user)


def update(session: Session, *, user: User, changes: dict[str, Any]) -> User:
    for field, value in changes.items():
        setattr(user, field, value)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> User:
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def attach_email(session: Session, *, user: User, email: str, password: str) -> User:
    if user.email is not None:
        raise EmailAlreadySet()
    other = get_by_email(session, email=email)
    if other is not None and other.id != user.id:
        raise EmailTaken()
    user.email = email.lower()
    user.email_verified_at = None
    user.password_hash = hash_password(password)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    return user


def attach_phone(session: Session, *, user: User, phone: str) -> User:
    if user.phone is not None:
        raise PhoneAlreadySet()
    other = get_by_phone(session, phone=phone)
    if other is not None and other.id != user.id:
        raise PhoneTaken()
    user.phone = phone
    user.phone_verified_at = utcnow()
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    return user


def anonymise(session: Session, *, user: User) -> User:
    """Erase personal data; the row stays so that orders and payments keep their buyer."""
    user.phone = None
    user.email = None
    user.password_hash = None
    user.full_name = None
    user.date_of_birth = None
    user.gender = None
    user.avatar_url = None
    user.preferences = {}
    user.email_verified_at = None
    user.phone_verified_at = None
    user.is_active = False
    user.is_superuser = False
    user.deleted_at = utcnow()
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    q: str | None = None,
    is_active: bool | None = None,
    is_superuser: bool | None = None,
    page: PageParams,
) -> Page[User]:
    """A page of users (newest first) matching a search on email, phone and name."""
    conditions: list[Any] = []
    if q:
        pattern = contains_pattern(q)
        conditions.append(
            or_(
                col(User.email).ilike(pattern),
                col(User.phone).ilike(pattern),
                col(User.full_name).ilike(pattern),
            )
        )
    if is_active is not None:
        conditions.append(col(User.is_active).is_(is_active))
    if is_superuser is not None:
        conditions.append(col(User.is_superuser).is_(is_superuser))
    statement = select(User).where(*conditions).order_by(col(User.created_at).desc(), col(User.id))
    return paginate(session, statement, page=page)
