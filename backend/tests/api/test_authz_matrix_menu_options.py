"""Authorization matrix: tax classes, item options (variants, add-on groups, add-ons)
and pickup points, as every actor.

The world's venue is a verified, active QSR with an owner, a manager and a staff
member; `other_owner` owns another venue; `consumer` signs in with a phone; `admin`
is a platform admin who belongs to no venue. Staff read and toggle sold-out;
managers and owners write; anyone sees the active pickup points of a visible venue.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import VenueKind
from tests.authz import Actor, Case, World, build_world, check, expect
from tests.factories.menus import (
    make_add_on,
    make_add_on_group,
    make_category,
    make_item,
    make_menu,
    make_pickup_point,
    make_tax_class,
    make_variant,
)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, kind=VenueKind.QSR)


def _options(world: World, venue: Any) -> dict[str, Any]:
    item = make_item(
        world.session,
        category=make_category(world.session, menu=make_menu(world.session, venue=venue)),
    )
    group = make_add_on_group(world.session, item=item)
    return {
        "item_id": item.id,
        "variant_id": make_variant(world.session, item=item).id,
        "group_id": group.id,
        "add_on_id": make_add_on(world.session, group=group).id,
        "tax_class_id": make_tax_class(world.session, venue=venue).id,
        "pickup_point_id": make_pickup_point(world.session, venue=venue).id,
    }


def with_options(world: World) -> None:
    """An item with a variant and a group with an add-on, an unused tax class and a
    pickup point, of the world's venue."""
    world.ids.update(_options(world, world.venue))


def with_foreign_options(world: World) -> None:
    """The same, of the other owner's venue, addressed through the world's venue."""
    world.ids.update(_options(world, world.other_venue))


MEMBERS = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MANAGERS = expect(owner=200, manager=200, staff=403, other_owner=404, consumer=404, anonymous=401)
MANAGERS_CREATE = expect(
    owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401
)
MANAGERS_DELETE = expect(
    owner=204, manager=204, staff=403, other_owner=404, consumer=404, anonymous=401
)
PUBLIC = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200)
V = "/api/v1/venues/{venue_id}"
PP = V + "/pickup-points"

CASES = [
    # Tax classes
    Case("GET", V + "/tax-classes", MEMBERS, setup=with_options),
    Case(
        "POST",
        V + "/tax-classes",
        MANAGERS_CREATE,
        body={"name": "Alcohol VAT 20%", "rate_bps": 2000},
    ),
    Case(
        "PATCH",
        V + "/tax-classes/{tax_class_id}",
        MANAGERS,
        body={"rate_bps": 1800},
        setup=with_options,
    ),
    Case("DELETE", V + "/tax-classes/{tax_class_id}", MANAGERS_DELETE, setup=with_options),
    # Variants
    Case("GET", V + "/items/{item_id}/variants", MEMBERS, setup=with_options),
    Case(
        "POST",
        V + "/items/{item_id}/variants",
        MANAGERS_CREATE,
        body={"name": "Large", "price_minor": 19_900},
        setup=with_options,
    ),
    Case(
        "PATCH",
        V + "/variants/{variant_id}",
        MANAGERS,
        body={"price_minor": 9_900},
        setup=with_options,
    ),
    Case("DELETE", V + "/variants/{variant_id}", MANAGERS_DELETE, setup=with_options),
    Case(
        "PUT",
        V + "/variants/{variant_id}/availability",
        MEMBERS,
        body={"is_available": False},
        setup=with_options,
    ),
    # Add-on groups and add-ons
    Case("GET", V + "/items/{item_id}/add-on-groups", MEMBERS, setup=with_options),
    Case(
        "POST",
        V + "/items/{item_id}/add-on-groups",
        MANAGERS_CREATE,
        body={"name": "Toppings", "min_choices": 0, "max_choices": 3},
        setup=with_options,
    ),
    Case(
        "PATCH",
        V + "/add-on-groups/{group_id}",
        MANAGERS,
        body={"max_choices": 3},
        setup=with_options,
    ),
    Case("DELETE", V + "/add-on-groups/{group_id}", MANAGERS_DELETE, setup=with_options),
    Case(
        "POST",
        V + "/add-on-groups/{group_id}/add-ons",
        MANAGERS_CREATE,
        body={"name": "Olives", "price_minor": 3_000},
        setup=with_options,
    ),
    Case(
        "PATCH",
        V + "/add-ons/{add_on_id}",
        MANAGERS,
        body={"price_minor": 1_000},
        setup=with_options,
    ),
    Case("DELETE", V + "/add-ons/{add_on_id}", MANAGERS_DELETE, setup=with_options),
    Case(
        "PUT",
        V + "/add-ons/{add_on_id}/availability",
        MEMBERS,
        body={"is_available": False},
        setup=with_options,
    ),
    # Pickup points
    Case("GET", PP + "/active", PUBLIC, setup=with_options),
    Case("GET", PP, MEMBERS, setup=with_options),
    Case("POST", PP, MANAGERS_CREATE, body={"name": "Counter B"}),
    Case(
        "PATCH",
        PP + "/{pickup_point_id}",
        MANAGERS,
        body={"is_active": False},
        setup=with_options,
    ),
    Case("DELETE", PP + "/{pickup_point_id}", MANAGERS_DELETE, setup=with_options),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


NOT_HERE = expect(owner=404, manager=404, staff=404, other_owner=404, consumer=404, anonymous=401)
NOT_HERE_MANAGE = expect(
    owner=404, manager=404, staff=403, other_owner=404, consumer=404, anonymous=401
)

# Every route naming an object, with the object of the other owner's venue: the same
# answer as an object that does not exist (staff are stopped by their role first on
# the managers' routes).
CROSS_VENUE = [
    Case(
        c.method,
        c.path,
        NOT_HERE if c.expected[Actor.STAFF] != 403 else NOT_HERE_MANAGE,
        body=c.body,
        setup=with_foreign_options,
    )
    for c in CASES
    if "{" in c.path.removeprefix(V)
]


@pytest.mark.parametrize("case", CROSS_VENUE, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_objects_of_another_venue(
    world: World, client: TestClient, case: Case, actor: Actor
) -> None:
    check(client, world, case, actor)


def test_every_menu_option_route_is_in_the_matrix(client: TestClient) -> None:
    """A new tax class, option or pickup point route must be added to CASES."""
    covered = {(c.method, c.path) for c in CASES}
    spec = client.get("/api/v1/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if any(part in path for part in OPTION_PATHS) and (method.upper(), path) not in covered
    ]
    assert missing == []


OPTION_PATHS = ("/tax-classes", "/variants", "/add-on-groups", "/add-ons", "/pickup-points")
