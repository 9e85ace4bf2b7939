"""Routes: club visits, a guest's night at a venue (the rules are in
`app.services.visits`).

A consumer lists their own visits; the staff of a venue (and its managers and
owners, and platform admins) read its nights. Anyone else gets 404 for a venue's
nights; anonymous callers 401.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import CurrentUser, SessionDep, StaffedVenue
from app.schema.common import Page, PageParams, page_params
from app.schema.visit import VenueNightRead, VenueNightSummary, VisitRead
from app.services import visits as visits_service

router = APIRouter(tags=["visits"])

VENUE_VISITS = "/venues/{venue_id}/visits"


@router.get("/users/me/visits", response_model=Page[VisitRead])
def list_my_visits(
    user: CurrentUser,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[VisitRead]:
    """The caller's visits, the newest night first: the venue and event, the night,
    first entry and last exit, entries, the cover charge of their passes, what they
    spent there that night by tender (cover credit, group wallet, gateway: prepaid
    orders and paid bill shares from the first entry to an hour after the last exit,
    or after the event's end while inside), and which members of their groups were
    there that night."""
    return visits_service.list_for_consumer(session, user=user, page=page)


@router.get(VENUE_VISITS, response_model=VenueNightRead)
def read_venue_night(
    venue: StaffedVenue,
    session: SessionDep,
    night: Annotated[
        date | None,
        Query(description="The local date the night began on (default: tonight)"),
    ] = None,
) -> VenueNightRead:
    """One night at the venue: visits and guests (new, or returning from an earlier
    night), cover charge, spend by tender and per head, and the inside-now curve
    (guests inside every 15 minutes, from the door scans of the events that started
    that night). A night runs from 06:00 to 06:00 local time."""
    night = night or visits_service.current_night(venue)
    return visits_service.venue_night(session, venue=venue, night=night)


@router.get(VENUE_VISITS + "/nights", response_model=Page[VenueNightSummary])
def list_venue_nights(
    venue: StaffedVenue,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[VenueNightSummary]:
    """The venue's nights with visits, the newest first, with their counts."""
    return visits_service.venue_nights(session, venue=venue, page=page)
