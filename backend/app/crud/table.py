"""Venue tables: queries, their QR tokens and scan counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core import table_token
from app.core.dates import date_window
from app.core.errors import (
    NotFound,
    TableLabelTaken,
    integrity_error,
)
from app.core.security import InvalidToken
from app.core.timezones import local_date
from app.crud.common import get_or_404, paginate
from app.models import Venue, VenueStatus
from app.models.table import VenueTable, VenueTableScanDay
from app.schema.common import Page, PageParams
from app.schema.table import (
    TableCreate,
    TableScanCount,
    TableScanReport,
    TableUpdate,
)

# "T2" before "T10": by the label without digits, then its first number, then the label.
_NATURAL_ORDER = (
    func.regexp_replace(VenueTable.label, r"\d+", "", "g"),
    sa.cast(func.substring(VenueTable.label, r"\d+"), sa.Numeric).nulls_first(),
    col(VenueTable.label),
)


def _label_taken(label: str) -> TableLabelTaken:
    return TableLabelTaken(f"This venue already has a table labelled {label!r}")


def _label_exists(
    session: Session, *, venue_id: uuid.UUID, label: str, exclude: uuid.UUID | None = None
) -> bool:
    query = select(VenueTable.id).where(VenueTable.venue_id == venue_id, VenueTable.label == label)
    if exclude is not None:
        query = query.where(VenueTable.id != exclude)
    return session.exec(query).first() is not None


def _flush_or_conflict(session: Session, label: str) -> None:
    """Flush; a concurrent insert of the same label surfaces as a 409."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        error = integrity_error(exc)
        if isinstance(error, TableLabelTaken):
            raise _label_taken(label) from exc
        raise error from exc


def get(session: Session, *, venue_id: uuid.UUID, table_id: uuid.UUID) -> VenueTable:
    return get_or_404(session, VenueTable, table_id, what="table", venue_id=venue_id)


def _of_venue(venue_id: uuid.UUID, is_active: bool | None) -> SelectOfScalar[VenueTable]:
    """A venue's tables in natural label order."""
    where = [VenueTable.venue_id == venue_id]
    if is_active is not None:
        where.append(VenueTable.is_active == is_active)
    return select(VenueTable).where(*where).order_by(*_NATURAL_ORDER)


def list_for_venue(
    session: Session, *, venue_id: uuid.UUID, is_active: bool | None = None, page: PageParams
) -> Page[VenueTable]:
    """One page of a venue's tables in natural label order, and how many there are."""
    return paginate(session, _of_venue(venue_id, is_active), page=page)


def list_all_for_venue(
    session: Session, *, venue_id: uuid.UUID, is_active: bool | None = None
) -> Sequence[VenueTable]:
    """Every table of a venue (the printable sheet), in natural label order."""
    return session.exec(_of_venue(venue_id, is_active)).all()


def create(session: Session, *, venue_id: uuid.UUID, data: TableCreate) -> VenueTable:
    if _label_exists(session, venue_id=venue_id, label=data.label):
        raise _label_taken(data.label)
    table = VenueTable(venue_id=venue_id, **data.model_dump())
    session.add(table)
    _flush_or_conflict(session, data.label)
    return table


def _bump_token_version(session: Session, table: VenueTable) -> None:
    """Revoke every code printed so far (atomic: concurrent bumps never collide)."""
    session.execute(
        sa.update(VenueTable)
        .where(col(VenueTable.id) == table.id)
        .values(token_version=VenueTable.token_version + 1, updated_at=func.now())
    )
    session.refresh(table)


def update(session: Session, *, table: VenueTable, data: TableUpdate) -> VenueTable:
    changes = data.model_dump(exclude_unset=True)
    label = changes.get("label")
    if (
        label is not None
        and label != table.label
        and _label_exists(session, venue_id=table.venue_id, label=label, exclude=table.id)
    ):
        raise _label_taken(label)
    deactivating = table.is_active and changes.get("is_active") is False
    for name, value in changes.items():
        setattr(table, name, value)
    session.add(table)
    _flush_or_conflict(session, table.label)
    if deactivating:
        # Reactivating later must not bring the old printed codes back.
        _bump_token_version(session, table)
    return table


def rotate_token(session: Session, *, table: VenueTable) -> VenueTable:
    _bump_token_version(session, table)
    return table


def delete(session: Session, *, table: VenueTable) -> None:
    session.delete(table)
    session.flush()


# Scanning


class VenueNotOpenYet(NotFound):
    """A genuine, live code of a venue that is not verified yet: a 404 like any code
    that does not open, which the landing page can tell apart."""

    def __init__(self, *, venue_name: str) -> None:
        super().__init__("table")
        self.venue_name = venue_name


def resolve_token(session: Session, *, token: str) -> tuple[VenueTable, Venue]:
    """The live table and venue a scanned code names, in one query.

    Forged, malformed, revoked (older version), deleted or deactivated tables and
    venues that are not public (not verified or not active) are all `NotFound`; a
    live code of an active venue that is not verified yet is `VenueNotOpenYet`.
    """
    try:
        claims = table_token.decode_table_token(token)
    except InvalidToken as exc:
        raise NotFound("table") from exc
    row = session.exec(
        select(VenueTable, Venue)
        .join(Venue, col(Venue.id) == VenueTable.venue_id)
        .where(
            VenueTable.id == claims.table_id,
            VenueTable.venue_id == claims.venue_id,
            VenueTable.token_version == claims.version,
            col(VenueTable.is_active).is_(True),
            col(Venue.is_active).is_(True),
        )
    ).first()
    if row is None:
        raise NotFound("table")
    if row[1].status != VenueStatus.VERIFIED:
        raise VenueNotOpenYet(venue_name=row[1].name)
    return row[0], row[1]


def venue_today(venue: Venue, now: datetime | None = None) -> date:
    """Today's date where the venue is (UTC if its time zone is unknown)."""
    return local_date(venue.timezone, now)


def record_scan(session: Session, *, table_id: uuid.UUID, day: date) -> None:
    """Count one scan: an atomic upsert, safe under concurrent scans of one table."""
    stmt = insert(VenueTableScanDay).values(table_id=table_id, day=day, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["table_id", "day"],
        set_={"count": VenueTableScanDay.count + 1},
    )
    session.execute(stmt)


def scan(session: Session, *, token: str) -> tuple[VenueTable, Venue]:
    """Resolve a scanned code and count the scan (the caller commits)."""
    table, venue = resolve_token(session, token=token)
    record_scan(session, table_id=table.id, day=venue_today(venue))
    return table, venue


def open_code(session: Session, *, token: str, count: bool) -> tuple[VenueTable, Venue]:
    """Resolve a scanned code, counting the scan when `count` (the caller commits)."""
    return scan(session, token=token) if count else resolve_token(session, token=token)


def scan_report(
    session: Session,
    *,
    venue: Venue,
    date_from: date | None = None,
    date_to: date | None = None,
    table_id: uuid.UUID | None = None,
) -> TableScanReport:
    """Scans per table and day; by default the last 30 days up to the venue's today."""
    date_from, date_to = date_window(date_from, date_to, today=venue_today(venue))
    items = scan_counts(
        session, venue_id=venue.id, date_from=date_from, date_to=date_to, table_id=table_id
    )
    return TableScanReport(
        date_from=date_from,
        date_to=date_to,
        total=sum(item.count for item in items),
        items=items,
    )


def scan_counts(
    session: Session,
    *,
    venue_id: uuid.UUID,
    date_from: date,
    date_to: date,
    table_id: uuid.UUID | None = None,
) -> list[TableScanCount]:
    """Scans per table and day at a venue, oldest day first."""
    query = (
        select(
            col(VenueTableScanDay.table_id),
            col(VenueTable.label),
            col(VenueTableScanDay.day),
            col(VenueTableScanDay.count),
        )
        .join(VenueTable, col(VenueTable.id) == VenueTableScanDay.table_id)
        .where(
            VenueTable.venue_id == venue_id,
            col(VenueTableScanDay.day) >= date_from,
            col(VenueTableScanDay.day) <= date_to,
        )
        .order_by(col(VenueTableScanDay.day), *_NATURAL_ORDER)
    )
    if table_id is not None:
        query = query.where(VenueTableScanDay.table_id == table_id)
    return [
        TableScanCount(table_id=row[0], label=row[1], day=row[2], count=row[3])
        for row in session.exec(query).all()
    ]
