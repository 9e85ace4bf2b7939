"""Tax classes and item options (variants, add-on groups, add-ons): managers edit,
staff toggle sold-out, every write changes the menu's ETag, and the whole menu
carries them in one statement."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User, Venue, VenueRole
from app.schema.menu import VenueMenuRead
from app.services import menu_read
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.menus import (
    make_add_on,
    make_add_on_group,
    make_category,
    make_full_menu,
    make_item,
    make_menu,
    make_tax_class,
    make_variant,
)
from tests.utils import QueryCounter, assert_error

URL = "/api/v1/venues"


@pytest.fixture
def team(session: Session) -> tuple[Venue, User, User, User]:
    owner, manager, staff = make_user(session), make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    return venue, owner, manager, staff


def _etag(client: TestClient, venue: Venue) -> str:
    response = client.get(f"{URL}/{venue.id}/menu")
    assert response.status_code == 200, response.text
    return str(response.headers["ETag"])


def _whole_item(client: TestClient, venue: Venue, item_id: Any) -> dict[str, Any]:
    body = client.get(f"{URL}/{venue.id}/menu").json()
    for menu in body["menus"]:
        for category in menu["categories"]:
            for holder in [category, *category["subcategories"]]:
                for item in holder["items"]:
                    if item["id"] == str(item_id):
                        return dict(item)
    raise AssertionError(f"item {item_id} is not in the menu")


# --- tax classes ------------------------------------------------------------------------


def test_tax_classes_crud(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, staff = team
    h, v = auth_headers(manager), f"{URL}/{venue.id}"
    before = _etag(client, venue)
    created = client.post(
        f"{v}/tax-classes", json={"name": " Food GST 5% ", "rate_bps": 500}, headers=h
    )
    assert created.status_code == 201, created.text
    food = created.json()
    assert food["name"] == "Food GST 5%"
    assert food["rate_bps"] == 500
    assert created.headers["Location"].endswith(f"/venues/{venue.id}/tax-classes/{food['id']}")
    assert _etag(client, venue) != before
    assert_error(
        client.post(f"{v}/tax-classes", json={"name": "food gst 5%", "rate_bps": 1}, headers=h),
        409,
        "tax_class_name_taken",
    )
    alcohol = client.post(
        f"{v}/tax-classes", json={"name": "Alcohol VAT 20%", "rate_bps": 2000}, headers=h
    ).json()
    listed = client.get(f"{v}/tax-classes", headers=auth_headers(staff))
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["Alcohol VAT 20%", "Food GST 5%"]

    patched = client.patch(f"{v}/tax-classes/{alcohol['id']}", json={"rate_bps": 1800}, headers=h)
    assert patched.status_code == 200, patched.text
    assert patched.json()["rate_bps"] == 1800
    assert patched.json()["name"] == "Alcohol VAT 20%"
    assert_error(
        client.patch(f"{v}/tax-classes/{alcohol['id']}", json={"name": "FOOD GST 5%"}, headers=h),
        409,
        "tax_class_name_taken",
    )
    # Renaming to its own name in another case is fine.
    renamed = client.patch(
        f"{v}/tax-classes/{alcohol['id']}", json={"name": "alcohol vat 20%"}, headers=h
    )
    assert renamed.status_code == 200
    assert client.delete(f"{v}/tax-classes/{alcohol['id']}", headers=h).status_code == 204
    assert_error(client.delete(f"{v}/tax-classes/{alcohol['id']}", headers=h), 404, "not_found")
    # Staff read but do not write.
    assert_error(
        client.post(
            f"{v}/tax-classes", json={"name": "X", "rate_bps": 1}, headers=auth_headers(staff)
        ),
        403,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Tax", "rate_bps": -1},
        {"name": "Tax", "rate_bps": 10_001},
        {"name": "Tax", "rate_bps": 10**30},
        {"name": "Tax", "rate_bps": 5.5},
        {"name": "Tax", "rate_bps": "500"},
        {"name": "Tax", "rate_bps": True},
        {"name": "   ", "rate_bps": 1},
        {"name": "Ta\u0000x", "rate_bps": 1},
        {"name": "x" * 101, "rate_bps": 1},
        {"rate_bps": 1},
        {"name": "Tax", "rate_bps": 1, "venue_id": "nope"},
    ],
)
def test_tax_class_bad_input(
    client: TestClient, session: Session, team: Any, body: dict[str, Any]
) -> None:
    venue, owner, _manager, _staff = team
    assert_error(
        client.post(f"{URL}/{venue.id}/tax-classes", json=body, headers=auth_headers(owner)), 422
    )


def test_tax_class_update_refuses_nulls_and_bounds(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    tax = make_tax_class(session, venue=venue)
    url = f"{URL}/{venue.id}/tax-classes/{tax.id}"
    for body in ({"name": None}, {"rate_bps": None}, {"rate_bps": 10_001}, {"rate_bps": -5}):
        assert_error(client.patch(url, json=body, headers=auth_headers(owner)), 422)


def test_items_take_a_tax_class_of_their_venue(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    h, v = auth_headers(owner), f"{URL}/{venue.id}"
    food = make_tax_class(session, venue=venue, name="Food GST 5%", rate_bps=500)
    foreign = make_tax_class(session, venue=make_venue(session), name="Elsewhere")
    category = make_category(session, menu=make_menu(session, venue=venue))

    created = client.post(
        f"{v}/categories/{category.id}/items",
        json={"name": "Dal", "price_minor": 20_000, "tax_class_id": str(food.id)},
        headers=h,
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["tax_class_id"] == str(food.id)
    body = assert_error(
        client.post(
            f"{v}/categories/{category.id}/items",
            json={"name": "Rice", "price_minor": 1, "tax_class_id": str(foreign.id)},
            headers=h,
        ),
        422,
        "invalid_tax_class",
    )
    assert body["detail"][0]["loc"] == ["body", "tax_class_id"]
    assert_error(
        client.patch(f"{v}/items/{item['id']}", json={"tax_class_id": str(foreign.id)}, headers=h),
        422,
        "invalid_tax_class",
    )
    assert_error(
        client.patch(f"{v}/items/{item['id']}", json={"tax_class_id": "not-a-uuid"}, headers=h),
        422,
    )
    whole = _whole_item(client, venue, item["id"])
    assert whole["tax_class"] == {"id": str(food.id), "name": "Food GST 5%", "rate_bps": 500}

    # A tax class in use cannot be deleted; once no item uses it, it can.
    assert_error(client.delete(f"{v}/tax-classes/{food.id}", headers=h), 409, "tax_class_in_use")
    cleared = client.patch(f"{v}/items/{item['id']}", json={"tax_class_id": None}, headers=h)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["tax_class_id"] is None
    assert _whole_item(client, venue, item["id"])["tax_class"] is None
    assert client.delete(f"{v}/tax-classes/{food.id}", headers=h).status_code == 204


def test_a_tax_class_of_another_venue_is_404_through_this_venue(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    foreign = make_tax_class(session, venue=make_venue(session))
    h, v = auth_headers(owner), f"{URL}/{venue.id}"
    assert_error(
        client.patch(f"{v}/tax-classes/{foreign.id}", json={"rate_bps": 1}, headers=h), 404
    )
    assert_error(client.delete(f"{v}/tax-classes/{foreign.id}", headers=h), 404)


# --- variants ---------------------------------------------------------------------------


def test_variants_crud_and_sold_out(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, staff = team
    h, v = auth_headers(manager), f"{URL}/{venue.id}"
    category = make_category(session, menu=make_menu(session, venue=venue))
    item = make_item(session, category=category, name="Old Monk", is_alcoholic=True)
    tag = _etag(client, venue)

    small = client.post(
        f"{v}/items/{item.id}/variants", json={"name": "30 ml", "price_minor": 25_000}, headers=h
    )
    assert small.status_code == 201, small.text
    assert small.json()["currency"] == "INR"
    assert small.json()["display_order"] == 0
    assert small.headers["Location"].endswith(f"/variants/{small.json()['id']}")
    large = client.post(
        f"{v}/items/{item.id}/variants", json={"name": "60 ml", "price_minor": 45_000}, headers=h
    ).json()
    assert large["display_order"] == 1
    assert _etag(client, venue) != tag
    assert_error(
        client.post(
            f"{v}/items/{item.id}/variants", json={"name": "30 ML", "price_minor": 1}, headers=h
        ),
        409,
        "variant_name_taken",
    )
    assert_error(
        client.post(
            f"{v}/items/{item.id}/variants",
            json={"name": "90 ml", "price_minor": 1, "currency": "USD"},
            headers=h,
        ),
        422,
        "option_currency_mismatch",
    )
    listed = client.get(f"{v}/items/{item.id}/variants", headers=auth_headers(staff)).json()
    assert [x["name"] for x in listed] == ["30 ml", "60 ml"]

    patched = client.patch(
        f"{v}/variants/{large['id']}", json={"price_minor": 47_500, "display_order": 0}, headers=h
    )
    assert patched.status_code == 200, patched.text
    assert_error(
        client.patch(f"{v}/variants/{large['id']}", json={"name": "30 ml"}, headers=h),
        409,
        "variant_name_taken",
    )

    # Staff mark a variant sold out; they cannot edit it.
    tag = _etag(client, venue)
    sold_out = client.put(
        f"{v}/variants/{small.json()['id']}/availability",
        json={"is_available": False},
        headers=auth_headers(staff),
    )
    assert sold_out.status_code == 200, sold_out.text
    assert sold_out.json()["is_available"] is False
    assert _etag(client, venue) != tag
    assert_error(
        client.patch(
            f"{v}/variants/{large['id']}", json={"price_minor": 1}, headers=auth_headers(staff)
        ),
        403,
    )
    whole = _whole_item(client, venue, item.id)
    assert [(x["name"], x["price_minor"], x["is_available"]) for x in whole["variants"]] == [
        ("30 ml", 25_000, False),  # display order 0, then by name
        ("60 ml", 47_500, True),
    ]
    tag = _etag(client, venue)
    assert client.delete(f"{v}/variants/{large['id']}", headers=h).status_code == 204
    assert _etag(client, venue) != tag
    assert [x["name"] for x in _whole_item(client, venue, item.id)["variants"]] == ["30 ml"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Half", "price_minor": -1},
        {"name": "Half", "price_minor": 10**12 + 1},
        {"name": "Half", "price_minor": 10**40},
        {"name": "Half", "price_minor": 1.5},
        {"name": "Half", "price_minor": "100"},
        {"name": "Half", "price_minor": 1, "currency": "inr"},
        {"name": "Half", "price_minor": 1, "display_order": -1},
        {"name": "Half", "price_minor": 1, "is_available": "yes"},
        {"name": "Ha\u0000lf", "price_minor": 1},
        {"name": "", "price_minor": 1},
        {"name": "x" * 101, "price_minor": 1},
        {"price_minor": 1},
        {"name": "Half", "price_minor": 1, "item_id": "x"},
    ],
)
def test_variant_bad_input(
    client: TestClient, session: Session, team: Any, body: dict[str, Any]
) -> None:
    venue, owner, _m, _s = team
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    assert_error(
        client.post(
            f"{URL}/{venue.id}/items/{item.id}/variants", json=body, headers=auth_headers(owner)
        ),
        422,
    )


def test_item_currency_change_carries_its_options(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    make_variant(session, item=item, name="Half")
    make_add_on(session, group=make_add_on_group(session, item=item), name="Cheese")
    response = client.patch(
        f"{URL}/{venue.id}/items/{item.id}", json={"currency": "USD"}, headers=auth_headers(owner)
    )
    assert response.status_code == 200, response.text
    whole = _whole_item(client, venue, item.id)
    assert whole["variants"][0]["currency"] == "USD"
    assert whole["add_on_groups"][0]["add_ons"][0]["currency"] == "USD"


# --- add-on groups and add-ons ----------------------------------------------------------


def test_add_on_groups_and_add_ons(client: TestClient, session: Session, team: Any) -> None:
    venue, _owner, manager, staff = team
    h, v = auth_headers(manager), f"{URL}/{venue.id}"
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    tag = _etag(client, venue)
    created = client.post(
        f"{v}/items/{item.id}/add-on-groups",
        json={
            "name": "Mixers",
            "min_choices": 1,
            "max_choices": 2,
            "add_ons": [{"name": "Coke", "price_minor": 6_000}, {"name": "Soda"}],
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    group = created.json()
    assert created.headers["Location"].endswith(f"/add-on-groups/{group['id']}")
    assert [(a["name"], a["price_minor"], a["display_order"]) for a in group["add_ons"]] == [
        ("Coke", 6_000, 0),
        ("Soda", 0, 1),
    ]
    assert _etag(client, venue) != tag
    assert_error(
        client.post(f"{v}/items/{item.id}/add-on-groups", json={"name": "MIXERS"}, headers=h),
        409,
        "add_on_group_name_taken",
    )
    tonic = client.post(
        f"{v}/add-on-groups/{group['id']}/add-ons",
        json={"name": "Tonic", "price_minor": 8_000},
        headers=h,
    )
    assert tonic.status_code == 201, tonic.text
    assert tonic.json()["display_order"] == 2
    assert_error(
        client.post(f"{v}/add-on-groups/{group['id']}/add-ons", json={"name": "coke"}, headers=h),
        409,
        "add_on_name_taken",
    )
    assert_error(
        client.patch(f"{v}/add-ons/{tonic.json()['id']}", json={"name": "Soda"}, headers=h),
        409,
        "add_on_name_taken",
    )
    patched = client.patch(
        f"{v}/add-ons/{tonic.json()['id']}", json={"price_minor": 9_000}, headers=h
    )
    assert patched.json()["price_minor"] == 9_000

    # min > max, whether sent together or against the stored other bound.
    assert_error(
        client.patch(
            f"{v}/add-on-groups/{group['id']}", json={"min_choices": 3, "max_choices": 2}, headers=h
        ),
        422,
    )
    assert_error(
        client.patch(f"{v}/add-on-groups/{group['id']}", json={"min_choices": 3}, headers=h),
        422,
        "invalid_choices",
    )
    assert_error(
        client.patch(f"{v}/add-on-groups/{group['id']}", json={"max_choices": 0}, headers=h), 422
    )
    widened = client.patch(
        f"{v}/add-on-groups/{group['id']}", json={"max_choices": 3, "name": "Mixer"}, headers=h
    )
    assert widened.status_code == 200, widened.text
    assert widened.json()["max_choices"] == 3
    assert len(widened.json()["add_ons"]) == 3

    # Staff mark an add-on sold out, but cannot edit groups or add-ons.
    coke = group["add_ons"][0]
    tag = _etag(client, venue)
    s = auth_headers(staff)
    toggled = client.put(
        f"{v}/add-ons/{coke['id']}/availability", json={"is_available": False}, headers=s
    )
    assert toggled.status_code == 200, toggled.text
    assert _etag(client, venue) != tag
    assert_error(client.patch(f"{v}/add-ons/{coke['id']}", json={"price_minor": 1}, headers=s), 403)
    assert_error(client.delete(f"{v}/add-on-groups/{group['id']}", headers=s), 403)
    listed = client.get(f"{v}/items/{item.id}/add-on-groups", headers=s)
    assert listed.status_code == 200
    [mixers] = listed.json()
    assert [(a["name"], a["is_available"]) for a in mixers["add_ons"]] == [
        ("Coke", False),
        ("Soda", True),
        ("Tonic", True),
    ]

    whole = _whole_item(client, venue, item.id)
    [g] = whole["add_on_groups"]
    assert (g["name"], g["min_choices"], g["max_choices"]) == ("Mixer", 1, 3)
    assert [a["name"] for a in g["add_ons"]] == ["Coke", "Soda", "Tonic"]

    assert client.delete(f"{v}/add-ons/{tonic.json()['id']}", headers=h).status_code == 204
    assert client.delete(f"{v}/add-on-groups/{group['id']}", headers=h).status_code == 204
    assert _whole_item(client, venue, item.id)["add_on_groups"] == []
    assert_error(client.delete(f"{v}/add-ons/{coke['id']}", headers=h), 404)  # went with it


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Toppings", "min_choices": 2, "max_choices": 1},
        {"name": "Toppings", "min_choices": -1},
        {"name": "Toppings", "max_choices": 0},
        {"name": "Toppings", "max_choices": 51},
        {"name": "Toppings", "max_choices": 10**20},
        {"name": "Toppings", "max_choices": 2.5},
        {"name": "Top\u0000pings"},
        {"name": "Toppings", "add_ons": [{"name": "Olives"}, {"name": " olives "}]},
        {"name": "Toppings", "add_ons": [{"name": "Olives", "price_minor": -1}]},
        {"name": "Toppings", "add_ons": [{"name": "Olives", "currency": "usd"}]},
        {"name": "Toppings", "add_ons": [{"name": f"A{n}"} for n in range(51)]},
    ],
)
def test_add_on_group_bad_input(
    client: TestClient, session: Session, team: Any, body: dict[str, Any]
) -> None:
    venue, owner, _m, _s = team
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    assert_error(
        client.post(
            f"{URL}/{venue.id}/items/{item.id}/add-on-groups",
            json=body,
            headers=auth_headers(owner),
        ),
        422,
    )


def test_an_add_on_in_another_currency_is_refused(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    item = make_item(session, category=make_category(session, menu=make_menu(session, venue=venue)))
    group = make_add_on_group(session, item=item)
    h = auth_headers(owner)
    assert_error(
        client.post(
            f"{URL}/{venue.id}/items/{item.id}/add-on-groups",
            json={"name": "Sauces", "add_ons": [{"name": "Mayo", "currency": "USD"}]},
            headers=h,
        ),
        422,
        "option_currency_mismatch",
    )
    assert_error(
        client.post(
            f"{URL}/{venue.id}/add-on-groups/{group.id}/add-ons",
            json={"name": "Mayo", "currency": "EUR"},
            headers=h,
        ),
        422,
        "option_currency_mismatch",
    )


def test_options_of_another_venue_are_404_through_this_venue(
    client: TestClient, session: Session, team: Any
) -> None:
    venue, owner, _m, _s = team
    other = make_venue(session)
    foreign_item = make_item(
        session, category=make_category(session, menu=make_menu(session, venue=other))
    )
    variant = make_variant(session, item=foreign_item)
    group = make_add_on_group(session, item=foreign_item)
    add_on = make_add_on(session, group=group)
    h, v = auth_headers(owner), f"{URL}/{venue.id}"
    for method, path, body in [
        ("GET", f"{v}/items/{foreign_item.id}/variants", None),
        ("POST", f"{v}/items/{foreign_item.id}/variants", {"name": "X", "price_minor": 1}),
        ("PATCH", f"{v}/variants/{variant.id}", {"price_minor": 1}),
        ("DELETE", f"{v}/variants/{variant.id}", None),
        ("PUT", f"{v}/variants/{variant.id}/availability", {"is_available": False}),
        ("GET", f"{v}/items/{foreign_item.id}/add-on-groups", None),
        ("POST", f"{v}/items/{foreign_item.id}/add-on-groups", {"name": "X"}),
        ("PATCH", f"{v}/add-on-groups/{group.id}", {"name": "X"}),
        ("DELETE", f"{v}/add-on-groups/{group.id}", None),
        ("POST", f"{v}/add-on-groups/{group.id}/add-ons", {"name": "X"}),
        ("PATCH", f"{v}/add-ons/{add_on.id}", {"price_minor": 1}),
        ("DELETE", f"{v}/add-ons/{add_on.id}", None),
        ("PUT", f"{v}/add-ons/{add_on.id}/availability", {"is_available": False}),
    ]:
        assert_error(client.request(method, path, json=body, headers=h), 404, "not_found")
    session.refresh(variant)
    session.refresh(add_on)
    assert variant.price_minor == 30_000
    assert add_on.is_available is True


# --- the whole menu ---------------------------------------------------------------------


def test_whole_menu_carries_options_in_one_statement(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    menu_read.menu_cache.clear()
    venue = make_venue(session, owner=make_user(session))
    make_full_menu(session, venue=venue, items=200)
    food = make_tax_class(session, venue=venue, name="Food GST 5%", rate_bps=500)
    booze = make_tax_class(session, venue=venue, name="Alcohol VAT 20%", rate_bps=2000)
    category = make_category(session, menu=make_menu(session, venue=venue, name="Drinks"))
    rum = make_item(session, category=category, name="Old Monk", tax_class_id=booze.id)
    make_variant(session, item=rum, name="60 ml", price_minor=45_000, display_order=1)
    make_variant(session, item=rum, name="30 ml", price_minor=25_000, display_order=0)
    mixers = make_add_on_group(session, item=rum, name="Mixers", min_choices=0, max_choices=2)
    make_add_on(session, group=mixers, name="Coke", price_minor=6_000, display_order=0)
    make_add_on(session, group=mixers, name="Soda", price_minor=0, display_order=1)
    pizza = make_item(session, category=category, name="Pizza", tax_class_id=food.id)
    make_add_on_group(session, item=pizza, name="Size", min_choices=1, max_choices=1)

    session.expunge_all()
    with queries.count() as counted:
        response = client.get(f"{URL}/{venue.id}/menu")
    assert response.status_code == 200, response.text
    assert counted.total == 2, counted.statements  # the venue (guard), the whole menu
    menu = VenueMenuRead.model_validate_json(response.content)
    drinks = next(m for m in menu.menus if m.name == "Drinks")
    old_monk, pie = drinks.categories[0].items
    assert old_monk.tax_class is not None
    assert (old_monk.tax_class.name, old_monk.tax_class.rate_bps) == ("Alcohol VAT 20%", 2000)
    assert [v.name for v in old_monk.variants] == ["30 ml", "60 ml"]
    assert [(g.name, [a.name for a in g.add_ons]) for g in old_monk.add_on_groups] == [
        ("Mixers", ["Coke", "Soda"])
    ]
    assert pie.tax_class is not None
    assert pie.tax_class.rate_bps == 500
    assert pie.variants == []
    assert [(g.name, g.min_choices, g.add_ons) for g in pie.add_on_groups] == [("Size", 1, [])]
    # Items of the big menu have none.
    full = next(m for m in menu.menus if m.name != "Drinks")
    some = full.categories[0].items[0]
    assert (some.tax_class, some.variants, some.add_on_groups) == (None, [], [])

    # Exact shape of one item's options (what order placement reads).
    raw = next(i for i in response.json()["menus"] if i["name"] == "Drinks")
    raw_rum = raw["categories"][0]["items"][0]
    assert set(raw_rum) >= {"tax_class_id", "tax_class", "variants", "add_on_groups"}
    assert set(raw_rum["variants"][0]) == {
        "id",
        "item_id",
        "name",
        "price_minor",
        "currency",
        "is_available",
        "display_order",
    }
    assert set(raw_rum["add_on_groups"][0]) == {
        "id",
        "item_id",
        "name",
        "min_choices",
        "max_choices",
        "display_order",
        "add_ons",
    }
    assert set(raw_rum["add_on_groups"][0]["add_ons"][0]) == {
        "id",
        "group_id",
        "name",
        "price_minor",
        "currency",
        "is_available",
        "display_order",
    }


def test_whole_menu_query_count_does_not_grow_with_options(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    menu_read.menu_cache.clear()
    plain, rich = make_venue(session), make_venue(session)
    make_full_menu(session, venue=plain, items=3, categories=1)
    category = make_category(session, menu=make_menu(session, venue=rich))
    tax = make_tax_class(session, venue=rich)
    for n in range(30):
        item = make_item(session, category=category, name=f"Dish {n}", tax_class_id=tax.id)
        make_variant(session, item=item, name="Half")
        make_variant(session, item=item, name="Full")
        group = make_add_on_group(session, item=item, name="Extras")
        make_add_on(session, group=group, name="Cheese")
    counts = []
    for venue in (plain, rich):
        session.expunge_all()
        with queries.count() as counted:
            assert client.get(f"{URL}/{venue.id}/menu").status_code == 200
        counts.append(counted.total)
    assert counts[0] == counts[1] == 2
