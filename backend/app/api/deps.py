"""Dependencies: the database session, who the caller is, and what they may touch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlmodel import Session

from app.core.config import settings
from app.core.db import db_slots, get_engine
from app.core.errors import (
    AdminRequired,
    DatabaseUnavailable,
    NotAuthenticated,
    NotFound,
    VenueRoleRequired,
    raises,
)
from app.core.security import InvalidToken, TokenType, decode_token
from app.crud import auth as auth_crud
from app.models import User, Venue, VenueRole


async def database_slot() -> AsyncIterator[None]:
    """Wait (in the event loop, holding no thread) for one of the pool's connections.

    See `app/core/db.py` for why this keeps 64+ concurrent requests from stalling.
    """
    async with db_slots.limiter:
        yield


@raises(DatabaseUnavailable)
def get_session(_slot: Annotated[None, Depends(database_slot)]) -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

# Two ways to authorize in Swagger UI, the same `Authorization: Bearer` header on the
# wire: the password form (business accounts) and a pasted access token (consumers,
# who get theirs from the one-time code).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{settings.API_V1_STR}/auth/login", auto_error=False)
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="AccessToken",
    description="Paste an `access_token` from `/auth/otp/verify`, `/auth/login` or "
    "`/auth/refresh`.",
)


async def get_token(  # async: no I/O, so no worker-thread hop
    form_token: Annotated[str | None, Depends(oauth2_scheme)],
    pasted: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    return form_token or (pasted.credentials if pasted else None)


TokenDep = Annotated[str | None, Depends(get_token)]


@raises(NotAuthenticated)
def get_current_user(session: SessionDep, token: TokenDep) -> User:
    if not token:
        raise NotAuthenticated()
    try:
        payload = decode_token(token, TokenType.ACCESS)
        user_id = uuid.UUID(payload["sub"])
    except (InvalidToken, ValueError) as exc:
        raise NotAuthenticated("Invalid or expired access token") from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise NotAuthenticated("Invalid or expired access token")
    # Logged out (jti deny-list) or issued before the user's sessions were ended.
    if not auth_crud.access_token_is_live(session, user=user, payload=payload):
        raise NotAuthenticated("This session has ended; sign in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@raises(NotAuthenticated)
def get_optional_user(session: SessionDep, token: TokenDep) -> User | None:
    """The caller when a valid token is sent; anonymous callers get None."""
    if not token:
        return None
    return get_current_user(session, token)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


@raises(AdminRequired)
def get_current_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise AdminRequired()
    return user


CurrentSuperuser = Annotated[User, Depends(get_current_superuser)]


def venue_role_guard(minimum: VenueRole) -> Callable[..., Venue]:
    """A dependency that loads `{venue_id}` from the path and checks the caller's role.

    Unknown venues and venues the caller is not a member of are a 404 (the same
    answer, so nothing leaks); members below `minimum` get a 403. Platform admins
    pass every check.
    """
    from app.crud import venue as venue_crud

    @raises(NotFound, VenueRoleRequired)
    def guard(venue_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Venue:
        venue = session.get(Venue, venue_id)
        if venue is None:
            raise NotFound("venue")
        venue_crud.require_role(session, venue=venue, user=user, minimum=minimum)
        return venue

    guard.__name__ = f"require_venue_{minimum.value}"
    return guard


OwnedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.OWNER))]
ManagedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.MANAGER))]
StaffedVenue = Annotated[Venue, Depends(venue_role_guard(VenueRole.STAFF))]
