"""Routes: live streams (Server-Sent Events) and the tokens that open them.

    POST /live/tokens                     {stream, id}  -> {token, expires_at, url}
    GET  /live/venues/{venue_id}?token=   a venue's live board (staff and above)
    GET  /live/table-sessions/{id}?token= a table session (its members)
    GET  /live/me?token=                  the caller's own orders

A stream sends `event: <kind>` / `id: <live_event id>` / `data: <JSON>` per event,
a comment line every `LIVE_HEARTBEAT_SECONDS`, and, when it opens without a
`Last-Event-ID`, one `ready` event whose id is where it starts. A client resuming
sends `Last-Event-ID` (browsers do) or `?last_event_id=` (a reconnect with a new
token) and gets what it missed from the log first. An invalid token or relation
answers in JSON before the stream starts; an open stream checks the relation again
every `LIVE_RECHECK_SECONDS` and ends with an `end` event once it is gone (a role
taken away, an account closed, every session signed out). See `app.services.live`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from app.api.deps import CurrentUser, SessionDep, ShortSessions, ShortSessionsDep
from app.core.config import settings
from app.core.errors import (
    DatabaseUnavailable,
    InvalidStreamToken,
    LiveUnavailable,
    NotAuthenticated,
    NotFound,
    VenueRoleRequired,
    raises,
)
from app.core.live_token import Stream, StreamKind
from app.core.security import InvalidToken
from app.crud import live as live_crud
from app.schema.live import StreamTokenCreate, StreamTokenRead, as_stream
from app.services import live as live_service

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/live", tags=["live"])

#: Milliseconds a browser waits before it reconnects a dropped stream.
RECONNECT_MS = 3000
#: Events replayed per read of the log (each read in a short session of its own).
REPLAY_PAGE = 500

_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A stream of Server-Sent Events (`text/event-stream`): for each event "
        "`id:` (the event's log id), `event:` (`order`, `session`, `bill`; `ready` first "
        "when no `Last-Event-ID` was sent) and `data:` (JSON: `id`, `kind`, `venue_id`, "
        "`parent_venue_id`, `session_id`, `order_id`, `created_at`, `data`); comment lines "
        "(`: ping`) as heartbeats. A stream whose user may no longer follow it (checked "
        "every `LIVE_RECHECK_SECONDS`: a role taken away, an account closed, every "
        'session signed out) ends with `event: end` and `data: {"reason": "access_lost"}`: '
        "do not reconnect then.",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": 'id: 42\nevent: order\ndata: {"id":42,"kind":"order",...}\n\n',
            }
        },
    }
}

Token = Annotated[
    str,
    Query(
        min_length=1,
        max_length=2048,
        description="A stream token from `POST /api/v1/live/tokens` for this stream.",
    ),
]
LastEventIdQuery = Annotated[
    int | None,
    Query(ge=0, le=2**63 - 1, description="Resume after this event (as `Last-Event-ID`)."),
]
LastEventIdHeader = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=64,
        description="Resume after this event (what the browser sends when it reconnects; "
        "a value that is not an event id is ignored).",
    ),
]


def stream_path(stream: Stream) -> str:
    base = f"{settings.API_V1_STR}/live"
    if stream.kind == StreamKind.VENUE:
        return f"{base}/venues/{stream.object_id}"
    if stream.kind == StreamKind.TABLE_SESSION:
        return f"{base}/table-sessions/{stream.object_id}"
    return f"{base}/me"


@router.post("/tokens", response_model=StreamTokenRead)
@raises(NotFound, VenueRoleRequired)
def create_stream_token(
    body: StreamTokenCreate, user: CurrentUser, session: SessionDep
) -> StreamTokenRead:
    """A short-lived token that opens one stream (an `EventSource` sends no headers)."""
    stream = as_stream(body)
    live_service.check_access(session, user_id=user.id, stream=stream)
    issued = live_service.issue_token(user_id=user.id, stream=stream)
    return StreamTokenRead(
        token=issued.token,
        expires_at=issued.expires_at,
        url=f"{stream_path(stream)}?token={issued.token}",
    )


async def _open(
    stream: Stream,
    *,
    token: str,
    after: int | None,
    sessions: ShortSessions,
) -> EventSourceResponse:
    try:
        user_id = live_service.read_token(token, stream=stream)
    except InvalidToken as exc:
        raise InvalidStreamToken() from exc

    def check() -> int | None:
        """Who opens it may, and (for a new stream) where it starts: one short session."""
        with sessions() as session:
            live_service.check_access(session, user_id=user_id, stream=stream)
            return None if after is not None else live_crud.last_id(session)

    key = live_service.subscription_key(stream, user_id=user_id)
    # Subscribed before the start position is read: nothing committed after it is missed
    # (and unsubscribed at once if the caller may not follow this stream).
    subscription = await live_service.hub.subscribe(key)
    try:
        start = await anyio.to_thread.run_sync(check)
    except BaseException:
        live_service.hub.unsubscribe(subscription)
        raise

    return EventSourceResponse(
        _events(
            stream,
            user_id=user_id,
            after=after,
            start=start,
            subscription=subscription,
            sessions=sessions,
        ),
        ping=settings.LIVE_HEARTBEAT_SECONDS,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(live_service.hub.unsubscribe, subscription),
    )


async def _events(
    stream: Stream,
    *,
    user_id: uuid.UUID,
    after: int | None,
    start: int | None,
    subscription: live_service.Subscription,
    sessions: ShortSessions,
) -> AsyncIterator[ServerSentEvent | bytes]:
    """The replay (or the `ready` event), then what the hub hands this stream, each
    event as the frame encoded once for every stream; ends at LIVE_STREAM_MAX_SECONDS
    or when the subscription closes (a stream too far behind resumes from the log).
    Every LIVE_RECHECK_SECONDS it checks again that its user may follow it, and ends
    with an `end` event when not."""
    limit = settings.LIVE_STREAM_MAX_SECONDS
    deadline = time.monotonic() + limit if limit else None
    opened_at = datetime.now(UTC)
    next_check = time.monotonic() + settings.LIVE_RECHECK_SECONDS
    replayed: set[int] = set()

    def allowed() -> bool:
        with sessions() as session:
            return live_service.still_allowed(
                session, user_id=user_id, stream=stream, opened_at=opened_at
            )

    try:
        if after is None:
            assert start is not None
            yield ServerSentEvent(
                data=json.dumps({"last_event_id": start}),
                event="ready",
                id=str(start),
                retry=RECONNECT_MS,
            )
        else:
            position = after
            while True:

                def page(position: int = position) -> list[live_service.LiveMessage]:
                    with sessions() as session:
                        return live_service.replay(
                            session, stream=stream, user_id=user_id, after_id=position
                        )

                messages = await anyio.to_thread.run_sync(page)
                for message in messages:
                    replayed.add(message.id)
                    yield message.frame
                if len(messages) < REPLAY_PAGE:
                    break
                position = messages[-1].id
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return
            if now >= next_check:
                if not await _still_allowed(allowed):
                    yield ServerSentEvent(data=json.dumps({"reason": "access_lost"}), event="end")
                    return
                next_check = time.monotonic() + settings.LIVE_RECHECK_SECONDS
            wake = next_check if deadline is None else min(deadline, next_check)
            try:
                received = await subscription.get(timeout=max(wake - time.monotonic(), 0))
            except live_service.StreamClosed:
                return
            if received is not None and received.id not in replayed:
                yield received.frame
    finally:
        live_service.hub.unsubscribe(subscription)


async def _still_allowed(allowed: Callable[[], bool]) -> bool:
    """The re-check, in a thread; a database that cannot answer just now ends nothing
    (the stream goes on and asks again at the next re-check)."""
    try:
        return await anyio.to_thread.run_sync(allowed)
    except (DatabaseUnavailable, sa.exc.OperationalError, sa.exc.TimeoutError):
        logger.warning("a live stream could not check its access again; it goes on")
        return True


_STREAM_ERRORS = (InvalidStreamToken, NotAuthenticated, LiveUnavailable, DatabaseUnavailable)


@router.get("/venues/{venue_id}", response_class=EventSourceResponse, responses=_STREAM_DOC)
@raises(*_STREAM_ERRORS, NotFound, VenueRoleRequired)
async def venue_stream(
    venue_id: uuid.UUID,
    token: Token,
    sessions: ShortSessionsDep,
    last_event_id: LastEventIdQuery = None,
    last_event_id_header: LastEventIdHeader = None,
) -> EventSourceResponse:
    """A venue's live board: its orders, sessions and bills (a food court's: its QSRs'
    too). For the venue's staff and above."""
    return await _open(
        Stream(StreamKind.VENUE, venue_id),
        token=token,
        after=_after(last_event_id_header, last_event_id),
        sessions=sessions,
    )


@router.get(
    "/table-sessions/{session_id}", response_class=EventSourceResponse, responses=_STREAM_DOC
)
@raises(*_STREAM_ERRORS, NotFound)
async def table_session_stream(
    session_id: uuid.UUID,
    token: Token,
    sessions: ShortSessionsDep,
    last_event_id: LastEventIdQuery = None,
    last_event_id_header: LastEventIdHeader = None,
) -> EventSourceResponse:
    """A table session's orders and bill, for the people in it."""
    return await _open(
        Stream(StreamKind.TABLE_SESSION, session_id),
        token=token,
        after=_after(last_event_id_header, last_event_id),
        sessions=sessions,
    )


@router.get("/me", response_class=EventSourceResponse, responses=_STREAM_DOC)
@raises(*_STREAM_ERRORS)
async def my_stream(
    token: Token,
    sessions: ShortSessionsDep,
    last_event_id: LastEventIdQuery = None,
    last_event_id_header: LastEventIdHeader = None,
) -> EventSourceResponse:
    """The caller's own orders (as the consumer who placed them)."""
    return await _open(
        Stream(StreamKind.ME),
        token=token,
        after=_after(last_event_id_header, last_event_id),
        sessions=sessions,
    )


def _after(header: str | None, query: int | None) -> int | None:
    """The browser's own `Last-Event-ID` wins over the one in the URL (older). It only
    ever repeats an id this API sent; anything else is ignored, not refused."""
    if header is not None and header.isdigit() and int(header) < 2**63:
        return int(header)
    return query
