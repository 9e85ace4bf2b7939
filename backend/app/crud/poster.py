"""Carousel posters: queries and single-entity rules.

Every write of a poster's radius or position rewrites its H3 covering in
`poster_cell` (see app/core/geo_index.py); the feed reads through it.

Whether a poster is live is a set of SQL conditions (`shows_when`), each with the
reason a manager is given when it fails: the feed filters on exactly those (and
the distance), and managers' reads name the ones that fail, so the two never
disagree. They are all computed at read time, in the query: nothing is kept on
the side for a job to refresh. A poster of a sold-out event leaves the feed with
the last place taken and comes back as soon as one is freed (a hold expiring by
time, a cancellation, a bigger pool), with no write to the poster.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app.core import geo_index
from app.core.dates import date_window
from app.core.errors import (
    EventCancelled,
    EventOver,
    InvalidDateRange,
    NotFound,
    PosterVenueMismatch,
)
from app.core.geo import haversine_sql_bound
from app.core.timezones import local_date, zone
from app.crud import offering as offering_crud
from app.crud.common import AnyRow, AnySelect, get_or_404, paginate, table_of
from app.models.base import utcnow
from app.models.event import Event, EventStatus
from app.models.poster import (
    MAX_RADIUS_M,
    MIN_RADIUS_M,
    Poster,
    PosterAreaStat,
    PosterCell,
    PosterDailyStat,
    PosterEventReceipt,
)
from app.models.venue import Venue, VenueStatus
from app.schema.common import Page, PageParams
from app.schema.poster import (
    AreaCounts,
    DayCounts,
    InteractionCounts,
    NotShowingReason,
    PosterCreate,
    PosterEventIn,
    PosterFeedItem,
    PosterRead,
    PosterStats,
    PosterUpdate,
)

# Every resolution a poster's covering can be at; the feed looks the caller up at each.
FEED_RESOLUTIONS = geo_index.resolutions_for_radii(MIN_RADIUS_M, MAX_RADIUS_M)
MAX_STATS_DAYS = 366


# -- geo index ----------------------------------------------------------------------------


def _write_cells(session: Session, *, poster: Poster, latitude: float, longitude: float) -> None:
    """Replace the poster's covering cells with those of its current circle."""
    resolution, cells = geo_index.poster_covering(latitude, longitude, poster.radius_m)
    poster.h3_resolution = resolution
    session.exec(sa.delete(PosterCell).where(col(PosterCell.poster_id) == poster.id))
    session.exec(
        sa.insert(PosterCell),
        params=[
            {"poster_id": poster.id, "cell": cell, "resolution": resolution}
            for cell in sorted(cells)
        ],
    )


def _locked_position(session: Session, *, venue_id: uuid.UUID) -> tuple[float, float]:
    """The venue's committed location, read under a share lock held to the end of the
    transaction.

    A venue move (`venue_service.update`: the venue row, then `refresh_cells_for_venue`)
    updates the venue row, so it waits for this lock, and this read waits for a move in
    progress: either the poster's cells are written from the new location, or the move
    commits after them and re-covers the poster. Take it before writing the poster row (the move
    locks venue then posters; the same order here cannot deadlock). A poster of an
    event is placed at its venue too, so this covers event posters."""
    row = session.exec(
        select(Venue.latitude, Venue.longitude)
        .where(Venue.id == venue_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None:
        raise NotFound("venue")
    return row[0], row[1]


def refresh_cells_for_venue(session: Session, *, venue_id: uuid.UUID) -> None:
    """Recompute the geo cells of every poster placed at this venue (or at its
    events) after the venue's location changed. Called by `venue_service.update`."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        return
    posters = session.exec(
        select(Poster).where(Poster.venue_id == venue_id).with_for_update()
    ).all()
    for poster in posters:
        _write_cells(session, poster=poster, latitude=venue.latitude, longitude=venue.longitude)
    session.flush()


# -- managers -----------------------------------------------------------------------------


def _promoted_event(session: Session, *, venue: Venue, event_id: uuid.UUID) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.venue_id != venue.id:
        raise NotFound("event")
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled("The event is cancelled; it cannot be promoted")
    if event.ends_at <= utcnow():
        raise EventOver("The event is over; it cannot be promoted")
    return event


def create(session: Session, *, venue: Venue, data: PosterCreate) -> Poster:
    if data.venue_id is not None and data.venue_id != venue.id:
        raise PosterVenueMismatch()
    if data.event_id is not None:
        _promoted_event(session, venue=venue, event_id=data.event_id)
    latitude, longitude = _locked_position(session, venue_id=venue.id)
    poster = Poster(
        **data.model_dump(exclude={"venue_id", "starts_at"}),
        venue_id=venue.id,
        starts_at=data.starts_at or utcnow(),
        h3_resolution=0,
    )
    session.add(poster)
    session.flush()
    _write_cells(session, poster=poster, latitude=latitude, longitude=longitude)
    session.flush()
    return poster


def get_for_venue(session: Session, *, venue_id: uuid.UUID, poster_id: uuid.UUID) -> Poster:
    return get_or_404(session, Poster, poster_id, what="poster", venue_id=venue_id)


def _not_showing_columns(now: datetime) -> list[sa.ColumnElement[bool]]:
    """One column per reason, in `NotShowingReason` order: true when its condition does
    not hold (false or NULL: the feed's WHERE keeps only true)."""
    return [
        sa.case((condition, sa.false()), else_=sa.true()).label(f"not_{reason.value}")
        for reason, condition in shows_when(now).items()
    ]


def _read(poster: Poster, hidden: Sequence[bool]) -> PosterRead:
    reasons = [reason for reason, flag in zip(NotShowingReason, hidden, strict=True) if flag]
    return PosterRead.model_validate({**poster.model_dump(), "not_showing_because": reasons})


def _with_state(statement: AnySelect) -> AnySelect:
    return statement.join(Venue, col(Venue.id) == col(Poster.venue_id)).outerjoin(
        Event, col(Event.id) == col(Poster.event_id)
    )


def view(session: Session, *, poster: Poster, now: datetime | None = None) -> PosterRead:
    """The poster as its managers read it: with whether it is in the feed, and why not
    (one query)."""
    statement = _with_state(
        sa.select(*_not_showing_columns(now or utcnow())).select_from(Poster)
    ).where(col(Poster.id) == poster.id)
    return _read(poster, session.execute(statement).one())


def list_for_venue(
    session: Session, *, venue_id: uuid.UUID, page: PageParams, now: datetime | None = None
) -> Page[PosterRead]:
    """The venue's posters, newest first, each with whether it is in the feed and why
    not, and how many there are (one query)."""
    columns = _not_showing_columns(now or utcnow())
    statement = (
        _with_state(sa.select(Poster, *columns))
        .where(col(Poster.venue_id) == venue_id)
        .order_by(col(Poster.created_at).desc(), col(Poster.id))
    )

    def item(row: AnyRow) -> PosterRead:
        return _read(row[0], row[1 : 1 + len(columns)])

    return paginate(session, statement, page=page, item=item)


def update(session: Session, *, venue: Venue, poster: Poster, data: PosterUpdate) -> Poster:
    changes = data.model_dump(exclude_unset=True)
    starts_at = changes.get("starts_at", poster.starts_at)
    expires_at = changes.get("expires_at", poster.expires_at)
    if starts_at >= expires_at:
        raise InvalidDateRange("starts_at must be before expires_at", loc=("body", "expires_at"))
    radius_changed = "radius_m" in changes and changes["radius_m"] != poster.radius_m
    # An expired poster's cells may have been pruned (`prune`): extending it writes them again.
    revived = "expires_at" in changes and poster.expires_at <= utcnow()
    # Lock the venue before the poster row is written (see `_locked_position`).
    recover = radius_changed or revived
    position = _locked_position(session, venue_id=venue.id) if recover else None
    for name, value in changes.items():
        setattr(poster, name, value)
    session.add(poster)
    if position is not None:
        # The poster row first: a prune in progress finishes before the cells are written.
        session.flush()
        _write_cells(session, poster=poster, latitude=position[0], longitude=position[1])
    session.flush()
    return poster


def set_paused(session: Session, *, poster: Poster, paused: bool) -> Poster:
    poster.is_paused = paused
    session.add(poster)
    session.flush()
    return poster


def delete(session: Session, *, poster: Poster) -> None:
    session.delete(poster)
    session.flush()


# -- the public feed ----------------------------------------------------------------------


@cache
def _feed_statement() -> sa.Select[Any]:
    """The feed query, built and compiled once; every request only binds parameters."""
    now = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    distance = haversine_sql_bound(
        col(Venue.latitude),
        col(Venue.longitude),
        lat_rad=sa.bindparam("lat_rad", type_=sa.Float),
        lng_rad=sa.bindparam("lng_rad", type_=sa.Float),
        cos_lat=sa.bindparam("cos_lat", type_=sa.Float),
    )
    # One array parameter, not a long IN list.
    cells = sa.bindparam("cells", type_=pg.ARRAY(sa.BigInteger))
    # The total is a window count over the matching posters, taken before the page is cut
    # (a poster covers the caller's point at one resolution only, so it matches once).
    total = sa.func.count().over().label("page_total")
    return (
        feed_query(distance, now, cells=cells)
        .add_columns(total)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
    )


def shows_when(now: Any) -> dict[NotShowingReason, sa.ColumnElement[bool]]:
    """The conditions a poster is in the feed under at `now` (a datetime or a bound
    parameter), each keyed by the reason given when it fails; one for every reason.
    The statement must join `Venue` and outer-join `Event` (as the feed does).

    An event's poster also needs the event neither cancelled, nor over, nor sold out
    (`offering_crud.event_sold_out`: it still sells passes and none has room); a
    venue's poster needs none of that."""
    promotes_venue = col(Poster.event_id).is_(None)
    # Correlated to the joined event row, not `poster.event_id`: PostgreSQL then asks
    # only once the cheaper conditions and the distance (at the venue's join) hold.
    sold_out = offering_crud.event_sold_out(col(Event.id), now=now)
    return {
        NotShowingReason.PAUSED: col(Poster.is_paused).is_(False),
        NotShowingReason.NOT_STARTED: col(Poster.starts_at) <= now,
        NotShowingReason.ENDED: col(Poster.expires_at) > now,
        NotShowingReason.VENUE_NOT_VERIFIED: col(Venue.status) == VenueStatus.VERIFIED.value,
        NotShowingReason.VENUE_INACTIVE: col(Venue.is_active).is_(True),
        NotShowingReason.EVENT_CANCELLED: sa.or_(
            promotes_venue, col(Event.status) != EventStatus.CANCELLED.value
        ),
        NotShowingReason.EVENT_ENDED: sa.or_(promotes_venue, col(Event.ends_at) > now),
        NotShowingReason.EVENT_SOLD_OUT: sa.or_(promotes_venue, ~sold_out),
    }


def feed_query(
    distance: sa.ColumnElement[float],
    now: sa.ColumnElement[datetime] | datetime,
    *,
    cells: sa.BindParameter[Sequence[int]] | None,
) -> sa.Select[Any]:
    """The live posters (`shows_when`) whose circle holds the point `distance` measures
    from, nearest first.

    With `cells`, only posters covering one of those H3 cells are read (the indexed feed);
    without, every poster is checked (the benchmark's baseline)."""
    promotes = sa.case((col(Poster.event_id).is_(None), "venue"), else_="event")
    statement = sa.select(
        col(Poster.id),
        promotes.label("promotes"),
        col(Poster.venue_id),
        col(Venue.name).label("venue_name"),
        col(Poster.event_id),
        col(Event.title).label("event_title"),
        col(Poster.title),
        col(Poster.image_url),
        col(Poster.deep_link),
        col(Poster.priority),
        col(Poster.expires_at),
        distance,
    )
    if cells is not None:
        statement = (
            statement.select_from(PosterCell)
            .join(Poster, col(Poster.id) == col(PosterCell.poster_id))
            .where(col(PosterCell.cell) == sa.any_(cells))
        )
    else:
        statement = statement.select_from(Poster)
    return (
        _with_state(statement)
        .where(*shows_when(now).values(), distance <= col(Poster.radius_m))
        .order_by(distance, col(Poster.priority).desc(), col(Poster.id))
    )


def feed(
    session: Session, *, lat: float, lng: float, page: PageParams, now: datetime | None = None
) -> Page[PosterFeedItem]:
    """Live posters whose circle covers (lat, lng): nearest first, then higher priority.

    One indexed lookup of the caller's cell at each resolution in use, then the
    exact great-circle test (the same haversine as `app.core.geo.haversine_m`);
    the page is cut in SQL, so the cost follows the posters around the caller,
    not the size of the table. (Not `paginate`: this statement is compiled once and
    only binds parameters, the feed being the app's hottest read.)
    """
    params = {
        "cells": geo_index.point_cells(lat, lng, FEED_RESOLUTIONS),
        "now": now or utcnow(),
        "lat_rad": math.radians(lat),
        "lng_rad": math.radians(lng),
        "cos_lat": math.cos(math.radians(lat)),
        "limit": page.limit,
        "offset": page.offset,
    }
    connection = session.connection()
    # Plain rows on the session's connection: no ORM objects to build on the hot path.
    rows = connection.execute(_feed_statement(), params).mappings().all()
    if rows:
        total = int(rows[0]["page_total"])
    elif page.offset:  # past the end: count without a page
        params.update(offset=0, limit=1)
        first = connection.execute(_feed_statement(), params).mappings().first()
        total = 0 if first is None else int(first["page_total"])
    else:
        total = 0
    items = [PosterFeedItem.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# -- impressions and taps (queries; the counting rules are in services/poster_stats.py) --


def zones_of_posters(
    session: Session, *, poster_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ZoneInfo]:
    """The time zone of each poster's venue, for those of the ids that exist."""
    return {
        poster_id: zone(tz)
        for poster_id, tz in session.exec(
            select(Poster.id, Venue.timezone)
            .join(Venue, col(Venue.id) == col(Poster.venue_id))
            .where(col(Poster.id).in_(poster_ids))
        ).all()
    }


def received_event_ids(session: Session, *, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these client event ids that already have a receipt."""
    if not ids:
        return set()
    return set(
        session.exec(
            select(PosterEventReceipt.client_event_id).where(
                col(PosterEventReceipt.client_event_id).in_(ids)
            )
        ).all()
    )


def add_receipts(
    session: Session, *, events: Sequence[PosterEventIn], now: datetime
) -> set[uuid.UUID]:
    """Keep a receipt of each event; answers the ids that were new. The insert (`ON
    CONFLICT DO NOTHING RETURNING`) decides atomically, even when the same batch is
    retried concurrently."""
    if not events:
        return set()
    return set(
        session.exec(
            pg.insert(PosterEventReceipt)
            .values(
                [
                    {
                        "client_event_id": e.id,
                        "poster_id": e.poster_id,
                        "kind": e.kind.value,
                        "received_at": now,
                    }
                    for e in sorted(events, key=lambda e: e.id)
                ]
            )
            .on_conflict_do_nothing(index_elements=["client_event_id"])
            .returning(col(PosterEventReceipt.client_event_id))
        ).scalars()
    )


# (impressions, taps) by (poster, day) and by (poster, day, H3 resolution-7 area).
DayTotals = dict[tuple[uuid.UUID, date], tuple[int, int]]
AreaTotals = dict[tuple[uuid.UUID, date, int], tuple[int, int]]


def add_counts(session: Session, *, daily: DayTotals, areas: AreaTotals) -> None:
    """Add to the per-day and per-area counters (atomic upserts, in key order so that
    concurrent batches cannot deadlock)."""
    if daily:
        _add_counts(
            session,
            PosterDailyStat,
            ["poster_id", "day"],
            [
                {"poster_id": p, "day": d, "impressions": i, "taps": t}
                for (p, d), (i, t) in sorted(daily.items())
            ],
        )
    if areas:
        _add_counts(
            session,
            PosterAreaStat,
            ["poster_id", "day", "area"],
            [
                {"poster_id": p, "day": d, "area": a, "impressions": i, "taps": t}
                for (p, d, a), (i, t) in sorted(areas.items())
            ],
        )
    session.flush()


def delete_receipts(session: Session, *, received_before: datetime) -> int:
    """Delete the event receipts received before this moment; answers how many."""
    result = session.exec(
        sa.delete(PosterEventReceipt).where(col(PosterEventReceipt.received_at) < received_before)
    )
    return int(result.rowcount)


def delete_cells_of_expired(session: Session, *, expired_before: datetime) -> list[uuid.UUID]:
    """Delete the geo cells of posters that expired before this moment (the posters and
    their counts stay; extending one writes its cells again, see `update`). A poster
    locked by a request in progress (an update, a venue move) is skipped, never waited
    for. Answers the poster id of each cell deleted."""
    cell = aliased(PosterCell)
    has_cells = sa.exists().where(col(cell.poster_id) == col(Poster.id)).correlate(Poster)
    expired = (
        select(Poster.id)
        .where(col(Poster.expires_at) < expired_before, has_cells)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    deleted = (
        session.exec(
            sa.delete(PosterCell)
            .where(col(PosterCell.poster_id).in_(expired))
            .returning(col(PosterCell.poster_id))
        )
        .scalars()
        .all()
    )
    session.flush()
    return list(deleted)


def _add_counts(
    session: Session,
    table: type[PosterDailyStat] | type[PosterAreaStat],
    keys: list[str],
    rows: list[dict[str, object]],
) -> None:
    statement = pg.insert(table).values(rows)
    target = table_of(table)
    session.exec(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={
                "impressions": target.c.impressions + statement.excluded.impressions,
                "taps": target.c.taps + statement.excluded.taps,
            },
        )
    )


def stats(
    session: Session,
    *,
    poster: Poster,
    date_from: date | None,
    date_to: date | None,
    today: date | None = None,
) -> PosterStats:
    """Per-day and per-area (H3 resolution 7) counts of one poster over a date range."""
    if today is None:
        # Days are counted in the venue's own time zone, so "today" is the venue's today.
        venue_zone = session.exec(select(Venue.timezone).where(Venue.id == poster.venue_id)).one()
        today = local_date(venue_zone)
    date_from, date_to = date_window(date_from, date_to, today=today)

    day_rows = session.exec(
        select(PosterDailyStat)
        .where(
            PosterDailyStat.poster_id == poster.id,
            col(PosterDailyStat.day) >= date_from,
            col(PosterDailyStat.day) <= date_to,
        )
        .order_by(col(PosterDailyStat.day))
    ).all()
    area_rows = session.exec(
        select(
            col(PosterAreaStat.area),
            func.sum(PosterAreaStat.impressions).label("impressions"),
            func.sum(PosterAreaStat.taps).label("taps"),
        )
        .where(
            PosterAreaStat.poster_id == poster.id,
            col(PosterAreaStat.day) >= date_from,
            col(PosterAreaStat.day) <= date_to,
        )
        .group_by(col(PosterAreaStat.area))
        .order_by(sa.text("impressions DESC"), col(PosterAreaStat.area))
    ).all()

    days = [DayCounts(day=r.day, impressions=r.impressions, taps=r.taps) for r in day_rows]
    areas = []
    for area, impressions, taps in area_rows:
        lat, lng = geo_index.cell_centre(area)
        areas.append(
            AreaCounts(
                area=geo_index.cell_to_str(area),
                lat=lat,
                lng=lng,
                impressions=int(impressions),
                taps=int(taps),
            )
        )
    totals = InteractionCounts(
        impressions=sum(d.impressions for d in days), taps=sum(d.taps for d in days)
    )
    return PosterStats(
        poster_id=poster.id,
        date_from=date_from,
        date_to=date_to,
        totals=totals,
        days=days,
        areas=areas,
    )
