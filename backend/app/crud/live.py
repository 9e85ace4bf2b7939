"""The live event log (`live_event`): what the live streams send, and the NOTIFY
that wakes them.

`record` writes the event in the caller's transaction and queues a NOTIFY on
`LIVE_CHANNEL` with its id; PostgreSQL delivers the NOTIFY only when the
transaction commits, so a stream never sees a change that rolled back, and every
worker and app instance on the same database hears it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

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
