"""Typed factories: build rows in the test's session with sensible defaults."""

from __future__ import annotations

import functools
import itertools
import uuid
from typing import Any

from sqlmodel import Session

from app.core.security import create_access_token, hash_password
from app.crud import membership as membership_crud
from app.models import User, Venue, VenueKind, VenueMembership, VenueRole, VenueStatus

_seq = itertools.count(1)
DEFAULT_PASSWORD = "correct-horse-battery-staple"


def _n() -> int:
    return next(_seq)


@functools.lru_cache(maxsize=16)
def _password_hash(password: str) -> str:
    """Argon2 takes ~0.4 s a hash here; users made with the same password share one."""
    return hash_password(password)


def make_user(
    session: Session,
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    is_superuser: bool = False,
    is_active: bool = True,
    **fields: Any,
) -> User:
    n = _n()
    if email is None and phone is None:
        email = f"user{n}-{uuid.uuid4().hex[:6]}@example.com"
    user = User(
        email=email.lower() if email else None,
        phone=phone,
        password_hash=_password_hash(password) if password else None,
        full_name=fields.pop("full_name", f"Test User {n}"),
        is_superuser=is_superuser,
        is_active=is_active,
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_consumer(session: Session, *, phone: str | None = None, **fields: Any) -> User:
    n = _n()
    return make_user(session, phone=phone or f"+9198{n:08d}"[:13], password=None, **fields)


def make_venue(
    session: Session,
    *,
    owner: User | None = None,
    kind: VenueKind = VenueKind.RESTAURANT,
    verified: bool = True,
    latitude: float = 12.9716,
    longitude: float = 77.5946,
    **fields: Any,
) -> Venue:
    n = _n()
    venue = Venue(
        kind=kind,
        name=fields.pop("name", f"Venue {n}"),
        address=fields.pop("address", f"{n} MG Road, Bengaluru"),
        latitude=latitude,
        longitude=longitude,
        status=VenueStatus.VERIFIED if verified else VenueStatus.DRAFT,
        **fields,
    )
    session.add(venue)
    session.flush()
    if owner is not None:
        add_member(session, venue=venue, user=owner, role=VenueRole.OWNER)
    return venue


def add_member(session: Session, *, venue: Venue, user: User, role: VenueRole) -> VenueMembership:
    return membership_crud.add(session, venue_id=venue.id, user_id=user.id, role=role)


def auth_headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(user.id).token}"}
