"""Venues: creation, visibility, updates, opening hours, discovery and members."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import (
    NotAFoodCourt,
    NotAQsr,
    NotFound,
    QsrInOtherFoodCourt,
    UnknownTimezone,
    VenueKindFields,
    VenueKindUnchangeable,
    VenueRoleRequired,
    VerifiedVenueNotDeletable,
)
from app.core.geo import haversine_sql, within_bounding_box
from app.core.text import contains_pattern
from app.crud import membership as membership_crud
from app.crud.common import get_or_404, paginate
from app.models import User, Venue, VenueKind, VenueMembership, VenueRole, VenueStatus
from app.models.venue import DEFAULT_PAYMENT_MODE, VenueOpeningHours
from app.schema.common import Page, PageParams
from app.schema.venue import (
    KIND_FIELDS,
    DiscoveryParams,
    MemberRead,
    MyVenue,
    OpeningHours,
    VenueBrief,
    VenueCreate,
    VenueRead,
    VenueSummary,
    VenueUpdate,
    Weekday,
    kind_field_problems,
)

# Public means verified and active. Written as literal SQL so that the planner can
# match the partial index `ix_venue_public_latitude_longitude` even in a generic plan.
PUBLIC = sa.text("venue.status = 'verified' AND venue.is_active")


SUMMARY_COLUMNS = tuple(name for name in VenueBrief.model_fields)


def _fields(venue: Venue, schema: type[VenueBrief]) -> dict[str, Any]:
    """The venue's attributes that `schema` shows (without pydantic-dumping the table)."""
    return {name: getattr(venue, name) for name in schema.model_fields if hasattr(venue, name)}


def is_public(venue: Venue) -> bool:
    return venue.status == VenueStatus.VERIFIED and venue.is_active


# --- reading ----------------------------------------------------------------------------


def get(session: Session, *, venue_id: uuid.UUID) -> Venue:
    return get_or_404(session, Venue, venue_id, what="venue")


def get_visible(session: Session, *, venue_id: uuid.UUID, user: User | None) -> Venue:
    """A venue the caller may see: public ones, and any venue they belong to."""
    venue = get(session, venue_id=venue_id)
    if is_public(venue) or (user is not None and user.is_superuser):
        return venue
    if user is not None and membership_crud.get_role(session, venue_id=venue.id, user_id=user.id):
        return venue
    raise NotFound("venue")


def hours_for(
    session: Session, *, venue_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[OpeningHours]]:
    ids = list(venue_ids)
    result: dict[uuid.UUID, list[OpeningHours]] = defaultdict(list)
    if not ids:
        return result
    rows = session.exec(
        select(VenueOpeningHours)
        .where(col(VenueOpeningHours.venue_id).in_(ids))
        .order_by(
            col(VenueOpeningHours.venue_id),
            col(VenueOpeningHours.weekday),
            col(VenueOpeningHours.opens),
        )
    ).all()
    for row in rows:
        result[row.venue_id].append(
            OpeningHours(
                weekday=Weekday.from_index(row.weekday), opens=row.opens, closes=row.closes
            )
        )
    return result


def is_open_at(hours: Sequence[OpeningHours], *, time_zone: str, at: datetime) -> bool:
    """Whether any interval covers `at` (aware) in the venue's local time.

    The same rule as `open_now_sql`: an interval whose closing time is at or
    before its opening time runs into the next day.
    """
    local = at.astimezone(ZoneInfo(time_zone))
    day, now = local.weekday(), local.time().replace(tzinfo=None)
    previous = (day + 6) % 7
    for h in hours:
        overnight = h.closes <= h.opens
        weekday = h.weekday.number
        if weekday == day and h.opens <= now and (overnight or now < h.closes):
            return True
        if weekday == previous and overnight and now < h.closes:
            return True
    return False


def open_now_sql(at: datetime) -> sa.ColumnElement[bool]:
    """SQL: the venue (in the outer query) is open at `at`, in its own time zone."""
    local = sa.func.timezone(col(Venue.timezone), sa.literal(at, sa.DateTime(timezone=True)))
    day = sa.cast(sa.extract("isodow", local), sa.Integer) - 1
    previous = (day + 6) % 7
    now = sa.cast(local, sa.Time)
    h = VenueOpeningHours
    overnight = col(h.closes) <= col(h.opens)
    return (
        sa.exists()
        .where(
            col(h.venue_id) == col(Venue.id),
            sa.or_(
                sa.and_(
                    col(h.weekday) == day,
                    col(h.opens) <= now,
                    sa.or_(overnight, now < col(h.closes)),
                ),
                sa.and_(col(h.weekday) == previous, overnight, now < col(h.closes)),
            ),
        )
        .label("open_now")
    )


def read(session: Session, *, venue: Venue, at: datetime) -> VenueRead:
    """The full venue: its fields, opening hours and whether it is open at `at`."""
    hours = hours_for(session, venue_ids=[venue.id]).get(venue.id, [])
    return VenueRead.model_validate(
        {
            **_fields(venue, VenueRead),
            "opening_hours": hours,
            "open_now": is_open_at(hours, time_zone=venue.timezone, at=at),
        }
    )


def search(
    session: Session, *, params: DiscoveryParams, page: PageParams, at: datetime
) -> Page[VenueSummary]:
    """Public venues matching the filters, nearest first when a point is given."""
    filters: list[Any] = [PUBLIC]
    distance: sa.ColumnElement[float] | None = None
    if params.lat is not None and params.lng is not None:
        filters += within_bounding_box(
            col(Venue.latitude), col(Venue.longitude), params.lat, params.lng, params.radius_m
        )
        distance = haversine_sql(col(Venue.latitude), col(Venue.longitude), params.lat, params.lng)
        filters.append(distance <= params.radius_m)
    if params.kinds:
        filters.append(col(Venue.kind).in_([k.value for k in params.kinds]))
    if params.cuisine:
        filters.append(col(Venue.cuisines).contains([" ".join(params.cuisine.split()).lower()]))
    if params.max_cost_for_two is not None:
        filters.append(col(Venue.avg_cost_for_two_minor) <= params.max_cost_for_two)
    if params.q:
        filters.append(col(Venue.name).ilike(contains_pattern(params.q.strip()), escape="\\"))
    open_now = open_now_sql(at)
    if params.open_now is not None:
        filters.append(open_now if params.open_now else sa.not_(open_now))

    distance_col = (distance if distance is not None else sa.null()).label("distance_m")
    order = [distance, col(Venue.id)] if distance is not None else [col(Venue.name), col(Venue.id)]
    # Columns rather than whole rows: a page is built without loading ORM objects.
    columns = [getattr(Venue, name) for name in SUMMARY_COLUMNS]
    statement = sa.select(*columns, distance_col, open_now).where(*filters).order_by(*order)
    return paginate(
        session, statement, page=page, item=lambda row: VenueSummary.model_validate(row._mapping)
    )


def list_for_member(session: Session, *, user: User, page: PageParams) -> Page[MyVenue]:
    """The venues the user belongs to, with their role, by name."""
    statement = (
        sa.select(Venue, col(VenueMembership.role))
        .join(VenueMembership, col(VenueMembership.venue_id) == col(Venue.id))
        .where(col(VenueMembership.user_id) == user.id)
        .order_by(col(Venue.name), col(Venue.id))
    )
    return paginate(
        session,
        statement,
        page=page,
        item=lambda row: MyVenue(role=VenueRole(row[1]), venue=VenueBrief.model_validate(row[0])),
    )


def list_qsrs(session: Session, *, food_court: Venue, viewer: User | None) -> Sequence[Venue]:
    """The QSRs of a food court: the public ones, or all of them for its members."""
    stmt = select(Venue).where(Venue.food_court_id == food_court.id)
    member = viewer is not None and (
        viewer.is_superuser
        or membership_crud.get_role(session, venue_id=food_court.id, user_id=viewer.id) is not None
    )
    if not member:
        stmt = stmt.where(PUBLIC)
    return session.exec(stmt.order_by(col(Venue.name), col(Venue.id))).all()


# --- writing ----------------------------------------------------------------------------


def require_role(
    session: Session, *, venue: Venue, user: User, minimum: VenueRole, named: bool = False
) -> None:
    """The venue rule of every guard: platform admins pass; non-members get a 404 (the
    venue's existence does not leak); members below `minimum` a 403 (naming the venue
    when `named`, for a second venue in a request)."""
    if user.is_superuser:
        return
    role = membership_crud.get_role(session, venue_id=venue.id, user_id=user.id)
    if role is None:
        raise NotFound("venue")
    if not role.includes(minimum):
        where = venue.name if named else "this venue"
        raise VenueRoleRequired(f"This needs the {minimum.value} role at {where}")


def _food_court_for(session: Session, *, food_court_id: uuid.UUID, user: User) -> Venue:
    food_court = get_or_404(session, Venue, food_court_id, what="food court")
    require_role(session, venue=food_court, user=user, minimum=VenueRole.MANAGER, named=True)
    if food_court.kind != VenueKind.FOOD_COURT:
        raise NotAFoodCourt(f"{food_court.name} is a {food_court.kind.value}, not a food court")
    return food_court


def set_hours(session: Session, *, venue: Venue, hours: Sequence[OpeningHours]) -> None:
    """Replace the venue's opening hours."""
    session.execute(sa.delete(VenueOpeningHours).where(col(VenueOpeningHours.venue_id) == venue.id))
    session.add_all(
        VenueOpeningHours(
            venue_id=venue.id, weekday=h.weekday.number, opens=h.opens, closes=h.closes
        )
        for h in hours
    )
    session.flush()


def _check_database_knows_zone(session: Session, name: str) -> None:
    """Opening hours are evaluated in SQL (`open_now`, `AT TIME ZONE`), so the zone must
    be one the database server knows too: its tz data may be older than Python's. Asked
    the way `open_now` uses it, in a savepoint (listing `pg_timezone_names` reads every
    zone file of the server: 50 ms a venue)."""
    try:
        with session.begin_nested():
            session.execute(sa.select(sa.func.timezone(name, sa.func.now())))
    except sa.exc.DBAPIError as error:
        if not isinstance(error.orig, psycopg.errors.InvalidParameterValue):
            raise
        raise UnknownTimezone(
            f"The time zone {name!r} is not known to this server yet; use the zone of a "
            "nearby city (e.g. Asia/Kolkata)"
        ) from None


def create(session: Session, *, data: VenueCreate, creator: User) -> Venue:
    """A draft venue; the creator (a business account, see `CurrentBusinessUser`) becomes
    its owner."""
    _check_database_knows_zone(session, data.timezone)
    if data.food_court_id is not None:
        _food_court_for(session, food_court_id=data.food_court_id, user=creator)
    venue = Venue(**data.model_dump(exclude={"opening_hours", "payment_mode"}))
    venue.payment_mode = data.payment_mode or DEFAULT_PAYMENT_MODE[data.kind]
    session.add(venue)
    session.flush()
    set_hours(session, venue=venue, hours=data.opening_hours)
    membership_crud.add(session, venue_id=venue.id, user_id=creator.id, role=VenueRole.OWNER)
    return venue


def update(session: Session, *, venue: Venue, data: VenueUpdate) -> Venue:
    changes = data.model_dump(exclude_unset=True)
    kind = changes.pop("kind", None)
    if kind is not None and kind != venue.kind:
        raise VenueKindUnchangeable(
            f"A venue's kind cannot be changed (this one is a {venue.kind.value}); "
            "create a new venue instead"
        )
    problems = kind_field_problems(
        venue.kind, {k: v for k, v in changes.items() if k in KIND_FIELDS}
    )
    if problems:
        raise VenueKindFields("; ".join(problems))
    if "timezone" in changes and changes["timezone"] != venue.timezone:
        _check_database_knows_zone(session, changes["timezone"])
    hours = changes.pop("opening_hours", None)
    for key, value in changes.items():
        setattr(venue, key, value)
    session.add(venue)
    session.flush()
    if hours is not None:
        set_hours(session, venue=venue, hours=data.opening_hours or [])
    return venue


def verify(session: Session, *, venue: Venue, at: datetime) -> Venue:
    if venue.status != VenueStatus.VERIFIED:
        venue.status = VenueStatus.VERIFIED
        venue.verified_at = at
        session.add(venue)
        session.flush()
    return venue


def set_active(session: Session, *, venue: Venue, active: bool) -> Venue:
    venue.is_active = active
    session.add(venue)
    session.flush()
    return venue


def delete(session: Session, *, venue: Venue) -> None:
    """Only a draft (never verified) venue can be deleted; others are deactivated."""
    # Locked and read again: an admin may have verified it since the route loaded it.
    session.refresh(venue, with_for_update=True)
    if venue.status != VenueStatus.DRAFT:
        raise VerifiedVenueNotDeletable()
    session.delete(venue)
    session.flush()


def attach_qsr(session: Session, *, food_court: Venue, qsr: Venue) -> Venue:
    if food_court.kind != VenueKind.FOOD_COURT:
        raise NotAFoodCourt(f"{food_court.name} is a {food_court.kind.value}, not a food court")
    if qsr.kind != VenueKind.QSR:
        raise NotAQsr(f"Only QSRs sit in a food court; {qsr.name} is a {qsr.kind.value}")
    # Locked and read again: another food court may be attaching it at the same moment.
    session.refresh(qsr, with_for_update=True)
    if qsr.food_court_id not in (None, food_court.id):
        raise QsrInOtherFoodCourt(f"{qsr.name} already sits in another food court; detach it first")
    qsr.food_court_id = food_court.id
    session.add(qsr)
    session.flush()
    return qsr


def detach_qsr(session: Session, *, food_court: Venue, qsr: Venue) -> Venue:
    if qsr.food_court_id != food_court.id:
        raise NotFound("QSR in this food court")
    qsr.food_court_id = None
    session.add(qsr)
    session.flush()
    return qsr


def get_qsr_for_manager(session: Session, *, qsr_id: uuid.UUID, user: User) -> Venue:
    """The QSR named in a food-court request, which the caller must manage too."""
    qsr = get(session, venue_id=qsr_id)
    require_role(session, venue=qsr, user=user, minimum=VenueRole.MANAGER, named=True)
    return qsr


def bump_menu_version(session: Session, *, venue_id: uuid.UUID) -> int:
    """Atomically bump the menu version (the menu ETag); also locks the venue row,
    which serialises concurrent menu writes of one venue."""
    version = session.execute(
        sa.update(Venue)
        .where(col(Venue.id) == venue_id)
        .values(menu_version=col(Venue.menu_version) + 1)
        .returning(col(Venue.menu_version))
    ).scalar_one()
    return int(version)


# --- members ----------------------------------------------------------------------------


def lock(session: Session, *, venue: Venue) -> None:
    """Row-lock the venue: serialises staff changes (the last-owner rule)."""
    session.execute(sa.select(col(Venue.id)).where(col(Venue.id) == venue.id).with_for_update())


def list_members(session: Session, *, venue: Venue) -> list[MemberRead]:
    rows = session.exec(
        select(VenueMembership, User)
        .join(User, col(User.id) == col(VenueMembership.user_id))
        .where(VenueMembership.venue_id == venue.id)
        .order_by(col(VenueMembership.created_at), col(VenueMembership.id))
    ).all()
    return [
        MemberRead(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=VenueRole(m.role),
            created_at=m.created_at,
        )
        for m, user in rows
    ]


def get_membership(session: Session, *, venue: Venue, user_id: uuid.UUID) -> VenueMembership:
    membership = session.exec(
        select(VenueMembership).where(
            VenueMembership.venue_id == venue.id, VenueMembership.user_id == user_id
        )
    ).first()
    if membership is None:
        raise NotFound("member")
    return membership


def count_owners(session: Session, *, venue: Venue) -> int:
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(VenueMembership)
            .where(VenueMembership.venue_id == venue.id, VenueMembership.role == VenueRole.OWNER)
        ).one()
    )
