"""Table sessions and their members: queries and single-row rules (never commits).

One open session per table is the partial unique index
`uq_table_session_open_table_id`: `open_or_get` inserts with ON CONFLICT DO NOTHING
and then reads the open row, so two phones scanning at once meet in one session.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.crud.common import table_of
from app.models import Venue
from app.models.order import (
    Bill,
    BillStatus,
    SessionCloseReason,
    TableSession,
    TableSessionMember,
    TableSessionStatus,
)
from app.models.table import VenueTable
from app.schema.table_session import TableSessionRead


def get_open_for_table(session: Session, *, table_id: uuid.UUID) -> TableSession | None:
    return session.exec(
        select(TableSession)
        .where(TableSession.table_id == table_id, TableSession.status == TableSessionStatus.OPEN)
        .execution_options(populate_existing=True)
    ).first()


def open_or_get(
    session: Session, *, table: VenueTable, venue: Venue, opened_by_id: uuid.UUID
) -> tuple[TableSession, bool]:
    """The table's open session, opened now if there is none (True: opened by this call).

    A concurrent opener's INSERT waits for the other's commit on the unique index and
    then does nothing; the read that follows sees the committed row."""
    for _ in range(3):
        inserted = session.execute(
            pg_insert(TableSession)
            .values(
                id=uuid.uuid4(),
                venue_id=venue.id,
                table_id=table.id,
                status=TableSessionStatus.OPEN.value,
                payment_mode=venue.payment_mode.value,
                opened_by_id=opened_by_id,
            )
            .on_conflict_do_nothing(
                index_elements=["table_id"], index_where=sa.text("status = 'open'")
            )
            .returning(col(TableSession.id))
        ).first()
        found = get_open_for_table(session, table_id=table.id)
        if found is not None:
            return found, inserted is not None
    raise NotFound("table session")  # opened and closed under us three times: give up


def join(session: Session, *, table_session: TableSession, user_id: uuid.UUID) -> None:
    """Add the user to the session, or renew their `joined_at`."""
    statement = pg_insert(TableSessionMember).values(session_id=table_session.id, user_id=user_id)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["session_id", "user_id"], set_={"joined_at": sa.func.now()}
        )
    )


def membership(
    session: Session, *, session_id: uuid.UUID, user_id: uuid.UUID
) -> TableSessionMember | None:
    return session.exec(
        select(TableSessionMember)
        .where(TableSessionMember.session_id == session_id, TableSessionMember.user_id == user_id)
        .execution_options(populate_existing=True)
    ).first()


def get_for_member(session: Session, *, session_id: uuid.UUID, user_id: uuid.UUID) -> TableSession:
    """A session the user has joined (anyone else's: 404)."""
    found = session.exec(
        select(TableSession)
        .join(TableSessionMember, col(TableSessionMember.session_id) == TableSession.id)
        .where(TableSession.id == session_id, TableSessionMember.user_id == user_id)
    ).first()
    if found is None:
        raise NotFound("table session")
    return found


def get_for_venue(session: Session, *, session_id: uuid.UUID, venue_id: uuid.UUID) -> TableSession:
    found = session.get(TableSession, session_id)
    if found is None or found.venue_id != venue_id:
        raise NotFound("table session")
    return found


def get(session: Session, *, session_id: uuid.UUID) -> TableSession:
    found = session.exec(
        select(TableSession)
        .where(TableSession.id == session_id)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotFound("table session")
    return found


def lock(session: Session, *, session_id: uuid.UUID, share: bool = False) -> TableSession:
    """The session re-read under its row lock (FOR SHARE with `share`: orders being
    placed on it; FOR UPDATE: moving, merging, closing, issuing its bill)."""
    statement = select(TableSession).where(TableSession.id == session_id)
    statement = statement.with_for_update(read=share)
    found = session.exec(statement.execution_options(populate_existing=True)).first()
    if found is None:
        raise NotFound("table session")
    return found


def open_bill(session: Session, *, session_id: uuid.UUID) -> Bill | None:
    """The session's issued bill that is not paid yet, if any."""
    return session.exec(
        select(Bill).where(Bill.session_id == session_id, Bill.status == BillStatus.OPEN)
    ).first()


def close(
    session: Session,
    *,
    table_session: TableSession,
    reason: SessionCloseReason,
    by_id: uuid.UUID | None,
    at: datetime,
    merged_into_id: uuid.UUID | None = None,
) -> TableSession:
    table_session.status = TableSessionStatus.CLOSED
    table_session.close_reason = reason
    table_session.closed_at = at
    table_session.closed_by_id = by_id
    table_session.merged_into_id = merged_into_id
    session.add(table_session)
    session.flush()
    return table_session


def move_members(session: Session, *, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
    """Every member of `source` joins `target` (keeping the later of two join times)."""
    members = session.exec(
        select(TableSessionMember).where(TableSessionMember.session_id == source_id)
    ).all()
    for member in members:
        statement = pg_insert(TableSessionMember).values(
            session_id=target_id,
            user_id=member.user_id,
            first_joined_at=member.first_joined_at,
            joined_at=member.joined_at,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["session_id", "user_id"],
                set_={
                    "joined_at": sa.func.greatest(
                        table_of(TableSessionMember).c.joined_at,
                        statement.excluded.joined_at,
                    )
                },
            )
        )


def read(session: Session, *, table_sessions: list[TableSession]) -> list[TableSessionRead]:
    """Sessions with their table's label and member count (two queries)."""
    if not table_sessions:
        return []
    ids = [s.id for s in table_sessions]
    labels = dict(
        session.exec(
            select(VenueTable.id, VenueTable.label).where(
                col(VenueTable.id).in_({s.table_id for s in table_sessions})
            )
        ).all()
    )
    counts = dict(
        session.exec(
            select(TableSessionMember.session_id, sa.func.count())
            .where(col(TableSessionMember.session_id).in_(ids))
            .group_by(col(TableSessionMember.session_id))
        ).all()
    )
    return [
        TableSessionRead(
            **s.model_dump(), table_label=labels.get(s.table_id, ""), members=counts.get(s.id, 0)
        )
        for s in table_sessions
    ]


def list_open(session: Session, *, venue_id: uuid.UUID) -> list[TableSession]:
    return list(
        session.exec(
            select(TableSession)
            .where(
                TableSession.venue_id == venue_id, TableSession.status == TableSessionStatus.OPEN
            )
            .order_by(col(TableSession.opened_at), col(TableSession.id))
        ).all()
    )
