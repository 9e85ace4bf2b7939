"""Routes: the signed-in consumer's cover-charge credits.

A pass with an included cover credit gives it to the booking's consumer when its
ticket is first let in at the door (`app.services.cover_credit`). Its holder lists
their credits and reads each one's ledger; anyone else's credit is a 404 (admins
too).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.api.deps import CurrentUser, OwnCoverCredit, SessionDep
from app.schema.common import Page, PageParams, page_params
from app.schema.cover_credit import CoverCreditDetail, CoverCreditRead
from app.services import cover_credit as cover_credit_service

router = APIRouter(prefix="/users/me", tags=["credits"])


@router.get("/cover-credits", response_model=Page[CoverCreditRead])
def list_my_credits(
    user: CurrentUser,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[CoverCreditRead]:
    """The caller's cover credits, the newest first: the venue and event of each, what
    the pass gave, what is left, when it expires (the event's end), and whether it is
    spendable now (`active`: not expired, something left)."""
    return cover_credit_service.list_for_holder(session, user=user, page=page)


@router.get("/cover-credits/{credit_id}", response_model=CoverCreditDetail)
def read_my_credit(credit: OwnCoverCredit, session: SessionDep) -> CoverCreditDetail:
    """One of the caller's cover credits with its ledger: granted at check-in, spent on
    orders and bill shares, returned when what it paid for was given up. Another
    person's credit is not found."""
    return cover_credit_service.detail(session, view=credit)
