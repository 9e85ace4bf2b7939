"""The authorization matrix for cover credits and club visits.

A consumer's credits and visits are their own: each caller lists only their own
(so everyone signed in gets 200, with their own rows), and a credit of someone else
is 404 for everyone but its holder (the venue's team and platform admins too);
anonymous callers get 401. A venue's nights are for its staff and above, and
platform admins; the other venue's owner and consumers get 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import User
from app.models.booking import Offering
from app.models.group import CoverCredit
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories import auth_headers, make_consumer
from tests.factories.places import make_event
from tests.factories.tickets import make_tickets
from tests.factories.visits import ClubNight, enter

VENUE = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
OWN_LIST = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=401)
MINE = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
SOMEONE_ELSES = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401, admin=404
)


def _credit_of(w: World, holder: User) -> None:
    """A checked-in pass with cover credit at the world's venue."""
    staff = w.users[Actor.STAFF]
    owner, manager = w.users[Actor.OWNER], w.users[Actor.MANAGER]
    assert staff is not None
    assert owner is not None
    assert manager is not None
    event = make_event(w.session, venue=w.venue, starts_in=-timedelta(hours=1))
    _, [ticket] = make_tickets(
        w.session, event=event, consumer=holder, guests_per_pass=2, cover_credit_minor=50_000
    )
    offering = w.session.get(Offering, ticket.offering_id)
    assert offering is not None
    enter(w.session, ClubNight(w.venue, owner, manager, staff, event, offering), ticket)
    credit = w.session.exec(select(CoverCredit).where(CoverCredit.ticket_id == ticket.id)).one()
    w.ids.update(credit_id=credit.id, event_id=event.id)


def _mine(w: World) -> None:
    consumer = w.users[Actor.CONSUMER]
    assert consumer is not None
    _credit_of(w, consumer)


def _someone_elses(w: World) -> None:
    _credit_of(w, make_consumer(w.session))


ME = "/api/v1/users/me"
V = "/api/v1/venues/{venue_id}/visits"

CASES = [
    Case("GET", ME + "/cover-credits", OWN_LIST, setup=_mine),
    Case("GET", ME + "/cover-credits/{credit_id}", MINE, setup=_mine),
    Case("GET", ME + "/cover-credits/{credit_id}", SOMEONE_ELSES, setup=_someone_elses),
    Case("GET", ME + "/visits", OWN_LIST, setup=_mine),
    Case("GET", V, VENUE, setup=_someone_elses),
    Case("GET", V + "/nights", VENUE, setup=_someone_elses),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


@pytest.mark.parametrize("path", ["/cover-credits", "/visits"])
def test_own_lists_hold_only_the_callers_rows(world: World, client: TestClient, path: str) -> None:
    """Someone else's credit and visit show in nobody else's list."""
    _someone_elses(world)
    for actor in Actor:
        user = world.users[actor]
        if user is None:
            continue
        response = client.get(ME + path, headers=auth_headers(user))
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], actor
    _mine(world)
    consumer = world.users[Actor.CONSUMER]
    assert consumer is not None
    response = client.get(ME + path, headers=auth_headers(consumer))
    assert len(response.json()["items"]) == 1


def test_the_other_venues_owner_gets_404_through_their_own_venue_too(
    world: World, client: TestClient
) -> None:
    """Their own venue has no visits of this night: nothing of this venue leaks."""
    _someone_elses(world)
    owner = world.users[Actor.OTHER_OWNER]
    assert owner is not None
    response = client.get(
        f"/api/v1/venues/{world.other_venue.id}/visits/nights", headers=auth_headers(owner)
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
