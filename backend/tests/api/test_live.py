"""Stream tokens and the checks made when a stream opens (in-process: every refusal
answers in JSON before any stream starts). Streams that run are tested on real
servers in test_live_streams.py; here a stream ends after LIVE_STREAM_MAX_SECONDS,
shortened, so the test client can read it whole."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import settings
from app.core.live_token import Stream, StreamKind, issue
from app.core.security import create_access_token
from app.crud import live as live_crud
from app.models import User, Venue, VenueKind, VenueRole
from app.models.order import LiveEventKind
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.factories.live import make_table_session
from tests.utils import assert_error

TOKENS = "/api/v1/live/tokens"


def token(client: TestClient, user: User, stream: str, object_id: Any = None) -> Any:
    body: dict[str, Any] = {"stream": stream}
    if object_id is not None:
        body["id"] = str(object_id)
    return client.post(TOKENS, json=body, headers=auth_headers(user))


def minted(user: User, kind: StreamKind, object_id: uuid.UUID | None = None) -> str:
    """A valid token made without the route's checks (to test those made at opening)."""
    return issue(user_id=user.id, stream=Stream(kind, object_id)).token


@pytest.fixture
def short_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "LIVE_STREAM_MAX_SECONDS", 0.2)


def parse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


# --- tokens ----------------------------------------------------------------------------


def test_staff_get_a_token_for_their_venues_board(client: TestClient, session: Session) -> None:
    staff = make_user(session)
    venue = make_venue(session, owner=make_user(session))
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    response = token(client, staff, "venue", venue.id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"] == f"/api/v1/live/venues/{venue.id}?token={body['token']}"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=61)


def test_no_token_for_a_venue_one_does_not_staff(client: TestClient, session: Session) -> None:
    venue = make_venue(session, owner=make_user(session))
    assert_error(token(client, make_user(session), "venue", venue.id), 404, "not_found")
    assert_error(token(client, make_consumer(session), "venue", venue.id), 404, "not_found")
    assert_error(token(client, make_user(session), "venue", uuid.uuid4()), 404, "not_found")


def test_table_session_tokens_are_for_its_members(client: TestClient, session: Session) -> None:
    member, outsider = make_consumer(session), make_consumer(session)
    table_session = make_table_session(session, venue=make_venue(session), members=[member])
    assert token(client, member, "table_session", table_session.id).status_code == 200
    assert_error(token(client, outsider, "table_session", table_session.id), 404)
    assert_error(token(client, member, "table_session", uuid.uuid4()), 404)


def test_a_token_request_names_its_object_as_its_kind_needs(
    client: TestClient, session: Session
) -> None:
    user = make_consumer(session)
    assert token(client, user, "me").status_code == 200
    assert_error(token(client, user, "me", uuid.uuid4()), 422)
    assert_error(token(client, user, "venue"), 422)
    assert_error(token(client, user, "table_session"), 422)
    assert_error(token(client, user, "everything"), 422)
    assert_error(client.post(TOKENS, json={"stream": "me"}), 401)


# --- opening a stream --------------------------------------------------------------------


def test_a_bad_token_is_refused_before_the_stream(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue, other = make_venue(session, owner=owner), make_venue(session, owner=owner)
    path = f"/api/v1/live/venues/{venue.id}"
    expired = issue(
        user_id=owner.id,
        stream=Stream(StreamKind.VENUE, venue.id),
        now=datetime.now(UTC) - timedelta(minutes=5),
    ).token
    for bad in [
        "not-a-token",
        expired,
        minted(owner, StreamKind.VENUE, other.id),  # another venue's
        minted(owner, StreamKind.ME),  # another kind of stream
        create_access_token(owner.id).token,  # not a stream token
    ]:
        assert_error(client.get(path, params={"token": bad}), 401, "invalid_stream_token")
    assert_error(client.get(path), 422)


def test_the_relation_is_checked_again_when_the_stream_opens(
    client: TestClient, session: Session
) -> None:
    staff = make_user(session)
    venue = make_venue(session, owner=make_user(session))
    membership = add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    issued = token(client, staff, "venue", venue.id).json()["token"]
    session.delete(membership)
    session.flush()
    response = client.get(f"/api/v1/live/venues/{venue.id}", params={"token": issued})
    assert_error(response, 404, "not_found")


def test_a_stream_token_of_a_deactivated_account_is_refused(
    client: TestClient, session: Session
) -> None:
    user = make_consumer(session)
    issued = token(client, user, "me").json()["token"]
    user.is_active = False
    session.add(user)
    session.flush()
    assert_error(client.get("/api/v1/live/me", params={"token": issued}), 401)


def test_a_consumer_cannot_follow_another_session(client: TestClient, session: Session) -> None:
    venue = make_venue(session)
    me, other = make_consumer(session), make_consumer(session)
    make_table_session(session, venue=venue, members=[me])
    theirs = make_table_session(session, venue=venue, members=[other])
    response = client.get(
        f"/api/v1/live/table-sessions/{theirs.id}",
        params={"token": minted(me, StreamKind.TABLE_SESSION, theirs.id)},
    )
    assert_error(response, 404, "not_found")


def test_staff_of_one_qsr_cannot_follow_a_sibling_qsr(client: TestClient, session: Session) -> None:
    court = make_venue(session, owner=make_user(session), kind=VenueKind.FOOD_COURT)
    qsr = make_venue(session, kind=VenueKind.QSR, food_court_id=court.id)
    sibling = make_venue(session, kind=VenueKind.QSR, food_court_id=court.id)
    staff = make_user(session)
    add_member(session, venue=qsr, user=staff, role=VenueRole.STAFF)
    assert_error(token(client, staff, "venue", sibling.id), 404)
    assert_error(token(client, staff, "venue", court.id), 404)
    response = client.get(
        f"/api/v1/live/venues/{sibling.id}",
        params={"token": minted(staff, StreamKind.VENUE, sibling.id)},
    )
    assert_error(response, 404, "not_found")


# --- what a stream sends (cut short) -------------------------------------------------------


def _board(session: Session) -> tuple[User, Venue]:
    staff = make_user(session)
    venue = make_venue(session, owner=make_user(session))
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    return staff, venue


def test_a_new_stream_says_where_it_starts(
    client: TestClient, session: Session, short_streams: None
) -> None:
    staff, venue = _board(session)
    newest = live_crud.record(session, kind=LiveEventKind.ORDER, venue_id=venue.id, data={})
    response = client.get(
        f"/api/v1/live/venues/{venue.id}",
        params={"token": minted(staff, StreamKind.VENUE, venue.id)},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    [ready] = parse(response.text)
    assert (ready["event"], ready["id"]) == ("ready", str(newest.id))


def test_a_resumed_stream_replays_only_its_own_events(
    client: TestClient, session: Session, short_streams: None
) -> None:
    staff, venue = _board(session)
    other = make_venue(session)

    def record(venue_id: uuid.UUID, **data: Any) -> int:
        event = live_crud.record(session, kind=LiveEventKind.ORDER, venue_id=venue_id, data=data)
        assert event.id is not None
        return event.id

    seen = record(venue.id, n=0)
    first = record(venue.id, n=1)
    record(other.id, n=2)
    second = record(venue.id, n=3)
    response = client.get(
        f"/api/v1/live/venues/{venue.id}",
        params={"token": minted(staff, StreamKind.VENUE, venue.id), "last_event_id": 0},
        headers={"Last-Event-ID": str(seen)},  # the header wins over the query
    )
    events = parse(response.text)
    assert [(e["event"], e["id"]) for e in events] == [
        ("order", str(first)),
        ("order", str(second)),
    ]
    assert '"data":{"n":1}' in events[0]["data"]
    response = client.get(
        f"/api/v1/live/venues/{venue.id}",
        params={"token": minted(staff, StreamKind.VENUE, venue.id), "last_event_id": first},
    )
    assert [e["id"] for e in parse(response.text)] == [str(second)]
    # A header that is no event id of ours is ignored: the stream starts afresh.
    fresh = client.get(
        f"/api/v1/live/venues/{venue.id}",
        params={"token": minted(staff, StreamKind.VENUE, venue.id)},
        headers={"Last-Event-ID": "yesterday"},
    )
    assert [(e["event"], e["id"]) for e in parse(fresh.text)] == [("ready", str(second))]


def test_a_consumer_stream_replays_the_events_naming_them(
    client: TestClient, session: Session, short_streams: None
) -> None:
    me, other = make_consumer(session), make_consumer(session)
    venue = make_venue(session)
    live_crud.record(
        session, kind=LiveEventKind.ORDER, venue_id=venue.id, user_id=other.id, data={}
    )
    mine = live_crud.record(
        session, kind=LiveEventKind.ORDER, venue_id=venue.id, user_id=me.id, data={}
    )
    response = client.get(
        "/api/v1/live/me", params={"token": minted(me, StreamKind.ME), "last_event_id": 0}
    )
    assert [e["id"] for e in parse(response.text)] == [str(mine.id)]
