"""The authorization matrix for every table- and event-scoped route.

Tables: staff and above read tables and their codes (they work the floor and may
reprint a lost card); only managers and owners change, rotate or delete them or
read scan counts. Events: staff read the venue's events (they check guests in);
managers and owners create, change and cancel. Outsiders get 404, anonymous
callers 401. Resolving a code and the public event listings are open to all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import table_token
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories.places import make_event, make_table

READ = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MANAGE = expect(owner=200, manager=200, staff=403, other_owner=404, consumer=404, anonymous=401)
CREATE = expect(owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401)
DELETE = expect(owner=204, manager=204, staff=403, other_owner=404, consumer=404, anonymous=401)
PUBLIC = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200)


def _table(w: World) -> None:
    table = make_table(w.session, venue=w.venue, label="M1")
    w.ids["table_id"] = table.id
    w.ids["token"] = table_token.encode_table_token(
        venue_id=w.venue.id, table_id=table.id, version=table.token_version
    )


def _event(w: World) -> None:
    w.ids["event_id"] = make_event(w.session, venue=w.venue).id


def _event_body(_: World) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=2)
    return {
        "title": "Matrix night",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=5)).isoformat(),
    }


T = "/api/v1/venues/{venue_id}/tables"
E = "/api/v1/venues/{venue_id}/events"

CASES = [
    # Tables
    Case("GET", T, READ),
    Case("POST", T, CREATE, body={"label": "New 1", "seats": 4}),
    Case("GET", T + "/qr-sheet", READ, setup=_table),
    Case("POST", T + "/sheet-link", READ, setup=_table),
    Case("GET", T + "/scans", MANAGE, setup=_table),
    Case("GET", T + "/{table_id}", READ, setup=_table),
    Case("PATCH", T + "/{table_id}", MANAGE, body={"seats": 6}, setup=_table),
    Case("DELETE", T + "/{table_id}", DELETE, setup=_table),
    Case("POST", T + "/{table_id}/rotate-token", MANAGE, setup=_table),
    Case("GET", T + "/{table_id}/qr.png", READ, setup=_table),
    Case("GET", T + "/{table_id}/qr.svg", READ, setup=_table),
    Case("GET", "/api/v1/tables/resolve/{token}", PUBLIC, setup=_table),
    Case("GET", "/q/{token}", PUBLIC, setup=_table),
    # Events
    Case("GET", E, READ),
    Case("POST", E, CREATE, body=_event_body),
    Case("GET", E + "/{event_id}", READ, setup=_event),
    Case("PATCH", E + "/{event_id}", MANAGE, body={"title": "Renamed"}, setup=_event),
    Case("POST", E + "/{event_id}/cancel", MANAGE, setup=_event),
    Case("GET", "/api/v1/events/{event_id}", PUBLIC, setup=_event),
    Case("GET", "/api/v1/events?venue_id={venue_id}", PUBLIC, setup=_event),
    Case("GET", "/api/v1/events/nearby?lat=12.97&lng=77.59", PUBLIC, setup=_event),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def _other_venue_table(w: World) -> None:
    """A table and an event of the other owner's venue, addressed through this venue."""
    w.ids["table_id"] = make_table(w.session, venue=w.other_venue).id
    w.ids["event_id"] = make_event(w.session, venue=w.other_venue).id


NOT_HERE = expect(owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401)
NOT_HERE_MANAGE = expect(
    owner=404, manager=404, staff=403, other_owner=404, consumer=404, anonymous=401
)

CROSS_VENUE = [
    Case("GET", T + "/{table_id}", NOT_HERE, setup=_other_venue_table),
    Case("GET", T + "/{table_id}/qr.png", NOT_HERE, setup=_other_venue_table),
    Case("PATCH", T + "/{table_id}", NOT_HERE_MANAGE, body={"seats": 2}, setup=_other_venue_table),
    Case("DELETE", T + "/{table_id}", NOT_HERE_MANAGE, setup=_other_venue_table),
    Case("GET", E + "/{event_id}", NOT_HERE, setup=_other_venue_table),
    Case("POST", E + "/{event_id}/cancel", NOT_HERE_MANAGE, setup=_other_venue_table),
]


@pytest.mark.parametrize("case", CROSS_VENUE, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_objects_of_another_venue(
    world: World, client: TestClient, case: Case, actor: Actor
) -> None:
    check(client, world, case, actor)
