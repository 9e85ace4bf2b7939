"""Live updates: who may open which stream, and the fan-out that feeds the streams.

The log is `live_event` (`app.crud.live`): a change writes its event and a NOTIFY on
`socia_live` in its own transaction. Each process keeps ONE extra connection (not from
the pool) that LISTENs on that channel (`LiveHub`). On each NOTIFY it reads the new
rows once (after the last id it saw, plus any NOTIFY naming an id it had already
passed: a transaction that committed after a later one) and hands each event to the
streams of this process whose filter it matches: a venue's board (its events and, for
a food court, its QSRs'), a table session's people, the consumer named by the event.
Every worker process and every app instance on the same database hears every NOTIFY,
so no broker is needed. A lost connection is reopened with backoff, and the events
committed meanwhile are read then.

A stream holds no database connection while it waits: it reads the log only to
check who opens it and to replay what a resuming client missed (`Last-Event-ID`),
each time through a short session of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlmodel import Session

from app.core.config import settings
from app.core.db import get_engine
from app.core.errors import LiveUnavailable, NotAuthenticated, NotFound, VenueRoleRequired
from app.core.live_token import Stream, StreamKind, StreamToken
from app.core.live_token import issue as _issue
from app.core.live_token import read as _read
from app.crud import live as live_crud
from app.crud import venue as venue_crud
from app.models import User, VenueRole
from app.models.order import LiveEvent, TableSession, TableSessionMember

logger = logging.getLogger(__name__)

#: How long a new stream waits for the listener to be connected before a 503.
READY_TIMEOUT_SECONDS = 10.0
#: The listener checks its connection when nothing arrived for this long.
KEEPALIVE_SECONDS = 30.0
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
#: The listener's `application_name` (how it shows in `pg_stat_activity`).
LISTENER_NAME = "socia-live-listener"
#: Ids already sent out, remembered to skip a second NOTIFY of the same event.
RECENT_IDS = 10_000


# --- who may open a stream ------------------------------------------------------------


def issue_token(*, user_id: uuid.UUID, stream: Stream) -> StreamToken:
    """A token that opens `stream` for `LIVE_TOKEN_TTL_SECONDS` (see app.core.live_token)."""
    return _issue(user_id=user_id, stream=stream)


def read_token(token: str, *, stream: Stream) -> uuid.UUID:
    """The user of a token valid for `stream`; `InvalidToken` otherwise."""
    return _read(token, stream=stream)


def check_access(session: Session, *, user_id: uuid.UUID, stream: Stream) -> User:
    """The active user a stream token names, if they may follow `stream` now.

    Staff (and above) of a venue follow its board (platform admins too); members of a
    table session follow the session; anyone follows their own stream. An unknown
    object or one the user has no relation to is a 404, as everywhere in the API.
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise NotAuthenticated("The account of this stream token is no longer active")
    if stream.kind == StreamKind.VENUE:
        assert stream.object_id is not None
        venue = venue_crud.get(session, venue_id=stream.object_id)
        venue_crud.require_role(session, venue=venue, user=user, minimum=VenueRole.STAFF)
    elif stream.kind == StreamKind.TABLE_SESSION:
        assert stream.object_id is not None
        if (
            session.get(TableSession, stream.object_id) is None
            or session.get(TableSessionMember, (stream.object_id, user.id)) is None
        ):
            raise NotFound("table session")
    return user


def still_allowed(
    session: Session, *, user_id: uuid.UUID, stream: Stream, opened_at: datetime
) -> bool:
    """Whether a stream opened at `opened_at` may go on: its user may still follow it
    (`check_access`) and has not signed out everywhere since it opened."""
    try:
        user = check_access(session, user_id=user_id, stream=stream)
    except (NotAuthenticated, NotFound, VenueRoleRequired):
        return False
    revoked = user.sessions_revoked_at
    return revoked is None or revoked < opened_at


# --- what a stream sends --------------------------------------------------------------


@dataclass(frozen=True)
class LiveMessage:
    """One event as the streams send it; `json` is serialised once for every stream."""

    id: int
    kind: str
    venue_id: uuid.UUID
    parent_venue_id: uuid.UUID | None
    session_id: uuid.UUID | None
    user_id: uuid.UUID | None
    order_id: uuid.UUID | None
    json: str
    # The whole SSE frame, encoded once for every stream that sends it.
    frame: bytes

    @classmethod
    def build(
        cls,
        *,
        id: int,
        kind: str,
        venue_id: uuid.UUID,
        parent_venue_id: uuid.UUID | None,
        session_id: uuid.UUID | None,
        user_id: uuid.UUID | None,
        order_id: uuid.UUID | None,
        data: dict[str, Any],
        created_at: datetime,
    ) -> LiveMessage:
        body = {
            "id": id,
            "kind": kind,
            "venue_id": str(venue_id),
            "parent_venue_id": str(parent_venue_id) if parent_venue_id else None,
            "session_id": str(session_id) if session_id else None,
            "order_id": str(order_id) if order_id else None,
            "created_at": created_at.isoformat(),
            "data": data,
        }
        text = json.dumps(body, separators=(",", ":"), default=str)
        return cls(
            id=id,
            kind=kind,
            venue_id=venue_id,
            parent_venue_id=parent_venue_id,
            session_id=session_id,
            user_id=user_id,
            order_id=order_id,
            json=text,
            frame=f"id: {id}\r\nevent: {kind}\r\ndata: {text}\r\n\r\n".encode(),
        )

    @classmethod
    def from_event(cls, event: LiveEvent) -> LiveMessage:
        assert event.id is not None
        return cls.build(
            id=event.id,
            kind=str(event.kind),
            venue_id=event.venue_id,
            parent_venue_id=event.parent_venue_id,
            session_id=event.session_id,
            user_id=event.user_id,
            order_id=event.order_id,
            data=event.data,
            created_at=event.created_at,
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LiveMessage:
        return cls.build(**row)

    def keys(self) -> Iterable[Key]:
        """The subscriptions this event goes to."""
        yield (StreamKind.VENUE, self.venue_id)
        if self.parent_venue_id is not None:
            yield (StreamKind.VENUE, self.parent_venue_id)
        if self.session_id is not None:
            yield (StreamKind.TABLE_SESSION, self.session_id)
        if self.user_id is not None:
            yield (StreamKind.ME, self.user_id)


#: What a subscription listens to: a venue, a session, or (`me`) a user.
Key = tuple[StreamKind, uuid.UUID]


def subscription_key(stream: Stream, *, user_id: uuid.UUID) -> Key:
    """The `me` stream is keyed by its user."""
    if stream.kind == StreamKind.ME:
        return (StreamKind.ME, user_id)
    assert stream.object_id is not None
    return (stream.kind, stream.object_id)


def replay(
    session: Session, *, stream: Stream, user_id: uuid.UUID, after_id: int, limit: int = 500
) -> list[LiveMessage]:
    """A stream's events after `after_id` from the log, oldest first, `limit` at most."""
    events = live_crud.for_stream(
        session, stream=stream, user_id=user_id, after_id=after_id, limit=limit
    )
    return [LiveMessage.from_event(event) for event in events]


# --- subscriptions and the hub ------------------------------------------------------------


class StreamClosed(Exception):
    """The subscription ended: the hub stopped, or the stream fell too far behind."""


@dataclass(eq=False)
class Subscription:
    """A stream's inbox in this process; `get` waits without any database connection."""

    key: Key
    limit: int
    _items: deque[LiveMessage] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    overflowed: bool = False

    def push(self, message: LiveMessage) -> None:
        if self.closed:
            return
        if len(self._items) >= self.limit:
            # Too slow: end the stream, the client resumes from the log.
            self.overflowed = True
            self.closed = True
        else:
            self._items.append(message)
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def get(self, timeout: float | None = None) -> LiveMessage | None:
        """The next event, `None` after `timeout`; `StreamClosed` once closed."""
        while not self._items:
            if self.closed:
                raise StreamClosed()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        return self._items.popleft()


def listener_url() -> str:
    """The libpq URL of the app's database (the engine's: `DATABASE_URL` or embedded)."""
    url = get_engine().url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class LiveHub:
    """The process's one LISTEN connection and the streams it feeds (see the module
    docstring). Bound to the event loop that starts it (the server's)."""

    def __init__(self) -> None:
        self._subscribers: dict[Key, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self.last_id: int | None = None
        self._recent: set[int] = set()
        self._recent_order: deque[int] = deque()
        self.connections_opened = 0

    # lifecycle ---------------------------------------------------------------------------

    def _bind(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (a new server or test client): start from scratch.
            self._loop, self._task, self._ready = loop, None, asyncio.Event()
            self._subscribers.clear()
            self.last_id = None
        assert self._ready is not None
        return self._ready

    def start(self) -> None:
        """Run the listener (idempotent); it connects in the background."""
        self._bind()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscription in subscribers:
                subscription.close()
        self._subscribers.clear()
        task, self._task = self._task, None
        if task is not None and self._loop is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._ready is not None:
            self._ready.clear()

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscribers.values())

    async def subscribe(self, key: Key, *, limit: int | None = None) -> Subscription:
        """A new inbox for `key`, once the listener is connected (so nothing committed
        after this returns can be missed); `LiveUnavailable` if it cannot connect."""
        ready = self._bind()
        self.start()
        try:
            await asyncio.wait_for(ready.wait(), READY_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise LiveUnavailable() from exc
        subscription = Subscription(key=key, limit=limit or settings.LIVE_STREAM_BUFFER)
        self._subscribers.setdefault(key, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        subscribers = self._subscribers.get(subscription.key)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.key]

    # the listener ----------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        assert self._ready is not None
        while True:
            try:
                url = await asyncio.to_thread(listener_url)  # may start the embedded server
                conn = await psycopg.AsyncConnection.connect(
                    url,
                    autocommit=True,
                    row_factory=dict_row,
                    connect_timeout=10,
                    application_name=LISTENER_NAME,
                )
            except (psycopg.Error, OSError) as exc:
                logger.warning("live listener cannot connect (again in %.1fs): %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                continue
            try:
                async with conn:
                    self.connections_opened += 1
                    await conn.execute("SET TIME ZONE 'UTC'")
                    await live_crud.listen(conn)
                    if self.last_id is None:
                        self.last_id = await live_crud.fetch_last_id(conn)
                    else:
                        await self._read(conn, late=[])  # what committed while away
                    self._ready.set()
                    backoff = BACKOFF_FIRST_SECONDS
                    await self._listen(conn)
            except (psycopg.Error, OSError) as exc:
                self._ready.clear()
                logger.warning(
                    "live listener lost its connection (again in %.1fs): %s", backoff, exc
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
            except Exception:
                # A bug must not leave every stream of the process waiting for ever.
                self._ready.clear()
                logger.exception("live listener failed (again in %.1fs)", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _listen(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        while True:
            ids: list[int] = []
            async for notify in conn.notifies(timeout=KEEPALIVE_SECONDS, stop_after=1):
                with contextlib.suppress(ValueError):
                    ids.append(int(notify.payload))
            if not ids:
                await conn.execute("SELECT 1")  # a dead connection shows here
                continue
            assert self.last_id is not None
            late = [i for i in ids if i <= self.last_id and i not in self._recent]
            if late or any(i > self.last_id for i in ids):
                await self._read(conn, late=late)

    async def _read(
        self, conn: psycopg.AsyncConnection[dict[str, Any]], *, late: list[int]
    ) -> None:
        assert self.last_id is not None
        while True:
            rows = await live_crud.fetch_new(conn, after_id=self.last_id, late_ids=late)
            late = []
            for row in rows:
                message = LiveMessage.from_row(row)
                if message.id in self._recent:
                    continue
                self._remember(message.id)
                self.last_id = max(self.last_id, message.id)
                self.dispatch(message)
            if len(rows) < 1000:
                return

    def _remember(self, event_id: int) -> None:
        self._recent.add(event_id)
        self._recent_order.append(event_id)
        if len(self._recent_order) > RECENT_IDS:
            self._recent.discard(self._recent_order.popleft())

    def dispatch(self, message: LiveMessage) -> None:
        for key in message.keys():  # noqa: SIM118 (not a dict)
            for subscription in tuple(self._subscribers.get(key, ())):
                subscription.push(message)


#: The process's hub (started by the app's lifespan, or by its first stream).
hub = LiveHub()
