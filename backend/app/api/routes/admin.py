"""Routes: platform administration of accounts (superusers only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import CurrentSuperuser, SessionDep, get_current_superuser
from app.core.errors import (
    AccountDeleted,
    CannotDeactivateSelf,
    CannotRevokeOwnAdmin,
    NotFound,
    raises,
)
from app.crud import user as user_crud
from app.models import User
from app.schema.common import Page, PageParams, page_params
from app.schema.user import AdminUserRead
from app.services import accounts as accounts_service

# Authentication at router level: no route here can forget it.
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(get_current_superuser)])


def get_user(user_id: uuid.UUID, session: SessionDep) -> User:
    user = user_crud.get(session, user_id)
    if user is None:
        raise NotFound("user")
    return user


TargetUser = Annotated[User, Depends(get_user)]


@router.get("/users", response_model=Page[AdminUserRead])
def list_users(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Part of an email, phone or name"),
    ] = None,
    is_active: bool | None = None,
    is_superuser: bool | None = None,
) -> Any:
    """Every account, newest first, searchable."""
    items, total = user_crud.list_users(
        session,
        q=q,
        is_active=is_active,
        is_superuser=is_superuser,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/users/{user_id}", response_model=AdminUserRead)
def read_user(user: TargetUser) -> Any:
    return user


@router.post("/users/{user_id}/deactivate", response_model=AdminUserRead)
@raises(CannotDeactivateSelf)
def deactivate_user(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    """The account can no longer sign in; all its sessions end at once."""
    accounts_service.deactivate(session, admin=admin, user=user)
    session.commit()
    return user


@router.post("/users/{user_id}/reactivate", response_model=AdminUserRead)
@raises(AccountDeleted)
def reactivate_user(user: TargetUser, session: SessionDep) -> Any:
    accounts_service.reactivate(session, user=user)
    session.commit()
    return user


@router.post("/users/{user_id}/superuser", response_model=AdminUserRead)
@raises(AccountDeleted)
def grant_superuser(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    """Make the account a platform admin."""
    accounts_service.set_superuser(session, admin=admin, user=user, value=True)
    session.commit()
    return user


@router.delete("/users/{user_id}/superuser", response_model=AdminUserRead)
@raises(AccountDeleted, CannotRevokeOwnAdmin)
def revoke_superuser(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    accounts_service.set_superuser(session, admin=admin, user=user, value=False)
    session.commit()
    return user
