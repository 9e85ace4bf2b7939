"""The authorization matrix for tickets and the door.

A booking's tickets and their QR codes are its consumer's only: everyone else gets
404 (the venue's team and platform admins too: a code lets its holder in), anonymous
callers 401. The door (scans, attendance) is for the staff of the event's venue and
above (and platform admins); outsiders get 404, anonymous callers 401. The ticket
page `/t/{token}` opens for anyone holding the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import User
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories import auth_headers, make_consumer
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets, token_of

DOOR = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MINE = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
SOMEONE_ELSES = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401, admin=404
)
PUBLIC = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200)
NOT_HERE = expect(owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401)


def _tickets_of(w: World, consumer: User, *, other_venue: bool = False) -> None:
    venue = w.other_venue if other_venue else w.venue
    event = make_event(w.session, venue=venue, starts_in=-timedelta(hours=1))
    booking, [ticket] = make_tickets(w.session, event=event, consumer=consumer)
    w.ids.update(
        event_id=event.id, booking_id=booking.id, ticket_id=ticket.id, token=token_of(ticket)
    )


def _mine(w: World) -> None:
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    _tickets_of(w, consumer)


def _someone_elses(w: World) -> None:
    _tickets_of(w, make_consumer(w.session))


def _other_venues_event(w: World) -> None:
    """An event (and a ticket) of the other owner's venue, addressed through this venue."""
    _tickets_of(w, make_consumer(w.session), other_venue=True)


def _scans(w: World) -> dict[str, Any]:
    return {
        "scans": [
            {
                "token": w.ids["token"],
                "direction": "entry",
                "client_nonce": f"matrix-{datetime.now(UTC).timestamp()}",
                "scanned_at": datetime.now(UTC).isoformat(),
            }
        ]
    }


B = "/api/v1/bookings/{booking_id}/tickets"
TK = "/api/v1/tickets/{ticket_id}"
D = "/api/v1/venues/{venue_id}/events/{event_id}"

CASES = [
    # The booking's consumer
    Case("GET", B, MINE, setup=_mine),
    Case("GET", TK + "/qr.png", MINE, setup=_mine),
    Case("GET", TK + "/qr.svg", MINE, setup=_mine),
    # Another consumer's booking
    Case("GET", B, SOMEONE_ELSES, setup=_someone_elses),
    Case("GET", TK + "/qr.png", SOMEONE_ELSES, setup=_someone_elses),
    Case("GET", TK + "/qr.svg", SOMEONE_ELSES, setup=_someone_elses),
    # The door
    Case("POST", D + "/scans", DOOR, body=_scans, setup=_someone_elses),
    Case("GET", D + "/attendance", DOOR, setup=_someone_elses),
    # Another venue's event, through this venue
    Case("POST", D + "/scans", NOT_HERE, body=_scans, setup=_other_venues_event),
    Case("GET", D + "/attendance", NOT_HERE, setup=_other_venues_event),
    # The ticket page
    Case("GET", "/t/{token}", PUBLIC, setup=_someone_elses),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def test_the_other_venues_owner_cannot_scan_through_their_own_venue(
    world: World, client: TestClient
) -> None:
    """Their own venue's guard passes, but the event is not theirs: 404."""
    _someone_elses(world)
    owner = world.users[Actor.OTHER_OWNER]
    assert owner is not None
    url = f"/api/v1/venues/{world.other_venue.id}/events/{world.ids['event_id']}/scans"
    response = client.post(url, json=_scans(world), headers=auth_headers(owner))
    assert response.status_code == 404, response.text
