"""The authorization matrix: who calls a venue-scoped route, and what they must get.

Every venue-, staff-, menu-, table-, event- and poster-scoped route is called as
each `Actor` below; a test module lists, per route, the status each actor must
get. Use it like this:

    CASES = [
        Case("GET", "/api/v1/venues/{venue_id}/menus", expect(owner=200, manager=200,
             staff=200, other_owner=404, consumer=404, anonymous=401)),
    ]

    @pytest.mark.parametrize("case", CASES, ids=str)
    @pytest.mark.parametrize("actor", list(Actor), ids=str)
    def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
        check(client, world, case, actor)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User, Venue, VenueKind, VenueRole
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue


class Actor(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"
    OTHER_OWNER = "other_owner"
    CONSUMER = "consumer"
    ANONYMOUS = "anonymous"
    ADMIN = "admin"  # a platform admin, not a member of the venue


@dataclass
class World:
    """A venue with an owner, a manager and a staff member, plus outsiders.

    `ids` holds path parameters (`venue_id`, and whatever a module's `setup`
    adds: `menu_id`, `table_id`, ...).
    """

    session: Session
    venue: Venue
    other_venue: Venue
    users: dict[Actor, User | None]
    ids: dict[str, Any] = field(default_factory=dict)

    def headers(self, actor: Actor) -> dict[str, str]:
        user = self.users[actor]
        return auth_headers(user) if user is not None else {}


def build_world(session: Session, kind: VenueKind = VenueKind.NIGHTCLUB) -> World:
    owner = make_user(session, full_name="Owner")
    manager = make_user(session, full_name="Manager")
    staff = make_user(session, full_name="Staff")
    other_owner = make_user(session, full_name="Other owner")
    consumer = make_consumer(session)
    admin = make_user(session, full_name="Platform admin", is_superuser=True)
    venue = make_venue(session, owner=owner, kind=kind)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    other_venue = make_venue(session, owner=other_owner, kind=kind)
    return World(
        session=session,
        venue=venue,
        other_venue=other_venue,
        users={
            Actor.OWNER: owner,
            Actor.MANAGER: manager,
            Actor.STAFF: staff,
            Actor.OTHER_OWNER: other_owner,
            Actor.CONSUMER: consumer,
            Actor.ANONYMOUS: None,
            Actor.ADMIN: admin,
        },
        ids={"venue_id": venue.id},
    )


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def expect(
    *,
    owner: int,
    manager: int,
    staff: int,
    other_owner: int,
    consumer: int,
    anonymous: int,
    admin: int | None = None,
) -> dict[Actor, int]:
    """What each actor must get; a platform admin passes every venue guard, so by
    default gets what the owner gets."""
    return {
        Actor.OWNER: owner,
        Actor.MANAGER: manager,
        Actor.STAFF: staff,
        Actor.OTHER_OWNER: other_owner,
        Actor.CONSUMER: consumer,
        Actor.ANONYMOUS: anonymous,
        Actor.ADMIN: owner if admin is None else admin,
    }


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[Actor, int]
    # Request body, or a function of the world that builds it.
    body: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    # Prepares what the route needs (adds ids to world.ids) before each call.
    setup: Callable[[World], None] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def check(client: TestClient, world: World, case: Case, actor: Actor) -> None:
    if case.setup is not None:
        case.setup(world)
    body = case.body(world) if callable(case.body) else case.body
    url = case.path.format(**world.ids)
    # The suite's client sends a fresh Idempotency-Key with every write (money-moving
    # routes need one), so the matrix sees each route's own answer, never a replay.
    response = client.request(case.method, url, json=body, headers=world.headers(actor))
    expected = case.expected[actor]
    assert response.status_code == expected, (
        f"{case} as {actor}: expected {expected}, got {response.status_code}: {response.text}"
    )
