"""Menus: managers edit, staff toggle availability, the whole menu with ETags."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, col

from app.crud import menu as menu_crud
from app.models import User, Venue, VenueRole
from app.models.menu import MenuCategory, MenuItem
from app.schema.menu import VenueMenuRead
from app.services import menu_import, menu_read
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.menus import make_category, make_full_menu, make_item, make_menu
from tests.utils import QueryCounter, assert_error

URL = "/api/v1/venues"


@pytest.fixture
def team(session: Session) -> tuple[Venue, User, User, User]:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    return venue, owner, manager, staff


def beer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Toit Tintin Toit",
        "description": "Belgian wit",
        "price_minor": 45_000,
        "image_url": "https://cdn.example.com/tintin.jpg",
        "diet": "vegan",
        "is_alcoholic": True,
        "abv": 5.2,
        "ibu": 18,
        "ingredients": ["wheat", "coriander", "orange peel"],
        "tags": ["craft", "draught"],
    }
    body.update(overrides)
    return body


def test_manager_builds_a_menu(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, _staff = team
    h = auth_headers(manager)
    menu = client.post(f"{URL}/{venue.id}/menus", json={"name": "Drinks"}, headers=h)
    assert menu.status_code == 201, menu.text
    menu_id = menu.json()["id"]
    assert_error(client.post(f"{URL}/{venue.id}/menus", json={"name": "drinks"}, headers=h), 409)

    beer_cat = client.post(
        f"{URL}/{venue.id}/menus/{menu_id}/categories", json={"name": "Beer"}, headers=h
    ).json()
    craft = client.post(
        f"{URL}/{venue.id}/menus/{menu_id}/categories",
        json={"name": "Craft", "parent_id": beer_cat["id"]},
        headers=h,
    )
    assert craft.status_code == 201, craft.text
    assert craft.json()["parent_id"] == beer_cat["id"]
    # Only one level of subcategories.
    assert_error(
        client.post(
            f"{URL}/{venue.id}/menus/{menu_id}/categories",
            json={"name": "Too deep", "parent_id": craft.json()["id"]},
            headers=h,
        ),
        422,
    )
    assert_error(
        client.post(
            f"{URL}/{venue.id}/menus/{menu_id}/categories", json={"name": "BEER"}, headers=h
        ),
        409,
    )

    item = client.post(
        f"{URL}/{venue.id}/categories/{craft.json()['id']}/items", json=beer(), headers=h
    )
    assert item.status_code == 201, item.text
    body = item.json()
    assert body["price_minor"] == 45_000
    assert body["currency"] == "INR"
    assert body["abv"] == 5.2
    assert body["is_available"] is True

    update = client.patch(
        f"{URL}/{venue.id}/items/{body['id']}",
        json={"price_minor": 50_000, "tags": ["craft"]},
        headers=h,
    )
    assert update.status_code == 200, update.text
    assert update.json()["price_minor"] == 50_000

    whole = client.get(f"{URL}/{venue.id}/menu").json()
    [drinks] = whole["menus"]
    assert drinks["categories"][0]["name"] == "Beer"
    assert drinks["categories"][0]["subcategories"][0]["items"][0]["name"] == "Toit Tintin Toit"


@pytest.mark.parametrize(
    "overrides",
    [
        {"price_minor": -1},
        {"price_minor": 1.5},
        {"currency": "rupees"},
        {"diet": "carnivore"},
        {"abv": 101},
        {"ibu": -3},
        {"is_alcoholic": False},  # abv and ibu without the alcoholic flag
        {"image_url": "file:///etc/passwd"},
        {"name": ""},
        {"ingredients": ["  "]},
        {"surprise": True},
        {"description": "nul \x00 byte"},
        {"tags": ["craft", "nul\x00"]},
    ],
)
def test_item_validation(
    client: TestClient, session: Session, team: Any, overrides: dict[str, Any]
) -> None:
    venue, _owner, manager, _staff = team
    category = make_category(session, menu=make_menu(session, venue=venue))
    response = client.post(
        f"{URL}/{venue.id}/categories/{category.id}/items",
        json=beer(**overrides),
        headers=auth_headers(manager),
    )
    assert_error(response, 422, "invalid")


def test_item_update_rules(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, _staff = team
    menu = make_menu(session, venue=venue)
    first, second = make_category(session, menu=menu), make_category(session, menu=menu)
    item = make_item(session, category=first)
    url = f"{URL}/{venue.id}/items/{item.id}"
    h = auth_headers(manager)
    assert_error(client.patch(url, json={"abv": 4.0}, headers=h), 422)
    assert_error(client.patch(url, json={"price_minor": None}, headers=h), 422)
    other_venue_category = make_category(
        session, menu=make_menu(session, venue=make_venue(session))
    )
    assert_error(
        client.patch(url, json={"category_id": str(other_venue_category.id)}, headers=h), 422
    )
    moved = client.patch(url, json={"category_id": str(second.id)}, headers=h)
    assert moved.status_code == 200
    assert moved.json()["category_id"] == str(second.id)
    ok = client.patch(url, json={"is_alcoholic": True, "abv": 4.0}, headers=h)
    assert ok.status_code == 200, ok.text


def test_staff_toggle_availability_only(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, _manager, staff = team
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    h = auth_headers(staff)
    response = client.put(
        f"{URL}/{venue.id}/items/{item.id}/availability", json={"is_available": False}, headers=h
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_available"] is False
    assert_error(
        client.patch(f"{URL}/{venue.id}/items/{item.id}", json={"price_minor": 1}, headers=h), 403
    )
    assert_error(client.delete(f"{URL}/{venue.id}/items/{item.id}", headers=h), 403)
    assert_error(
        client.put(f"{URL}/{venue.id}/items/{item.id}/availability", json={}, headers=h), 422
    )


def test_deleting_a_category_with_items_needs_force(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, _owner, manager, _staff = team
    h = auth_headers(manager)
    menu = make_menu(session, venue=venue)
    top = make_category(session, menu=menu)
    sub = make_category(session, menu=menu, parent=top)
    item = make_item(session, category=sub)
    sub_id, item_id = sub.id, item.id
    empty = make_category(session, menu=menu)

    body = assert_error(client.delete(f"{URL}/{venue.id}/categories/{top.id}", headers=h), 409)
    assert body["detail"]["items"] == 1
    assert body["detail"]["subcategories"] == 1
    assert session.get(MenuItem, item_id) is not None

    assert client.delete(f"{URL}/{venue.id}/categories/{empty.id}", headers=h).status_code == 204
    top_id = top.id
    response = client.delete(f"{URL}/{venue.id}/categories/{top_id}?force=true", headers=h)
    assert response.status_code == 204
    session.expire_all()
    assert session.get(MenuCategory, sub_id) is None
    assert session.get(MenuItem, item_id) is None
    assert_error(client.delete(f"{URL}/{venue.id}/categories/{top_id}", headers=h), 404)


def test_deleting_a_menu_with_items_needs_force(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, _owner, manager, _staff = team
    h = auth_headers(manager)
    menu = make_menu(session, venue=venue)
    make_item(session, category=make_category(session, menu=menu))
    assert_error(client.delete(f"{URL}/{venue.id}/menus/{menu.id}", headers=h), 409)
    assert (
        client.delete(f"{URL}/{venue.id}/menus/{menu.id}?force=true", headers=h).status_code == 204
    )
    assert client.get(f"{URL}/{venue.id}/menus", headers=h).json() == []


def test_reorder_one_request_per_list(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, _staff = team
    h = auth_headers(manager)
    menus = [make_menu(session, venue=venue, name=n) for n in ("Food", "Drinks", "Desserts")]
    new_order = [str(menus[2].id), str(menus[0].id), str(menus[1].id)]
    response = client.put(f"{URL}/{venue.id}/menus/order", json={"ids": new_order}, headers=h)
    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()] == new_order
    assert [m["name"] for m in client.get(f"{URL}/{venue.id}/menu").json()["menus"]] == [
        "Desserts",
        "Food",
        "Drinks",
    ]
    # Missing, unknown or repeated ids.
    assert_error(
        client.put(f"{URL}/{venue.id}/menus/order", json={"ids": new_order[:2]}, headers=h), 409
    )
    other = make_menu(session, venue=make_venue(session))
    assert_error(
        client.put(
            f"{URL}/{venue.id}/menus/order", json={"ids": [*new_order, str(other.id)]}, headers=h
        ),
        409,
    )
    assert_error(
        client.put(f"{URL}/{venue.id}/menus/order", json={"ids": [new_order[0]] * 3}, headers=h),
        422,
    )

    food = menus[0]
    cats = [make_category(session, menu=food) for _ in range(3)]
    subs = [make_category(session, menu=food, parent=cats[0]) for _ in range(2)]
    url = f"{URL}/{venue.id}/menus/{food.id}/categories/order"
    ids = [str(c.id) for c in reversed(cats)]
    response = client.put(url, json={"ids": ids}, headers=h)
    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json() if c["parent_id"] is None] == ids
    sub_ids = [str(s.id) for s in reversed(subs)]
    response = client.put(url, json={"ids": sub_ids, "parent_id": str(cats[0].id)}, headers=h)
    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json() if c["parent_id"] == str(cats[0].id)] == sub_ids

    items = [make_item(session, category=cats[1]) for _ in range(4)]
    item_ids = [str(i.id) for i in items[::-1]]
    response = client.put(
        f"{URL}/{venue.id}/categories/{cats[1].id}/items/order", json={"ids": item_ids}, headers=h
    )
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()] == item_ids
    listed = client.get(f"{URL}/{venue.id}/categories/{cats[1].id}/items", headers=h).json()
    assert [i["id"] for i in listed] == item_ids


def test_whole_menu_bounded_queries_etag_and_304(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    menu_read.menu_cache.clear()
    venue = make_venue(session, owner=make_user(session))
    make_full_menu(session, venue=venue, items=300)
    drinks = make_menu(session, venue=venue, name="Drinks")
    make_item(session, category=make_category(session, menu=drinks), name="Masala chai")
    url = f"{URL}/{venue.id}/menu"

    # The app shares this session: empty its identity map so that the guard's venue
    # query is sent (and counted) as in production.
    session.expunge_all()
    with queries.count() as counted:
        response = client.get(url)
    assert response.status_code == 200, response.text
    assert counted.total == 2, counted.statements  # the venue (guard), the whole menu
    menu = VenueMenuRead.model_validate_json(response.content)
    items = [
        item
        for m in menu.menus
        for c in m.categories
        for item in [*c.items, *(i for s in c.subcategories for i in s.items)]
    ]
    assert len(items) == 301
    full = next(m for m in menu.menus if m.name.startswith("Full menu"))
    assert len(full.categories) == 10
    assert all(len(c.subcategories) == 2 for c in full.categories)
    etag = response.headers["ETag"]

    session.expunge_all()
    with queries.count() as counted:
        not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    assert counted.total == 1, counted.statements  # the venue (guard) only
    assert client.get(url, headers={"If-None-Match": f'"nope", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200

    # Any change (here a staff member marking an item sold out) changes the ETag.
    staff = make_user(session)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    chai = next(i for i in items if i.name == "Masala chai")
    client.put(
        f"{URL}/{venue.id}/items/{chai.id}/availability",
        json={"is_available": False},
        headers=auth_headers(staff),
    )
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    fresh = VenueMenuRead.model_validate_json(changed.content)
    fresh_drinks = next(m for m in fresh.menus if m.name == "Drinks")
    assert fresh_drinks.categories[0].items[0].is_available is False


def test_whole_menu_query_count_does_not_grow(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    menu_read.menu_cache.clear()
    small, large = make_venue(session), make_venue(session)
    make_full_menu(session, venue=small, items=5, categories=2)
    make_full_menu(session, venue=large, items=300, categories=30)
    counts = []
    for venue in (small, large):
        session.expunge_all()
        with queries.count() as counted:
            assert client.get(f"{URL}/{venue.id}/menu").status_code == 200
        counts.append(counted.total)
    assert counts[0] == counts[1]


def test_whole_menu_query_count_signed_in(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    """A signed-in consumer: the token's user is loaded too, and nothing else."""
    menu_read.menu_cache.clear()
    venue = make_venue(session, owner=make_user(session))
    make_full_menu(session, venue=venue, items=300)
    url = f"{URL}/{venue.id}/menu"
    h = auth_headers(make_user(session))

    session.expunge_all()
    with queries.count() as counted:
        response = client.get(url, headers=h)
    assert response.status_code == 200, response.text
    assert counted.total == 3, counted.statements  # the user, the venue, the whole menu
    assert len(VenueMenuRead.model_validate_json(response.content).menus) == 1

    session.expunge_all()
    with queries.count() as counted:
        not_modified = client.get(url, headers={**h, "If-None-Match": response.headers["ETag"]})
    assert not_modified.status_code == 304
    assert counted.total == 2, counted.statements  # the user, the venue


def test_whole_menu_visibility(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    draft = make_venue(session, owner=owner, verified=False)
    make_menu(session, venue=draft)
    assert_error(client.get(f"{URL}/{draft.id}/menu"), 404)
    assert client.get(f"{URL}/{draft.id}/menu", headers=auth_headers(owner)).status_code == 200
    empty = make_venue(session)
    body = client.get(f"{URL}/{empty.id}/menu").json()
    assert body == {"venue_id": str(empty.id), "version": 0, "menus": []}


def _food(description: str, dishes: list[str]) -> dict[str, Any]:
    return {
        "name": "Food",
        "description": description,
        "categories": [
            {"name": "Mains", "items": [{"name": d, "price_minor": 20_000} for d in dishes]},
        ],
    }


@pytest.mark.parametrize("commit_after", ["venue", "menu"])
def test_whole_menu_and_its_etag_come_from_one_snapshot(
    client: TestClient, session: Session, engine: Engine, commit_after: str
) -> None:
    """Another connection commits an import while the menu is being read (right after
    the guard read the venue, or right after the first statement reading the menus):
    the body and its ETag are the old menu entirely or the new one entirely."""
    with Session(engine, expire_on_commit=False) as setup:
        venue = make_venue(setup)
        old_doc = menu_import.validate(_food("Old", ["Dal", "Rice"]))
        menu_import.apply(setup, venue=venue, menu=old_doc, replace=False)
        setup.commit()
    venue_id = venue.id
    url = f"{URL}/{venue_id}/menu"
    new_doc = menu_import.validate(_food("New", ["Biryani", "Korma", "Naan"]))
    trigger = re.compile(rf"\bFROM {commit_after}\b")
    fired: list[str] = []

    def commit_an_import(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if fired or not trigger.search(statement):
            return
        fired.append(statement)
        with Session(engine) as other:
            target = other.get(Venue, venue_id)
            assert target is not None
            menu_import.apply(other, venue=target, menu=new_doc, replace=True)
            other.commit()

    try:
        menu_read.menu_cache.clear()
        old = client.get(url)
        assert old.status_code == 200, old.text
        menu_read.menu_cache.clear()
        reader = session.connection()
        event.listen(reader, "after_cursor_execute", commit_an_import)
        try:
            racing = client.get(url)
        finally:
            event.remove(reader, "after_cursor_execute", commit_an_import)
        assert fired, "the concurrent import never ran"
        assert racing.status_code == 200, racing.text
        # Cached under the version it is tagged with.
        version = racing.json()["version"]
        assert racing.headers["ETag"] == menu_read.etag(venue_id=venue_id, version=version)
        assert menu_read.menu_cache.get((venue_id, version)) == racing.content
        menu_read.menu_cache.clear()
        new = client.get(url)
        assert new.status_code == 200, new.text

        assert old.headers["ETag"] != new.headers["ETag"]
        assert [i["name"] for i in old.json()["menus"][0]["categories"][0]["items"]] == [
            "Dal",
            "Rice",
        ]
        assert new.json()["menus"][0]["description"] == "New"
        expected = new if commit_after == "venue" else old
        assert racing.json() == expected.json()
        assert racing.headers["ETag"] == expected.headers["ETag"]
    finally:
        menu_read.menu_cache.clear()
        with Session(engine) as cleanup:
            cleanup.execute(sa.delete(Venue).where(col(Venue.id) == venue_id))
            cleanup.commit()


def test_whole_menu_tree_leaves_out_rows_whose_parent_is_missing() -> None:
    menus = [{"id": "m1", "name": "Food", "description": None, "display_order": 0}]

    def category(id_: str, menu_id: str, parent_id: str | None) -> dict[str, Any]:
        return {
            "id": id_,
            "menu_id": menu_id,
            "parent_id": parent_id,
            "name": id_,
            "description": None,
            "display_order": 0,
        }

    categories = [
        category("c1", "m1", None),
        category("lost", "gone", None),  # its menu is not among the rows
        category("s1", "m1", "c1"),
        category("orphan", "m1", "gone"),  # its parent is not among the rows
        category("deep", "m1", "s1"),  # a subcategory of a subcategory
    ]
    items = [
        {"id": "i1", "category_id": "s1", "name": "Dal"},
        {"id": "i2", "category_id": "gone", "name": "Lost"},  # its category is not either
    ]
    [food] = menu_crud.assemble_tree(menus, categories, items)
    [c1] = food["categories"]
    assert c1["id"] == "c1"
    assert [s["id"] for s in c1["subcategories"]] == ["s1"]
    assert c1["subcategories"][0]["subcategories"] == []
    assert c1["subcategories"][0]["items"] == [items[0]]
