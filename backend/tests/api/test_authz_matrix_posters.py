"""Authorization matrix for poster routes: managers and owners of the venue only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.authz import Actor, Case, World, build_world, check, expect
from tests.factories.posters import make_poster, poster_payload

VENUE_POSTERS = "/api/v1/venues/{venue_id}/posters"
ONE_POSTER = VENUE_POSTERS + "/{poster_id}"
# Cross-venue: the other venue's poster through this venue's path (this venue's owner and
# manager pass the venue guard), and this venue's poster through the other venue's path
# (the other venue's owner passes it). Either way the poster is not found.
OTHER_VENUES_POSTER = "/api/v1/venues/{venue_id}/posters/{other_poster_id}"
OURS_VIA_OTHER_VENUE = "/api/v1/venues/{other_venue_id}/posters/{poster_id}"


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def add_posters(world: World) -> None:
    world.ids["poster_id"] = make_poster(world.session, venue=world.venue).id
    world.ids["other_poster_id"] = make_poster(world.session, venue=world.other_venue).id
    world.ids["other_venue_id"] = world.other_venue.id


MANAGERS_ONLY = expect(
    owner=200, manager=200, staff=403, other_owner=404, consumer=404, anonymous=401
)
MANAGERS_CREATE = expect(
    owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401
)
MANAGERS_DELETE = expect(
    owner=204, manager=204, staff=403, other_owner=404, consumer=404, anonymous=401
)
NOBODY = expect(owner=404, manager=404, staff=403, other_owner=404, consumer=404, anonymous=401)
NOBODY_THERE = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401
)
# Every route that takes a poster id, with a body where it needs one.
POSTER_ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"priority": 5}),
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("GET", "/stats", None),
    ("DELETE", "", None),
]

CASES = [
    Case(
        "POST",
        VENUE_POSTERS,
        MANAGERS_CREATE,
        body=lambda w: poster_payload(venue_id=str(w.venue.id)),
    ),
    Case("GET", VENUE_POSTERS, MANAGERS_ONLY),
    Case("GET", ONE_POSTER, MANAGERS_ONLY, setup=add_posters),
    Case("PATCH", ONE_POSTER, MANAGERS_ONLY, body={"priority": 5}, setup=add_posters),
    Case("POST", ONE_POSTER + "/pause", MANAGERS_ONLY, setup=add_posters),
    Case("POST", ONE_POSTER + "/resume", MANAGERS_ONLY, setup=add_posters),
    Case("GET", ONE_POSTER + "/stats", MANAGERS_ONLY, setup=add_posters),
    Case("DELETE", ONE_POSTER, MANAGERS_DELETE, setup=add_posters),
    # Cross-venue, every poster route: nobody finds a poster through another venue's path.
    *(
        Case(method, OTHER_VENUES_POSTER + suffix, NOBODY, body=body, setup=add_posters)
        for method, suffix, body in POSTER_ROUTES
    ),
    *(
        Case(method, OURS_VIA_OTHER_VENUE + suffix, NOBODY_THERE, body=body, setup=add_posters)
        for method, suffix, body in POSTER_ROUTES
    ),
    # The feed is public.
    Case(
        "GET",
        "/api/v1/posters/feed?lat=12.9716&lng=77.5946",
        expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200),
        setup=add_posters,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)
