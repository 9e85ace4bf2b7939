"""Live streams end to end: two real server processes on one database of their own.

Each process has its own LISTEN connection; an event committed anywhere (here: by
the test, straight into the database, as the orders code does in its transactions)
reaches the matching streams of both, and no others: a venue's staff, a food court's
team (its QSRs' events too), but not a sibling QSR's staff; a table session's
members; the consumer of the order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.core import db
from app.crud import live as live_crud
from app.models import User, Venue, VenueKind, VenueRole
from app.models.base import utcnow
from app.models.order import LiveEventKind, Order, OrderKind, OrderStatus, TableSession
from app.services.live import LISTENER_NAME
from tests.conftest import TestDatabase
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.live import LiveServer, SseReader, make_table_session

pytestmark = pytest.mark.slow


@dataclass
class Place:
    venue: Venue
    owner: User
    staff: User
    other_venue: Venue
    food_court: Venue
    qsr: Venue
    sibling_qsr: Venue
    court_manager: User
    qsr_staff: User
    sibling_staff: User
    consumer: User
    other_consumer: User
    table_session: TableSession
    other_session: TableSession


@pytest.fixture(scope="module")
def live_database(test_database: TestDatabase) -> Iterator[str]:
    url = test_database.create_migrated_database()
    yield url
    test_database.drop_database(url)


@pytest.fixture(scope="module")
def live_engine(live_database: str) -> Iterator[Engine]:
    engine = db.make_engine(live_database, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def place(live_engine: Engine) -> Place:
    with Session(live_engine, expire_on_commit=False) as session:
        owner, staff = make_user(session), make_user(session)
        venue = make_venue(session, owner=owner)
        add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
        other_venue = make_venue(session, owner=make_user(session))
        court_manager, qsr_staff, sibling_staff = (
            make_user(session),
            make_user(session),
            make_user(session),
        )
        food_court = make_venue(session, owner=court_manager, kind=VenueKind.FOOD_COURT)
        qsr = make_venue(session, kind=VenueKind.QSR, food_court_id=food_court.id)
        sibling_qsr = make_venue(session, kind=VenueKind.QSR, food_court_id=food_court.id)
        add_member(session, venue=qsr, user=qsr_staff, role=VenueRole.STAFF)
        add_member(session, venue=sibling_qsr, user=sibling_staff, role=VenueRole.STAFF)
        consumer, other_consumer = make_consumer(session), make_consumer(session)
        table_session = make_table_session(session, venue=venue, members=[consumer])
        other_session = make_table_session(session, venue=venue, members=[other_consumer])
        session.commit()
        return Place(
            venue=venue,
            owner=owner,
            staff=staff,
            other_venue=other_venue,
            food_court=food_court,
            qsr=qsr,
            sibling_qsr=sibling_qsr,
            court_manager=court_manager,
            qsr_staff=qsr_staff,
            sibling_staff=sibling_staff,
            consumer=consumer,
            other_consumer=other_consumer,
            table_session=table_session,
            other_session=other_session,
        )


@pytest.fixture(scope="module")
def servers(live_database: str, place: Place) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {"LIVE_HEARTBEAT_SECONDS": "0.5", "LIVE_RECHECK_SECONDS": "0.3"}
    with LiveServer(live_database, **env) as first, LiveServer(live_database, **env) as second:
        yield first, second


def record(engine: Engine, **fields: Any) -> int:
    """Commit one event, as the orders code does in its own transaction."""
    fields.setdefault("kind", LiveEventKind.ORDER)
    fields.setdefault("data", {"status": "placed"})
    with Session(engine) as session:
        event = live_crud.record(session, **fields)
        session.commit()
        assert event.id is not None
        return event.id


def token_for(server: LiveServer, user: User, stream: str, object_id: uuid.UUID | None) -> str:
    with server.client() as client:
        body: dict[str, Any] = {"stream": stream}
        if object_id is not None:
            body["id"] = str(object_id)
        response = client.post("/api/v1/live/tokens", json=body, headers=auth_headers(user))
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


def open_stream(
    client: httpx.Client,
    path: str,
    token: str,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    return client.stream("GET", path, params={"token": token, **params}, headers=headers)


def _venue_path(venue: Venue) -> str:
    return f"/api/v1/live/venues/{venue.id}"


def test_a_board_gets_its_venues_events_and_a_food_court_its_qsrs(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    staff_token = token_for(first, place.staff, "venue", place.venue.id)
    qsr_token = token_for(first, place.qsr_staff, "venue", place.qsr.id)
    court_token = token_for(first, place.court_manager, "venue", place.food_court.id)
    with (
        first.client() as client,
        open_stream(client, _venue_path(place.venue), staff_token) as board,
        open_stream(client, _venue_path(place.qsr), qsr_token) as qsr_board,
        open_stream(client, _venue_path(place.food_court), court_token) as court_board,
    ):
        for response in (board, qsr_board, court_board):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
        readers = [SseReader(board), SseReader(qsr_board), SseReader(court_board)]
        for reader in readers:
            assert reader.next().event == "ready"
        record(live_engine, venue_id=place.other_venue.id, data={"n": "other venue"})
        sibling = record(
            live_engine,
            venue_id=place.sibling_qsr.id,
            parent_venue_id=place.food_court.id,
            data={"n": "sibling"},
        )
        own_qsr = record(
            live_engine,
            venue_id=place.qsr.id,
            parent_venue_id=place.food_court.id,
            data={"n": "qsr"},
        )
        own = record(live_engine, venue_id=place.venue.id, data={"n": "venue"})

        event = readers[0].next()  # not the other venue's
        assert (event.id, event.event) == (str(own), "order")
        body = event.json()
        assert body["id"] == own
        assert body["venue_id"] == str(place.venue.id)
        assert body["data"] == {"n": "venue"}
        assert "user_id" not in body
        assert readers[1].next().id == str(own_qsr)  # not the sibling QSR's
        assert [readers[2].next().id, readers[2].next().id] == [str(sibling), str(own_qsr)]


def test_a_session_stream_and_a_consumer_stream_get_theirs_only(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    session_token = token_for(first, place.consumer, "table_session", place.table_session.id)
    me_token = token_for(first, place.consumer, "me", None)
    with (
        first.client() as client,
        open_stream(
            client, f"/api/v1/live/table-sessions/{place.table_session.id}", session_token
        ) as session_stream,
        open_stream(client, "/api/v1/live/me", me_token) as me_stream,
    ):
        session_reader, me_reader = SseReader(session_stream), SseReader(me_stream)
        assert session_reader.next().event == "ready"
        assert me_reader.next().event == "ready"
        record(
            live_engine,
            venue_id=place.venue.id,
            session_id=place.other_session.id,
            user_id=place.other_consumer.id,
        )
        mine = record(
            live_engine,
            kind=LiveEventKind.SESSION,
            venue_id=place.venue.id,
            session_id=place.table_session.id,
            data={"joined": True},
        )
        ready = record(
            live_engine, venue_id=place.venue.id, user_id=place.consumer.id, data={"ready": 1}
        )
        event = session_reader.next()
        assert (event.id, event.event, event.json()["data"]) == (
            str(mine),
            "session",
            {"joined": True},
        )
        assert me_reader.next().id == str(ready)


def test_a_stream_resumes_after_last_event_id_from_the_log(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    token = token_for(first, place.staff, "venue", place.venue.id)
    seen = record(live_engine, venue_id=place.venue.id, data={"n": 1})
    missed = [
        record(live_engine, venue_id=place.venue.id, data={"n": 2}),
        record(live_engine, venue_id=place.other_venue.id, data={"n": "not ours"}),
        record(live_engine, venue_id=place.venue.id, data={"n": 3}),
    ]
    with (
        first.client() as client,
        open_stream(
            client, _venue_path(place.venue), token, headers={"Last-Event-ID": str(seen)}
        ) as response,
    ):
        reader = SseReader(response)
        assert [reader.next().id, reader.next().id] == [str(missed[0]), str(missed[2])]
        live = record(live_engine, venue_id=place.venue.id, data={"n": 4})
        assert reader.next().id == str(live)
    # A reconnect with a new token says where it was in the query (no header).
    token = token_for(first, place.staff, "venue", place.venue.id)
    with (
        first.client() as client,
        open_stream(client, _venue_path(place.venue), token, last_event_id=missed[0]) as response,
    ):
        reader = SseReader(response)
        assert reader.next().id == str(missed[2])


def test_a_new_stream_starts_with_ready_at_the_newest_event(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    newest = record(live_engine, venue_id=place.other_venue.id)
    token = token_for(first, place.staff, "venue", place.venue.id)
    with first.client() as client, open_stream(client, _venue_path(place.venue), token) as response:
        ready = SseReader(response).next()
        assert ready.event == "ready"
        assert ready.id == str(newest)
        assert ready.json() == {"last_event_id": newest}
        assert ready.retry is not None


def test_an_idle_stream_gets_heartbeats(
    servers: tuple[LiveServer, LiveServer], place: Place
) -> None:
    first, _ = servers
    token = token_for(first, place.consumer, "me", None)
    with first.client() as client, open_stream(client, "/api/v1/live/me", token) as response:
        reader = SseReader(response)
        assert reader.next().event == "ready"
        assert reader.next_comment().startswith("ping")


def test_two_server_processes_both_deliver_an_event_committed_once(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, second = servers
    # The token comes from the second process; it opens a stream on the first: both
    # processes share the secret and the database, nothing else.
    token_a = token_for(second, place.staff, "venue", place.venue.id)
    token_b = token_for(second, place.owner, "venue", place.venue.id)
    with (
        first.client() as client_a,
        second.client() as client_b,
        open_stream(client_a, _venue_path(place.venue), token_a) as on_first,
        open_stream(client_b, _venue_path(place.venue), token_b) as on_second,
    ):
        reader_a, reader_b = SseReader(on_first), SseReader(on_second)
        assert reader_a.next().event == reader_b.next().event == "ready"
        event_id = record(live_engine, venue_id=place.venue.id, data={"status": "ready"})
        assert reader_a.next().id == str(event_id)
        assert reader_b.next().id == str(event_id)


def test_a_rolled_back_event_is_never_sent(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    token = token_for(first, place.staff, "venue", place.venue.id)
    with first.client() as client, open_stream(client, _venue_path(place.venue), token) as response:
        reader = SseReader(response)
        assert reader.next().event == "ready"
        with Session(live_engine) as session:
            live_crud.record(session, kind=LiveEventKind.ORDER, venue_id=place.venue.id, data={})
            session.rollback()
        kept = record(live_engine, venue_id=place.venue.id)
        assert reader.next().id == str(kept)


def test_errors_answer_in_json_before_the_stream(
    servers: tuple[LiveServer, LiveServer], place: Place
) -> None:
    first, _ = servers
    token = token_for(first, place.staff, "venue", place.venue.id)
    with first.client() as client:
        response = client.get(_venue_path(place.other_venue), params={"token": token})
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_stream_token"
        sibling_token = token_for(first, place.qsr_staff, "venue", place.qsr.id)
        response = client.get(_venue_path(place.sibling_qsr), params={"token": sibling_token})
        assert response.status_code == 401


def test_an_event_committed_after_a_later_one_is_still_sent(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    """Ids are taken at insert, so a slow transaction can commit an id below one
    already sent; its NOTIFY names it, and the listener reads it then."""
    first, _ = servers
    token = token_for(first, place.staff, "venue", place.venue.id)
    with first.client() as client, open_stream(client, _venue_path(place.venue), token) as response:
        reader = SseReader(response)
        assert reader.next().event == "ready"
        with Session(live_engine) as slow:
            early = live_crud.record(
                slow, kind=LiveEventKind.ORDER, venue_id=place.venue.id, data={"n": "slow"}
            )
            early_id = early.id
            assert early_id is not None
            later = record(live_engine, venue_id=place.venue.id, data={"n": "fast"})
            assert early_id < later
            assert reader.next().id == str(later)
            slow.commit()
        assert reader.next().id == str(early_id)


def test_the_listener_reconnects_and_reads_what_it_missed(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine, live_database: str
) -> None:
    first, _ = servers
    token = token_for(first, place.consumer, "me", None)
    with first.client() as client, open_stream(client, "/api/v1/live/me", token) as response:
        reader = SseReader(response)
        assert reader.next().event == "ready"
        with Session(live_engine) as session:
            # Both servers' listeners: the streams stay open while they reconnect.
            ended = session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": LISTENER_NAME},
            ).all()
            assert len(ended) == 2
        missed = record(live_engine, venue_id=place.venue.id, user_id=place.consumer.id)
        assert reader.next().id == str(missed)


def test_an_order_moved_through_one_process_reaches_streams_on_the_other(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    """The orders code's own event: staff move an order through the second process;
    the board and the consumer's own stream on the first get it."""
    first, second = servers
    with Session(live_engine, expire_on_commit=False) as session:
        order = Order(
            venue_id=place.venue.id,
            kind=OrderKind.PICKUP,
            status=OrderStatus.PLACED,
            placed_by_id=place.consumer.id,
            number=7,
            currency="INR",
            placed_at=utcnow(),
        )
        session.add(order)
        session.commit()
    board_token = token_for(first, place.staff, "venue", place.venue.id)
    me_token = token_for(first, place.consumer, "me", None)
    with (
        first.client() as client,
        open_stream(client, _venue_path(place.venue), board_token) as board,
        open_stream(client, "/api/v1/live/me", me_token) as mine,
    ):
        board_reader, my_reader = SseReader(board), SseReader(mine)
        assert board_reader.next().event == my_reader.next().event == "ready"
        with second.client() as staff_client:
            moved = staff_client.post(
                f"/api/v1/venues/{place.venue.id}/orders/{order.id}/status",
                json={"to": "accepted"},
                headers={**auth_headers(place.staff), "Idempotency-Key": str(uuid.uuid4())},
            )
        assert moved.status_code == 200, moved.text
        for reader in (board_reader, my_reader):
            event = reader.next()
            assert event.event == "order"
            body = event.json()
            assert body["order_id"] == str(order.id)
            assert body["data"]["status"] == "accepted"


def test_a_stream_ends_once_its_user_may_no_longer_follow_it(
    servers: tuple[LiveServer, LiveServer], place: Place, live_engine: Engine
) -> None:
    first, _ = servers
    with Session(live_engine, expire_on_commit=False) as session:
        leaving, signing_out = make_user(session), make_user(session)
        for user in (leaving, signing_out):
            add_member(session, venue=place.venue, user=user, role=VenueRole.STAFF)
        session.commit()
    tokens = [token_for(first, u, "venue", place.venue.id) for u in (leaving, signing_out)]
    staying = token_for(first, place.staff, "venue", place.venue.id)
    with (
        first.client() as client,
        open_stream(client, _venue_path(place.venue), tokens[0]) as removed_stream,
        open_stream(client, _venue_path(place.venue), tokens[1]) as signed_out_stream,
        open_stream(client, _venue_path(place.venue), staying) as staying_stream,
    ):
        removed, signed_out, staff = (
            SseReader(removed_stream),
            SseReader(signed_out_stream),
            SseReader(staying_stream),
        )
        for reader in (removed, signed_out, staff):
            assert reader.next().event == "ready"
        with live_engine.begin() as conn:
            # The owner takes one off the team; the other signs out everywhere.
            conn.execute(
                text("DELETE FROM venue_membership WHERE venue_id = :v AND user_id = :u"),
                {"v": place.venue.id, "u": leaving.id},
            )
            conn.execute(
                text('UPDATE "user" SET sessions_revoked_at = :at WHERE id = :u'),
                {"at": utcnow(), "u": signing_out.id},
            )
        for reader in (removed, signed_out):
            end = reader.next(within=5)  # at the next re-check, before any other event
            assert (end.event, end.json()) == ("end", {"reason": "access_lost"})
            with pytest.raises(EOFError):
                reader.next()
        # The rest of the team keeps its board.
        own = record(live_engine, venue_id=place.venue.id, data={"n": "after"})
        assert staff.next().id == str(own)
