"""Routes: table sessions.

A signed-in consumer opens the session of the table whose code they scanned, or
joins the one already open (two phones at one table share one session), and reads
a session they joined (anyone else's is a 404). The venue's staff list its open
sessions, move one to another free table, merge two and close one.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import (
    CurrentUser,
    MemberTableSession,
    SessionDep,
    StaffedTableSession,
    StaffedVenue,
    commit,
)
from app.core.errors import (
    BillIssued,
    NotFound,
    SessionMergeRefused,
    SessionNotSettled,
    TableNotFree,
    TableSessionClosed,
    TooFarFromVenue,
    raises,
)
from app.crud import table_session as session_crud
from app.models.order import TableSession
from app.schema.table_session import (
    TableSessionJoin,
    TableSessionMerge,
    TableSessionMove,
    TableSessionRead,
)
from app.services import table_sessions as sessions_service

router = APIRouter(tags=["sessions"])

VENUE_SESSIONS = "/venues/{venue_id}/table-sessions"
ONE_SESSION = VENUE_SESSIONS + "/{session_id}"


def _read(session: SessionDep, table_session: TableSession) -> TableSessionRead:
    return session_crud.read(session, table_sessions=[table_session])[0]


@router.post("/table-sessions", response_model=TableSessionRead)
@raises(NotFound, TooFarFromVenue)
def open_or_join_session(
    data: TableSessionJoin, user: CurrentUser, session: SessionDep
) -> TableSessionRead:
    """Open the session of the table whose code was scanned, or join the one open; a
    second scan renews the caller's membership (orders need a recent one). With a
    position, it must be near the venue."""
    table_session = sessions_service.open_or_join(
        session, token=data.table_token, user=user, point=data.point()
    )
    commit(session)
    return _read(session, table_session)


@router.get("/table-sessions/{session_id}", response_model=TableSessionRead)
def read_my_session(table_session: MemberTableSession, session: SessionDep) -> TableSessionRead:
    return _read(session, table_session)


@router.get(VENUE_SESSIONS, response_model=list[TableSessionRead])
def list_open_sessions(venue: StaffedVenue, session: SessionDep) -> list[TableSessionRead]:
    """The venue's open sessions, oldest first."""
    return session_crud.read(
        session, table_sessions=session_crud.list_open(session, venue_id=venue.id)
    )


@router.get(ONE_SESSION, response_model=TableSessionRead)
def read_venue_session(table_session: StaffedTableSession, session: SessionDep) -> TableSessionRead:
    return _read(session, table_session)


@router.post(ONE_SESSION + "/move", response_model=TableSessionRead)
@raises(NotFound, TableSessionClosed, TableNotFree)
def move_session(
    table_session: StaffedTableSession,
    data: TableSessionMove,
    user: CurrentUser,
    session: SessionDep,
) -> TableSessionRead:
    """Move the session (its people and orders) to another free table of the venue."""
    moved = sessions_service.move(
        session, table_session=table_session, table_id=data.table_id, by=user
    )
    commit(session)
    return _read(session, moved)


@router.post(ONE_SESSION + "/merge", response_model=TableSessionRead)
@raises(NotFound, TableSessionClosed, SessionMergeRefused, BillIssued)
def merge_session(
    table_session: StaffedTableSession,
    data: TableSessionMerge,
    user: CurrentUser,
    session: SessionDep,
) -> TableSessionRead:
    """Merge this session into `into_session_id`: its orders and people move there and
    it closes (reason `merged`). Answers the session merged into."""
    target = sessions_service.merge(
        session, table_session=table_session, into_session_id=data.into_session_id, by=user
    )
    commit(session)
    return _read(session, target)


@router.post(ONE_SESSION + "/close", response_model=TableSessionRead)
@raises(NotFound, TableSessionClosed, SessionNotSettled)
def close_session(
    table_session: StaffedTableSession, user: CurrentUser, session: SessionDep
) -> TableSessionRead:
    closed = sessions_service.close(session, table_session=table_session, by=user)
    commit(session)
    return _read(session, closed)
