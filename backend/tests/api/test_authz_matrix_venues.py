"""Authorization matrix: every venue-, staff- and menu-scoped route, as every actor.

The world's venue is a verified, active food court with an owner, a manager and
a staff member; `other_owner` owns another venue; `consumer` signs in with a
phone; `admin` is a platform admin who belongs to no venue. Later issues add their
routes in their own modules the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import VenueKind, VenueRole
from app.models.base import utcnow
from app.models.venue import VenueInvite
from tests.api import test_authz_matrix_menu_options as menu_options_matrix
from tests.authz import Actor, Case, World, build_world, check, expect
from tests.factories import add_member, auth_headers, make_venue
from tests.factories.menus import make_category, make_item, make_menu
from tests.utils import assert_error


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, kind=VenueKind.FOOD_COURT)


def with_menu(world: World) -> None:
    menu = make_menu(world.session, venue=world.venue, name="Food")
    category = make_category(world.session, menu=menu, name="Mains")
    item = make_item(world.session, category=category, name="Thali")
    world.ids.update(menu_id=menu.id, category_id=category.id, item_id=item.id)


def with_staff_id(world: World) -> None:
    staff = world.users[Actor.STAFF]
    assert staff is not None
    world.ids["staff_id"] = staff.id


def with_invite(world: World) -> None:
    invite = VenueInvite(
        venue_id=world.venue.id,
        email="invited@example.com",
        role=VenueRole.STAFF,
        token_hash=uuid.uuid4().hex,
        expires_at=utcnow().replace(year=utcnow().year + 1),
    )
    world.session.add(invite)
    world.session.flush()
    world.ids["invite_id"] = invite.id


def _qsr(world: World, *, attached: bool) -> None:
    owner, manager, staff = (world.users[a] for a in (Actor.OWNER, Actor.MANAGER, Actor.STAFF))
    assert owner is not None
    assert manager is not None
    assert staff is not None
    qsr = make_venue(
        world.session,
        owner=owner,
        kind=VenueKind.QSR,
        food_court_id=world.venue.id if attached else None,
    )
    add_member(world.session, venue=qsr, user=manager, role=VenueRole.MANAGER)
    add_member(world.session, venue=qsr, user=staff, role=VenueRole.STAFF)
    world.ids["qsr_id"] = qsr.id


def with_qsr(world: World) -> None:
    _qsr(world, attached=False)


def with_attached_qsr(world: World) -> None:
    _qsr(world, attached=True)


def reorder_body(key: str) -> Any:
    return lambda world: {"ids": [str(world.ids[key])]}


PUBLIC = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=200)
MEMBERS = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MANAGERS = expect(owner=200, manager=200, staff=403, other_owner=404, consumer=404, anonymous=401)
MANAGERS_CREATE = expect(
    owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401
)
MANAGERS_DELETE = expect(
    owner=204, manager=204, staff=403, other_owner=404, consumer=404, anonymous=401
)
OWNERS = expect(owner=200, manager=403, staff=403, other_owner=404, consumer=404, anonymous=401)
OWNERS_CREATE = expect(
    owner=201, manager=403, staff=403, other_owner=404, consumer=404, anonymous=401
)
OWNERS_DELETE = expect(
    owner=204, manager=403, staff=403, other_owner=404, consumer=404, anonymous=401
)
V = "/api/v1/venues/{venue_id}"

CASES = [
    # Venues
    Case(
        "POST",
        "/api/v1/venues",
        expect(owner=201, manager=201, staff=201, other_owner=201, consumer=403, anonymous=401),
        body={"kind": "qsr", "name": "New", "address": "1 Road", "latitude": 12, "longitude": 77},
    ),
    Case("GET", "/api/v1/venues/mine", MEMBERS | {Actor.OTHER_OWNER: 200, Actor.CONSUMER: 200}),
    Case("GET", V, PUBLIC),
    Case("PATCH", V, MANAGERS, body={"description": "Now with a terrace"}),
    Case(
        "DELETE",
        V,  # verified venues are deactivated, not deleted
        expect(owner=409, manager=403, staff=403, other_owner=404, consumer=404, anonymous=401),
    ),
    Case(
        "POST",
        V + "/verify",
        expect(
            owner=403,
            manager=403,
            staff=403,
            other_owner=403,
            consumer=403,
            anonymous=401,
            admin=200,  # only platform admins verify venues
        ),
    ),
    Case("POST", V + "/deactivate", OWNERS),
    Case("POST", V + "/activate", OWNERS),
    Case("GET", V + "/qsrs", PUBLIC),
    Case("PUT", V + "/qsrs/{qsr_id}", MANAGERS, setup=with_qsr),
    Case("DELETE", V + "/qsrs/{qsr_id}", MANAGERS_DELETE, setup=with_attached_qsr),
    # Staff
    Case("GET", V + "/members", MANAGERS),
    Case("PATCH", V + "/members/{staff_id}", OWNERS, body={"role": "manager"}, setup=with_staff_id),
    Case("DELETE", V + "/members/{staff_id}", OWNERS_DELETE, setup=with_staff_id),
    Case(
        "POST",
        V + "/leave",  # the only owner cannot leave; an admin is not a member
        expect(
            owner=409,
            manager=204,
            staff=204,
            other_owner=404,
            consumer=404,
            anonymous=401,
            admin=404,
        ),
    ),
    Case("POST", V + "/invites", OWNERS_CREATE, body={"email": "new@example.com", "role": "staff"}),
    Case("GET", V + "/invites", OWNERS),
    Case("DELETE", V + "/invites/{invite_id}", OWNERS_DELETE, setup=with_invite),
    # Menus
    Case("GET", V + "/menu", PUBLIC, setup=with_menu),
    Case(
        "POST",
        V + "/menus/import",
        MANAGERS_CREATE,
        body={"name": "Drinks", "categories": [{"name": "Tea", "items": []}]},
    ),
    Case("GET", V + "/menus", MEMBERS, setup=with_menu),
    Case("POST", V + "/menus", MANAGERS_CREATE, body={"name": "Desserts"}),
    Case("PUT", V + "/menus/order", MANAGERS, body=reorder_body("menu_id"), setup=with_menu),
    Case("PATCH", V + "/menus/{menu_id}", MANAGERS, body={"name": "Food!"}, setup=with_menu),
    Case("DELETE", V + "/menus/{menu_id}?force=true", MANAGERS_DELETE, setup=with_menu),
    Case("GET", V + "/menus/{menu_id}/categories", MEMBERS, setup=with_menu),
    Case(
        "POST",
        V + "/menus/{menu_id}/categories",
        MANAGERS_CREATE,
        body={"name": "Breads"},
        setup=with_menu,
    ),
    Case(
        "PUT",
        V + "/menus/{menu_id}/categories/order",
        MANAGERS,
        body=reorder_body("category_id"),
        setup=with_menu,
    ),
    Case(
        "PATCH",
        V + "/categories/{category_id}",
        MANAGERS,
        body={"name": "Big plates"},
        setup=with_menu,
    ),
    Case("DELETE", V + "/categories/{category_id}?force=true", MANAGERS_DELETE, setup=with_menu),
    Case("GET", V + "/categories/{category_id}/items", MEMBERS, setup=with_menu),
    Case(
        "POST",
        V + "/categories/{category_id}/items",
        MANAGERS_CREATE,
        body={"name": "Naan", "price_minor": 6000},
        setup=with_menu,
    ),
    Case(
        "PUT",
        V + "/categories/{category_id}/items/order",
        MANAGERS,
        body=reorder_body("item_id"),
        setup=with_menu,
    ),
    Case("PATCH", V + "/items/{item_id}", MANAGERS, body={"price_minor": 19_900}, setup=with_menu),
    Case("DELETE", V + "/items/{item_id}", MANAGERS_DELETE, setup=with_menu),
    Case(
        "PUT",
        V + "/items/{item_id}/availability",
        MEMBERS,
        body={"is_available": False},
        setup=with_menu,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def test_every_venue_route_is_in_the_matrix(client: TestClient) -> None:
    """A new venue-, staff- or menu-scoped route must be added to CASES (the menu
    options' routes are in their own module's)."""
    covered = {(c.method, c.path.split("?")[0]) for c in CASES + menu_options_matrix.CASES}
    not_scoped = {("GET", "/api/v1/venues")}  # the public search
    spec = client.get("/api/v1/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/api/v1/venues")
        and set(operation.get("tags", [])) & {"venues", "staff", "menus"}
        and (method.upper(), path.replace("{user_id}", "{staff_id}")) not in covered | not_scoped
    ]
    assert missing == []


def test_objects_of_another_venue_are_404(client: TestClient, world: World) -> None:
    """An owner cannot reach another venue's menus through their own venue's path."""
    foreign_menu = make_menu(world.session, venue=world.other_venue)
    foreign_category = make_category(world.session, menu=foreign_menu)
    foreign_item = make_item(world.session, category=foreign_category)
    owner = world.users[Actor.OWNER]
    assert owner is not None
    h = auth_headers(owner)
    v = f"/api/v1/venues/{world.venue.id}"
    for method, path, body in [
        ("PATCH", f"{v}/menus/{foreign_menu.id}", {"name": "Mine now"}),
        ("DELETE", f"{v}/menus/{foreign_menu.id}", None),
        ("POST", f"{v}/menus/{foreign_menu.id}/categories", {"name": "X"}),
        ("PATCH", f"{v}/categories/{foreign_category.id}", {"name": "X"}),
        ("DELETE", f"{v}/categories/{foreign_category.id}", None),
        ("POST", f"{v}/categories/{foreign_category.id}/items", {"name": "X", "price_minor": 1}),
        ("PATCH", f"{v}/items/{foreign_item.id}", {"price_minor": 1}),
        ("DELETE", f"{v}/items/{foreign_item.id}", None),
        ("PUT", f"{v}/items/{foreign_item.id}/availability", {"is_available": False}),
        ("DELETE", f"{v}/invites/{uuid.uuid4()}", None),
    ]:
        assert_error(client.request(method, path, json=body, headers=h), 404, "not_found")
    # And reordering cannot pull another venue's rows into this venue's list.
    assert_error(
        client.put(f"{v}/menus/order", json={"ids": [str(foreign_menu.id)]}, headers=h), 409
    )
