"""The authorization matrix for offerings and capacity pools.

Staff read an event's offerings and pools (they work the door); managers and owners
create, change, reorder, retire and delete them. Outsiders get 404, anonymous
callers 401. A public event's offerings are open to all.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.models import Event
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories.bookings import make_offering, make_pool
from tests.factories.places import make_event

READ = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MANAGE = expect(owner=200, manager=200, staff=403, other_owner=404, consumer=404, anonymous=401)
CREATE = expect(owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401)
DELETE = expect(owner=204, manager=204, staff=403, other_owner=404, consumer=404, anonymous=401)
PUBLIC = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200)


def _event(w: World) -> None:
    event = make_event(w.session, venue=w.venue)
    pool = make_pool(w.session, event=event, name="Guests")
    offering = make_offering(w.session, event=event, pools=[pool])
    w.ids.update(event_id=event.id, pool_id=pool.id, offering_id=offering.id)


def _free_pool(w: World) -> None:
    """A pool no offering draws from (one that can be deleted)."""
    _event(w)
    w.ids["pool_id"] = make_pool(w.session, event=w.session.get_one(Event, w.ids["event_id"])).id


E = "/api/v1/venues/{venue_id}/events/{event_id}"
OFF = E + "/offerings"
POOL = E + "/pools"

CASES = [
    Case("GET", OFF, READ, setup=_event),
    Case(
        "POST", OFF, CREATE, body={"name": "Stag", "kind": "stag", "price_minor": 1}, setup=_event
    ),
    Case(
        "PUT",
        OFF + "/order",
        MANAGE,
        body=lambda w: {"ids": [str(w.ids["offering_id"])]},
        setup=_event,
    ),
    Case("GET", OFF + "/{offering_id}", READ, setup=_event),
    Case("PATCH", OFF + "/{offering_id}", MANAGE, body={"price_minor": 2}, setup=_event),
    Case("POST", OFF + "/{offering_id}/retire", MANAGE, setup=_event),
    Case("DELETE", OFF + "/{offering_id}", DELETE, setup=_event),
    Case("GET", POOL, READ, setup=_event),
    Case("POST", POOL, CREATE, body={"name": "Tables", "size": 12}, setup=_event),
    Case("GET", POOL + "/{pool_id}", READ, setup=_event),
    Case("PATCH", POOL + "/{pool_id}", MANAGE, body={"size": 400}, setup=_event),
    Case("DELETE", POOL + "/{pool_id}", DELETE, setup=_free_pool),
    Case("GET", "/api/v1/events/{event_id}/offerings", PUBLIC, setup=_event),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def _other_venue_event(w: World) -> None:
    """An event, pool and offering of the other owner's venue, addressed through this venue."""
    event = make_event(w.session, venue=w.other_venue)
    pool = make_pool(w.session, event=event)
    offering = make_offering(w.session, event=event, pools=[pool])
    w.ids.update(event_id=event.id, pool_id=pool.id, offering_id=offering.id)


def _other_event_objects(w: World) -> None:
    """This venue's event, with the pool and offering of another event of the venue."""
    _event(w)
    other = make_event(w.session, venue=w.venue)
    pool = make_pool(w.session, event=other)
    w.ids.update(pool_id=pool.id, offering_id=make_offering(w.session, event=other).id)


NOT_HERE = expect(owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401)
NOT_HERE_MANAGE = expect(
    owner=404, manager=404, staff=403, other_owner=404, consumer=404, anonymous=401
)

CROSS = [
    Case("GET", OFF, NOT_HERE, setup=_other_venue_event),
    Case("GET", POOL, NOT_HERE, setup=_other_venue_event),
    Case("POST", POOL, NOT_HERE_MANAGE, body={"name": "X", "size": 1}, setup=_other_venue_event),
    Case("GET", OFF + "/{offering_id}", NOT_HERE, setup=_other_venue_event),
    Case(
        "PATCH",
        OFF + "/{offering_id}",
        NOT_HERE_MANAGE,
        body={"name": "X"},
        setup=_other_venue_event,
    ),
    Case("DELETE", OFF + "/{offering_id}", NOT_HERE_MANAGE, setup=_other_venue_event),
    Case("GET", OFF + "/{offering_id}", NOT_HERE, setup=_other_event_objects),
    Case(
        "PATCH",
        OFF + "/{offering_id}",
        NOT_HERE_MANAGE,
        body={"name": "X"},
        setup=_other_event_objects,
    ),
    Case("POST", OFF + "/{offering_id}/retire", NOT_HERE_MANAGE, setup=_other_event_objects),
    Case("DELETE", OFF + "/{offering_id}", NOT_HERE_MANAGE, setup=_other_event_objects),
    Case("GET", POOL + "/{pool_id}", NOT_HERE, setup=_other_event_objects),
    Case(
        "PATCH", POOL + "/{pool_id}", NOT_HERE_MANAGE, body={"size": 1}, setup=_other_event_objects
    ),
    Case("DELETE", POOL + "/{pool_id}", NOT_HERE_MANAGE, setup=_other_event_objects),
]


@pytest.mark.parametrize("case", CROSS, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_objects_of_another_venue_or_event(
    world: World, client: TestClient, case: Case, actor: Actor
) -> None:
    check(client, world, case, actor)
