"""Routes: platform administration of accounts and of the job queue (superusers only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import CurrentSuperuser, SessionDep, TargetUser, commit, get_current_superuser
from app.core.errors import (
    AccountDeleted,
    CannotDeactivateSelf,
    CannotRevokeOwnAdmin,
    raises,
)
from app.crud import job as job_crud
from app.crud import user as user_crud
from app.schema.common import Page, PageParams, page_params
from app.schema.job import JobRead, JobStatus
from app.schema.user import AdminUserRead
from app.services import accounts as accounts_service

# Authentication at router level: no route here can forget it.
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(get_current_superuser)])


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
    return user_crud.list_users(
        session, q=q, is_active=is_active, is_superuser=is_superuser, page=page
    )


@router.get("/users/{user_id}", response_model=AdminUserRead)
def read_user(user: TargetUser) -> Any:
    return user


@router.post("/users/{user_id}/deactivate", response_model=AdminUserRead)
@raises(CannotDeactivateSelf)
def deactivate_user(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    """The account can no longer sign in; all its sessions end at once."""
    accounts_service.deactivate(session, admin=admin, user=user)
    commit(session)
    return user


@router.post("/users/{user_id}/reactivate", response_model=AdminUserRead)
@raises(AccountDeleted)
def reactivate_user(user: TargetUser, session: SessionDep) -> Any:
    accounts_service.reactivate(session, user=user)
    commit(session)
    return user


@router.post("/users/{user_id}/superuser", response_model=AdminUserRead)
@raises(AccountDeleted)
def grant_superuser(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    """Make the account a platform admin."""
    accounts_service.set_superuser(session, admin=admin, user=user, value=True)
    commit(session)
    return user


@router.delete("/users/{user_id}/superuser", response_model=AdminUserRead)
@raises(AccountDeleted, CannotRevokeOwnAdmin)
def revoke_superuser(user: TargetUser, admin: CurrentSuperuser, session: SessionDep) -> Any:
    accounts_service.set_superuser(session, admin=admin, user=user, value=False)
    commit(session)
    return user


# --- the job queue ---------------------------------------------------------------------


@router.get("/jobs", response_model=Page[JobRead])
def list_jobs(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[JobStatus, Query(description="Jobs in this status")] = JobStatus.FAILED,
) -> Any:
    """Jobs of the queue in one status (failed by default), newest first, with the last
    error of each (a job is failed once its retries are used up)."""
    return job_crud.list_jobs(session, status=status.value, page=page)


@router.post("/jobs/{job_id}/retry", response_model=JobRead)
def retry_job(job_id: int, session: SessionDep) -> Any:
    """Put a failed job back in the queue, due now (409 if it is not failed)."""
    job = job_crud.retry_failed(session, job_id=job_id)
    commit(session)
    return job
