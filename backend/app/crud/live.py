"""The live event log (`live_event`): what the live streams send, and the NOTIFY
that wakes them.

`record` writes the event in the caller's transaction and queues a NOTIFY on
`LIVE_CHANNEL` with its id; PostgreSQL delivers the NOTIFY only when the
transaction commits, so a stream never sees a change that rolled back, and every
worker and app instance on the same database hears it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, LiteralString

import psycopg
import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from app.core.live_token import Stream, StreamKind
from app.models.order import LiveEvent, LiveEventKind

LIVE_CHANNEL = "socia_live"


def record(
    session: Session,
    *,
    kind: LiveEventKind,
    venue_id: uuid.UUID,
    data: dict[str, Any],
    parent_venue_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> LiveEvent:
    """Log one change for the live streams (sent once the transaction commits)."""
    event = LiveEvent(
        kind=kind,
        venue_id=venue_id,
        parent_venue_id=parent_venue_id,
        session_id=session_id,
        user_id=user_id,
        order_id=order_id,
        data=data,
    )
    session.add(event)
    session.flush()
    session.execute(sa.select(sa.func.pg_notify(LIVE_CHANNEL, str(event.id))))
    return event


def since(session: Session, *, after_id: int, limit: int = 500) -> list[LiveEvent]:
    """Events after `after_id`, oldest first."""
    return list(
        session.exec(
            select(LiveEvent)
            .where(col(LiveEvent.id) > after_id)
            .order_by(col(LiveEvent.id))
            .limit(limit)
        ).all()
    )


def prune(session: Session, *, before: datetime) -> int:
    """Delete events older than `before` (a stream cannot resume that far back)."""
    result = session.exec(delete(LiveEvent).where(col(LiveEvent.created_at) < before))
    return int(result.rowcount or 0)


def stream_filter(stream: Stream) -> sa.ColumnElement[bool]:
    """The events a stream sends: a venue's board gets its own events and, for a food
    court, its QSRs' (`parent_venue_id`); a session's people get the session's; a user
    gets the events naming them as the consumer."""
    if stream.kind == StreamKind.VENUE:
        return sa.or_(
            col(LiveEvent.venue_id) == stream.object_id,
            col(LiveEvent.parent_venue_id) == stream.object_id,
        )
    if stream.kind == StreamKind.TABLE_SESSION:
        return col(LiveEvent.session_id) == stream.object_id
    raise ValueError("the `me` stream filters by its user: use `for_user`")


def for_stream(
    session: Session,
    *,
    stream: Stream,
    user_id: uuid.UUID,
    after_id: int,
    limit: int = 500,
) -> list[LiveEvent]:
    """A stream's events after `after_id`, oldest first (a resumed stream's replay)."""
    where = (
        col(LiveEvent.user_id) == user_id if stream.kind == StreamKind.ME else stream_filter(stream)
    )
    return list(
        session.exec(
            select(LiveEvent)
            .where(col(LiveEvent.id) > after_id, where)
            .order_by(col(LiveEvent.id))
            .limit(limit)
        ).all()
    )


def last_id(session: Session) -> int:
    """The newest event's id (0 when the log is empty): where a new stream starts."""
    newest = session.exec(select(sa.func.max(LiveEvent.id))).one()
    return int(newest or 0)


# --- the listener's own connection (async psycopg, outside the pool) -----------------------

_COLUMNS = "id, kind, venue_id, parent_venue_id, session_id, user_id, order_id, data, created_at"
_NEW_EVENTS: LiteralString = (
    f"SELECT {_COLUMNS} FROM live_event"  # noqa: S608 (constant columns)
    " WHERE id > %(after)s OR id = ANY(%(late)s) ORDER BY id LIMIT %(limit)s"
)


async def fetch_new(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    after_id: int,
    late_ids: Sequence[int] = (),
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Rows after `after_id`, and the rows `late_ids` (events of transactions that
    committed after a later one: their NOTIFY names an id already passed)."""
    cursor = await conn.execute(
        _NEW_EVENTS, {"after": after_id, "late": list(late_ids), "limit": limit}
    )
    return await cursor.fetchall()


async def fetch_last_id(conn: psycopg.AsyncConnection[dict[str, Any]]) -> int:
    cursor = await conn.execute("SELECT coalesce(max(id), 0) AS id FROM live_event")
    row = await cursor.fetchone()
    return int(row["id"]) if row else 0


async def listen(conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
    await conn.execute(f"LISTEN {LIVE_CHANNEL}")
