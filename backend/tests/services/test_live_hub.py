"""The hub's dispatch by filters and a subscription's inbox, without a server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from app.core.live_token import StreamKind
from app.services.live import LiveHub, LiveMessage, StreamClosed, Subscription


def message(event_id: int, **fields: uuid.UUID | None) -> LiveMessage:
    return LiveMessage.build(
        id=event_id,
        kind="order",
        venue_id=fields.get("venue_id") or uuid.uuid4(),
        parent_venue_id=fields.get("parent_venue_id"),
        session_id=fields.get("session_id"),
        user_id=fields.get("user_id"),
        order_id=None,
        data={"n": event_id},
        created_at=datetime(2026, 12, 2, tzinfo=UTC),
    )


def test_dispatch_follows_venue_food_court_session_and_consumer() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        court, qsr, sibling, session_id, user = (uuid.uuid4() for _ in range(5))
        subscriptions = {}
        for key in [
            (StreamKind.VENUE, court),
            (StreamKind.VENUE, qsr),
            (StreamKind.VENUE, sibling),
            (StreamKind.TABLE_SESSION, session_id),
            (StreamKind.ME, user),
        ]:
            subscription = Subscription(key=key, limit=10)
            hub._subscribers.setdefault(key, set()).add(subscription)
            subscriptions[key] = subscription
        hub.dispatch(message(1, venue_id=qsr, parent_venue_id=court, user_id=user))
        hub.dispatch(message(2, venue_id=sibling, parent_venue_id=court, session_id=session_id))

        async def ids(key: tuple[StreamKind, uuid.UUID]) -> list[int]:
            got = []
            while (m := await subscriptions[key].get(timeout=0)) is not None:
                got.append(m.id)
            return got

        assert await ids((StreamKind.VENUE, court)) == [1, 2]
        assert await ids((StreamKind.VENUE, qsr)) == [1]
        assert await ids((StreamKind.VENUE, sibling)) == [2]
        assert await ids((StreamKind.TABLE_SESSION, session_id)) == [2]
        assert await ids((StreamKind.ME, user)) == [1]

    asyncio.run(scenario())


def test_a_stream_too_far_behind_is_closed_to_resume_from_the_log() -> None:
    async def scenario() -> None:
        subscription = Subscription(key=(StreamKind.ME, uuid.uuid4()), limit=2)
        for n in range(3):
            subscription.push(message(n))
        assert subscription.overflowed
        # What it holds goes out, then it ends: the client resumes after event 1.
        first, second = await subscription.get(timeout=0), await subscription.get(timeout=0)
        assert (first and first.id, second and second.id) == (0, 1)
        with pytest.raises(StreamClosed):
            await subscription.get(timeout=0)

    asyncio.run(scenario())


def test_a_frame_is_one_sse_event() -> None:
    frame = message(7).frame.decode()
    assert frame.startswith("id: 7\r\nevent: order\r\ndata: {")
    assert frame.endswith("}\r\n\r\n")
