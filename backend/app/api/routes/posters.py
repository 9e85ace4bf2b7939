"""Routes: carousel posters.

Managers of a venue run its posters under `/venues/{venue_id}/posters`; the app
reads the public feed around a location and reports impressions and taps.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.api.deps import ManagedPoster, ManagedVenue, SessionDep, commit
from app.api.location import set_location
from app.core import ratelimit
from app.core.config import settings
from app.core.errors import (
    DateRangeTooLong,
    EventCancelled,
    EventOver,
    InvalidDateRange,
    NotFound,
    PosterVenueMismatch,
    TooManyRequests,
    raises,
)
from app.crud import poster as poster_crud
from app.schema.common import IsoDate, Page, PageParams, page_params
from app.schema.poster import (
    PosterCreate,
    PosterEventBatch,
    PosterEventBatchResult,
    PosterFeedItem,
    PosterRead,
    PosterStats,
    PosterUpdate,
)
from app.services import poster_stats as stats_service

router = APIRouter(tags=["posters"])

MAX_FEED_LIMIT = 50


# -- managers -----------------------------------------------------------------------------


@router.post(
    "/venues/{venue_id}/posters",
    response_model=PosterRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(EventCancelled, EventOver, PosterVenueMismatch, NotFound)
def create_poster(
    venue: ManagedVenue, data: PosterCreate, session: SessionDep, response: Response
) -> PosterRead:
    """Create a poster promoting this venue (`venue_id`) or one of its events (`event_id`)."""
    poster = poster_crud.create(session, venue=venue, data=data)
    read = poster_crud.view(session, poster=poster)
    commit(session)
    set_location(response, f"/venues/{venue.id}/posters/{poster.id}")
    return read


@router.get("/venues/{venue_id}/posters", response_model=Page[PosterRead])
def list_posters(
    venue: ManagedVenue,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[PosterRead]:
    """The venue's posters, newest first. Each says whether it is in the public feed now
    (`showing`) and, when not, why (`not_showing_because`): the feed's own conditions,
    read live, so an event's poster shows `event_sold_out` exactly while it is left out
    of the feed for that."""
    return poster_crud.list_for_venue(session, venue_id=venue.id, page=page)


@router.get("/venues/{venue_id}/posters/{poster_id}", response_model=PosterRead)
def read_poster(poster: ManagedPoster, session: SessionDep) -> PosterRead:
    """The poster, with whether it is in the public feed now and why not."""
    return poster_crud.view(session, poster=poster)


@router.patch("/venues/{venue_id}/posters/{poster_id}", response_model=PosterRead)
@raises(InvalidDateRange)
def update_poster(
    venue: ManagedVenue, poster: ManagedPoster, data: PosterUpdate, session: SessionDep
) -> PosterRead:
    poster = poster_crud.update(session, venue=venue, poster=poster, data=data)
    read = poster_crud.view(session, poster=poster)
    commit(session)
    return read


@router.post("/venues/{venue_id}/posters/{poster_id}/pause", response_model=PosterRead)
def pause_poster(poster: ManagedPoster, session: SessionDep) -> PosterRead:
    poster = poster_crud.set_paused(session, poster=poster, paused=True)
    read = poster_crud.view(session, poster=poster)
    commit(session)
    return read


@router.post("/venues/{venue_id}/posters/{poster_id}/resume", response_model=PosterRead)
def resume_poster(poster: ManagedPoster, session: SessionDep) -> PosterRead:
    poster = poster_crud.set_paused(session, poster=poster, paused=False)
    read = poster_crud.view(session, poster=poster)
    commit(session)
    return read


@router.delete("/venues/{venue_id}/posters/{poster_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_poster(poster: ManagedPoster, session: SessionDep) -> None:
    poster_crud.delete(session, poster=poster)
    commit(session)


@router.get("/venues/{venue_id}/posters/{poster_id}/stats", response_model=PosterStats)
@raises(InvalidDateRange, DateRangeTooLong)
def poster_stats(
    poster: ManagedPoster,
    session: SessionDep,
    date_from: Annotated[
        IsoDate | None, Query(description="First day (venue's local date)")
    ] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last day, included")] = None,
) -> PosterStats:
    """Impressions and taps per day, and per H3 resolution-7 area, over a date range
    (default: the last 30 days)."""
    return poster_crud.stats(session, poster=poster, date_from=date_from, date_to=date_to)


# -- the app --------------------------------------------------------------------------------


def feed_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_LIMIT, description="Page size")] = 20,
    offset: Annotated[int, Query(ge=0, le=1000, description="Rows to skip")] = 0,
) -> PageParams:
    """The page of the feed: at most MAX_FEED_LIMIT posters at a time."""
    return PageParams(limit=limit, offset=offset)


@router.get("/posters/feed", response_model=Page[PosterFeedItem])
def poster_feed(
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
    page: Annotated[PageParams, Depends(feed_page_params)],
) -> Page[PosterFeedItem]:
    """Live posters whose radius covers (lat, lng): nearest first, then higher priority.

    Works without signing in.
    """
    return poster_crud.feed(session, lat=lat, lng=lng, page=page)


@raises(TooManyRequests)
def limit_poster_events(request: Request) -> None:
    """The reporting endpoint is public: cap batches per client address."""
    ratelimit.hit(
        "poster-events-ip",
        ratelimit.client_ip(request),
        settings.POSTER_EVENTS_LIMIT_PER_IP,
        message="Too many event batches; send them less often",
    )


@router.post(
    "/posters/events",
    response_model=PosterEventBatchResult,
    dependencies=[Depends(limit_poster_events)],
    responses={429: {"description": "Too many batches from this address"}},
)
def record_poster_events(
    batch: PosterEventBatch, session: SessionDep, request: Request
) -> PosterEventBatchResult:
    """Impressions and taps from the app, in batches. Each event's `id` is counted once:
    sending a batch again after a timeout is safe.

    Events are judged one by one; the batch is never refused for them. An event of an
    unknown (deleted) poster, one that occurred more than 30 days ago, or one dated more
    than 5 minutes ahead of the server's clock (a device clock set wrong) is not counted
    and adds to `ignored`; an event sent before adds to `duplicates`.

    Each client address counts at most one impression and one tap per poster per
    short window, and a bounded number of events per hour; events over these limits
    add to `ignored` (the batch is still answered, never refused for them)."""
    result = stats_service.record_events(session, batch=batch, client=ratelimit.client_ip(request))
    commit(session)
    return result
