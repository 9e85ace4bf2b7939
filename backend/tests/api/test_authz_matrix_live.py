"""The authorization matrix for live streams, their tokens, and push devices.

A venue's board is for its staff and above (and platform admins); a table session's
stream for its members only (its venue's team follow it on the board); `me` and push
devices for any signed-in user, each their own. Streams take a stream token in the
query (an `EventSource` sends no headers): every actor with an account opens them
with a token of their own, made without the token route's checks, so the checks made
when the stream opens answer; anonymous callers have none (401). Streams here end
after LIVE_STREAM_MAX_SECONDS, shortened, so the test client can read them whole.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import settings
from app.core.live_token import Stream, StreamKind, issue
from app.crud import push_device as push_device_crud
from app.models.push import PushPlatform
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories.live import make_table_session

STAFFED = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
EVERYONE = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=401)
MEMBERS = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
MINE_204 = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=204, anonymous=401, admin=404
)
DEVICE = "fcm:matrix-device-token-0001"


def _session(w: World) -> None:
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    w.ids["session_id"] = make_table_session(w.session, venue=w.venue, members=[consumer]).id


def _device(w: World) -> None:
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    push_device_crud.register(w.session, user=consumer, token=DEVICE, platform=PushPlatform.IOS)


def _venue_token(w: World) -> dict[str, Any]:
    return {"stream": "venue", "id": str(w.venue.id)}


def _session_token(w: World) -> dict[str, Any]:
    return {"stream": "table_session", "id": str(w.ids["session_id"])}


CASES = [
    Case("POST", "/api/v1/live/tokens", STAFFED, body=_venue_token),
    Case("POST", "/api/v1/live/tokens", MEMBERS, body=_session_token, setup=_session),
    Case("POST", "/api/v1/live/tokens", EVERYONE, body={"stream": "me"}),
    Case("GET", "/api/v1/users/me/push-devices", EVERYONE),
    Case("PUT", f"/api/v1/users/me/push-devices/{DEVICE}", EVERYONE, body={"platform": "ios"}),
    Case("DELETE", f"/api/v1/users/me/push-devices/{DEVICE}", MINE_204, setup=_device),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


STREAMS = [
    ("/api/v1/live/venues/{venue_id}", StreamKind.VENUE, STAFFED),
    ("/api/v1/live/table-sessions/{session_id}", StreamKind.TABLE_SESSION, MEMBERS),
    ("/api/v1/live/me", StreamKind.ME, EVERYONE),
]


@pytest.mark.parametrize(("path", "kind", "expected"), STREAMS, ids=[s[0] for s in STREAMS])
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_stream_matrix(
    world: World,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    kind: StreamKind,
    expected: dict[Actor, int],
    actor: Actor,
) -> None:
    monkeypatch.setattr(settings, "LIVE_STREAM_MAX_SECONDS", 0.05)
    _session(world)
    object_id = {
        StreamKind.VENUE: world.venue.id,
        StreamKind.TABLE_SESSION: world.ids["session_id"],
        StreamKind.ME: None,
    }[kind]
    user = world.users[actor]
    params = {}
    if user is not None:
        params["token"] = issue(user_id=user.id, stream=Stream(kind, object_id)).token
    else:
        params["token"] = "anonymous"
    response = client.get(path.format(**world.ids), params=params)
    assert response.status_code == expected[actor], f"{path} as {actor}: {response.text}"
    if response.status_code == 200:
        assert response.headers["content-type"].startswith("text/event-stream")
