"""Routes: venues (create, discover, read, update, verify, (de)activate) and food courts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.deps import (
    CurrentBusinessUser,
    CurrentSuperuser,
    CurrentUser,
    ManagedQsr,
    ManagedVenue,
    OptionalUser,
    OwnedVenue,
    SessionDep,
    VisibleVenue,
    commit,
)
from app.api.location import set_location
from app.core.errors import (
    BusinessAccountRequired,
    NotAFoodCourt,
    NotAQsr,
    NotFound,
    QsrInOtherFoodCourt,
    UnknownTimezone,
    Unprocessable,
    VenueKindFields,
    VenueKindUnchangeable,
    VenueRoleRequired,
    VerifiedVenueNotDeletable,
    raises,
)
from app.crud import venue as venue_crud
from app.models import Venue, VenueKind
from app.models.base import utcnow
from app.schema.common import Page, PageParams, page_params
from app.schema.venue import (
    DiscoveryParams,
    MyVenue,
    VenueBrief,
    VenueCreate,
    VenueRead,
    VenueSummary,
    VenueUpdate,
)
from app.services import venues as venue_service

router = APIRouter(tags=["venues"])


# --- guards -----------------------------------------------------------------------------


def discovery_params(
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Latitude (degrees)")] = None,
    lng: Annotated[float | None, Query(ge=-180, le=180, description="Longitude (degrees)")] = None,
    radius_m: Annotated[
        int, Query(ge=50, le=50_000, description="Search radius around lat/lng, metres")
    ] = 5000,
    kind: Annotated[list[VenueKind] | None, Query(description="One or more kinds")] = None,
    open_now: Annotated[
        bool | None, Query(description="Open (or closed) now, in each venue's time zone")
    ] = None,
    cuisine: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    max_cost_for_two: Annotated[
        int | None, Query(ge=0, description="Highest average cost for two, minor units (paise)")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Name contains")
    ] = None,
) -> DiscoveryParams:
    if (lat is None) != (lng is None):
        raise Unprocessable(
            "Send both lat and lng, or neither", loc=("query", "lng" if lng is None else "lat")
        )
    for name, text in (("q", q), ("cuisine", cuisine)):
        if "\x00" in (text or ""):
            raise Unprocessable("Text may not contain NUL characters", loc=("query", name))
    if q is not None and not q.strip():
        raise Unprocessable("q (name contains) may not be blank", loc=("query", "q"))
    if cuisine is not None and not cuisine.strip():
        raise Unprocessable("cuisine may not be blank", loc=("query", "cuisine"))
    return DiscoveryParams(
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        kinds=tuple(kind or ()),
        open_now=open_now,
        cuisine=cuisine,
        max_cost_for_two=max_cost_for_two,
        q=q,
    )


# --- routes -----------------------------------------------------------------------------


@router.post("/venues", response_model=VenueRead, status_code=status.HTTP_201_CREATED)
@raises(BusinessAccountRequired, UnknownTimezone, NotAFoodCourt, VenueRoleRequired, NotFound)
def create_venue(
    data: VenueCreate, session: SessionDep, user: CurrentBusinessUser, response: Response
) -> VenueRead:
    """Create a venue (as a draft until a platform admin verifies it); you become its owner."""
    venue = venue_crud.create(session, data=data, creator=user)
    commit(session)
    set_location(response, f"/venues/{venue.id}")
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.get("/venues", response_model=Page[VenueSummary])
def search_venues(
    session: SessionDep,
    params: Annotated[DiscoveryParams, Depends(discovery_params)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[VenueSummary]:
    """Verified, active venues: nearest first (exact great-circle distance) around lat/lng,
    else by name."""
    return venue_crud.search(session, params=params, page=page, at=utcnow())


@router.get("/venues/mine", response_model=Page[MyVenue])
def list_my_venues(
    session: SessionDep, user: CurrentUser, page: Annotated[PageParams, Depends(page_params)]
) -> Page[MyVenue]:
    """The venues you belong to, with your role at each."""
    return venue_crud.list_for_member(session, user=user, page=page)


@router.get("/venues/{venue_id}", response_model=VenueRead)
def read_venue(venue: VisibleVenue, session: SessionDep) -> VenueRead:
    """A venue with its kind's fields, opening hours and whether it is open now."""
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.patch("/venues/{venue_id}", response_model=VenueRead)
@raises(VenueKindUnchangeable, VenueKindFields, UnknownTimezone)
def update_venue(venue: ManagedVenue, data: VenueUpdate, session: SessionDep) -> VenueRead:
    """Change a venue's details (managers and owners). The kind never changes (409)."""
    venue_service.update(session, venue=venue, data=data)
    commit(session)
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.delete("/venues/{venue_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(VerifiedVenueNotDeletable)
def delete_venue(venue: OwnedVenue, session: SessionDep) -> None:
    """Delete a draft venue (owners). A verified venue is deactivated instead (409)."""
    venue_crud.delete(session, venue=venue)
    commit(session)


@router.post("/venues/{venue_id}/verify", response_model=VenueRead)
def verify_venue(venue_id: uuid.UUID, session: SessionDep, _admin: CurrentSuperuser) -> VenueRead:
    """Mark a venue verified (platform admins): it becomes visible to consumers."""
    venue = venue_crud.get(session, venue_id=venue_id)
    venue_crud.verify(session, venue=venue, at=utcnow())
    commit(session)
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.post("/venues/{venue_id}/deactivate", response_model=VenueRead)
def deactivate_venue(venue: OwnedVenue, session: SessionDep) -> VenueRead:
    """Hide a venue from consumers (owners)."""
    venue_crud.set_active(session, venue=venue, active=False)
    commit(session)
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.post("/venues/{venue_id}/activate", response_model=VenueRead)
def activate_venue(venue: OwnedVenue, session: SessionDep) -> VenueRead:
    """Show a deactivated venue again (owners)."""
    venue_crud.set_active(session, venue=venue, active=True)
    commit(session)
    return venue_crud.read(session, venue=venue, at=utcnow())


@router.get("/venues/{venue_id}/qsrs", response_model=list[VenueBrief])
def list_food_court_qsrs(
    venue: VisibleVenue, session: SessionDep, user: OptionalUser
) -> list[Venue]:
    """The QSRs in a food court (consumers see the verified, active ones)."""
    return list(venue_crud.list_qsrs(session, food_court=venue, viewer=user))


@router.put("/venues/{venue_id}/qsrs/{qsr_id}", response_model=VenueBrief)
@raises(NotAFoodCourt, NotAQsr, QsrInOtherFoodCourt)
def attach_qsr(venue: ManagedVenue, qsr: ManagedQsr, session: SessionDep) -> Venue:
    """Put a QSR in this food court (you must manage both)."""
    venue_crud.attach_qsr(session, food_court=venue, qsr=qsr)
    commit(session)
    return qsr


@router.delete("/venues/{venue_id}/qsrs/{qsr_id}", status_code=status.HTTP_204_NO_CONTENT)
def detach_qsr(venue: ManagedVenue, qsr: ManagedQsr, session: SessionDep) -> None:
    """Take a QSR out of this food court (you must manage both)."""
    venue_crud.detach_qsr(session, food_court=venue, qsr=qsr)
    commit(session)
