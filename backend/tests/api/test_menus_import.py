"""Bulk import: complete validation with paths, all-or-nothing, replace."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import VenueRole
from app.models.menu import Menu, MenuItem
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.menus import make_category, make_item, make_menu
from tests.utils import assert_error

URL = "/api/v1/venues"


def document(items_per_category: int = 5) -> dict[str, Any]:
    def items(prefix: str, n: int) -> list[dict[str, Any]]:
        return [
            {"name": f"{prefix} {i}", "price_minor": 10_000 + i, "diet": "veg"} for i in range(n)
        ]

    return {
        "name": "Food",
        "description": "All day",
        "categories": [
            {"name": "Starters", "items": items("Starter", items_per_category)},
            {
                "name": "Mains",
                "items": items("Main", items_per_category),
                "subcategories": [
                    {"name": "Biryani", "items": items("Biryani", 3)},
                    {"name": "Curries", "items": items("Curry", 3)},
                ],
            },
            {
                "name": "Bar",
                "items": [
                    {
                        "name": "IPA",
                        "price_minor": 40_000,
                        "is_alcoholic": True,
                        "abv": 6.5,
                        "ibu": 60,
                    }
                ],
            },
        ],
    }


def item_count(session: Session, venue_id: Any) -> int:
    return session.exec(
        select(func.count()).select_from(MenuItem).where(MenuItem.venue_id == venue_id)
    ).one()


def test_import_a_whole_menu(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    response = client.post(
        f"{URL}/{venue.id}/menus/import", json=document(), headers=auth_headers(owner)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["items"] == 5 + 5 + 3 + 3 + 1
    assert body["categories"] == 5
    assert body["replaced"] is False

    whole = client.get(f"{URL}/{venue.id}/menu").json()
    [food] = whole["menus"]
    assert [c["name"] for c in food["categories"]] == ["Starters", "Mains", "Bar"]
    mains = food["categories"][1]
    assert [s["name"] for s in mains["subcategories"]] == ["Biryani", "Curries"]
    assert [i["name"] for i in mains["items"]] == [f"Main {i}" for i in range(5)]
    assert food["categories"][2]["items"][0]["ibu"] == 60


def test_every_problem_is_reported_with_its_path_and_nothing_is_written(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    doc = document()
    doc["categories"][0]["items"][1]["price_minor"] = -5
    doc["categories"][0]["items"][3]["diet"] = "meat"
    doc["categories"][1]["subcategories"][1]["items"][2]["abv"] = 4.0  # not alcoholic
    doc["categories"][1]["items"][4]["name"] = "Main 0"  # duplicate in its category
    doc["categories"][2]["name"] = "starters"  # duplicate category name
    doc["categories"][1]["subcategories"][1]["name"] = " biryani "  # duplicate subcategory
    doc["categories"][2]["items"][0]["colour"] = "amber"  # unknown field
    response = client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner))
    body = assert_error(response, 422, "invalid")
    locs = {tuple(problem["loc"]) for problem in body["detail"]}
    assert {
        ("body", "categories", 0, "items", 1, "price_minor"),
        ("body", "categories", 0, "items", 3, "diet"),
        ("body", "categories", 1, "subcategories", 1, "items", 2),
        ("body", "categories", 1, "items", 4, "name"),
        ("body", "categories", 2, "name"),
        ("body", "categories", 1, "subcategories", 1, "name"),
        ("body", "categories", 2, "items", 0, "colour"),
    } <= locs, locs
    assert all(problem["msg"] for problem in body["detail"])
    assert item_count(session, venue.id) == 0
    assert session.exec(select(Menu).where(Menu.venue_id == venue.id)).all() == []


def test_a_nul_character_is_reported_at_its_path_next_to_the_other_problems(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    doc = document()
    doc["description"] = "All\x00day"
    doc["categories"][0]["items"][2]["name"] = "Starter\x002"
    doc["categories"][1]["subcategories"][0]["items"][1]["tags"] = ["ok", "sp\x00icy"]
    doc["categories"][2]["items"][0]["price_minor"] = -1
    response = client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner))
    body = assert_error(response, 422, "invalid")
    problems = {tuple(problem["loc"]): problem["msg"] for problem in body["detail"]}
    nul_paths = {
        ("body", "description"),
        ("body", "categories", 0, "items", 2, "name"),
        ("body", "categories", 1, "subcategories", 0, "items", 1, "tags", 1),
    }
    assert set(problems) == {*nul_paths, ("body", "categories", 2, "items", 0, "price_minor")}
    assert all("NUL" in problems[path] for path in nul_paths), problems
    assert item_count(session, venue.id) == 0


def test_shape_problems(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    url = f"{URL}/{venue.id}/menus/import"
    h = auth_headers(owner)
    assert_error(client.post(url, json=[1, 2], headers=h), 422)
    body = assert_error(client.post(url, json={"name": "Empty", "categories": []}, headers=h), 422)
    assert body["detail"][0]["loc"] == ["body", "categories"]
    body = assert_error(client.post(url, json={"categories": "nope"}, headers=h), 422)
    assert {tuple(p["loc"]) for p in body["detail"]} == {("body", "name"), ("body", "categories")}


def test_existing_name_conflicts_unless_replace(client: TestClient, session: Session) -> None:
    owner, manager = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    old = make_menu(session, venue=venue, name="Food")
    make_item(session, category=make_category(session, menu=old), name="Old dish")
    url = f"{URL}/{venue.id}/menus/import"
    h = auth_headers(manager)
    assert_error(client.post(url, json=document(), headers=h), 409)
    assert item_count(session, venue.id) == 1

    response = client.post(f"{url}?replace=true", json=document(2), headers=h)
    assert response.status_code == 201, response.text
    assert response.json()["replaced"] is True
    assert response.json()["menu"]["id"] == str(old.id)
    names = [
        i["name"]
        for c in client.get(f"{URL}/{venue.id}/menu").json()["menus"][0]["categories"]
        for i in c["items"]
    ]
    assert "Old dish" not in names
    assert item_count(session, venue.id) == 2 + 2 + 3 + 3 + 1


def test_staff_cannot_import(client: TestClient, session: Session) -> None:
    owner, staff = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    response = client.post(
        f"{URL}/{venue.id}/menus/import", json=document(), headers=auth_headers(staff)
    )
    assert_error(response, 403)


def test_a_large_menu_imports_in_one_request(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    response = client.post(
        f"{URL}/{venue.id}/menus/import", json=document(140), headers=auth_headers(owner)
    )
    assert response.status_code == 201, response.text
    assert item_count(session, venue.id) == 140 * 2 + 7


# --- tax classes and item options ---------------------------------------------------------


def options_document() -> dict[str, Any]:
    return {
        "name": "Bar",
        "description": "Drinks and bites",
        "tax_classes": [
            {"name": "Food GST 5%", "rate_bps": 500},
            {"name": "Alcohol VAT 20%", "rate_bps": 2000},
        ],
        "categories": [
            {
                "name": "Spirits",
                "items": [
                    {
                        "name": "Old Monk",
                        "price_minor": 25_000,
                        "is_alcoholic": True,
                        "abv": 42.8,
                        "tax_class": "alcohol vat 20%",  # names match in any case
                        "variants": [
                            {"name": "30 ml", "price_minor": 25_000},
                            {"name": "60 ml", "price_minor": 45_000, "is_available": False},
                        ],
                        "add_on_groups": [
                            {
                                "name": "Mixers",
                                "min_choices": 0,
                                "max_choices": 2,
                                "add_ons": [
                                    {"name": "Coke", "price_minor": 6_000},
                                    {"name": "Soda"},
                                ],
                            }
                        ],
                    }
                ],
                "subcategories": [
                    {
                        "name": "Bites",
                        "items": [
                            {
                                "name": "Pizza",
                                "price_minor": 40_000,
                                "diet": "veg",
                                "tax_class": "Food GST 5%",
                                "variants": [
                                    {"name": "Regular", "price_minor": 40_000},
                                    {"name": "Large", "price_minor": 55_000},
                                ],
                                "add_on_groups": [
                                    {
                                        "name": "Toppings",
                                        "min_choices": 1,
                                        "max_choices": 3,
                                        "add_ons": [
                                            {"name": "Olives", "price_minor": 3_000},
                                            {"name": "Jalapeño", "price_minor": 3_000},
                                        ],
                                    }
                                ],
                            },
                            {"name": "Peanuts", "price_minor": 9_000},
                        ],
                    }
                ],
            }
        ],
    }


def as_import(menu: dict[str, Any], tax_classes: list[dict[str, Any]]) -> dict[str, Any]:
    """A menu of the whole-menu read as an import document (what a client exporting a
    menu sends back)."""
    item_fields = (
        "name",
        "description",
        "price_minor",
        "currency",
        "image_url",
        "diet",
        "is_alcoholic",
        "abv",
        "ibu",
        "ingredients",
        "tags",
        "is_available",
    )
    option_fields = ("name", "price_minor", "currency", "is_available", "display_order")

    def item(i: dict[str, Any]) -> dict[str, Any]:
        return {
            **{k: i[k] for k in item_fields},
            "tax_class": i["tax_class"]["name"] if i["tax_class"] else None,
            "variants": [{k: v[k] for k in option_fields} for v in i["variants"]],
            "add_on_groups": [
                {
                    "name": g["name"],
                    "min_choices": g["min_choices"],
                    "max_choices": g["max_choices"],
                    "add_ons": [{k: a[k] for k in option_fields} for a in g["add_ons"]],
                }
                for g in i["add_on_groups"]
            ],
        }

    def category(c: dict[str, Any], *, top: bool) -> dict[str, Any]:
        out = {
            "name": c["name"],
            "description": c["description"],
            "items": [item(i) for i in c["items"]],
        }
        if top:
            out["subcategories"] = [category(s, top=False) for s in c["subcategories"]]
        return out

    return {
        "name": menu["name"],
        "description": menu["description"],
        "tax_classes": [{"name": t["name"], "rate_bps": t["rate_bps"]} for t in tax_classes],
        "categories": [category(c, top=True) for c in menu["categories"]],
    }


def test_import_carries_tax_classes_and_options_and_round_trips(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    h, v = auth_headers(owner), f"{URL}/{venue.id}"
    response = client.post(f"{v}/menus/import", json=options_document(), headers=h)
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["items"], result["variants"], result["add_on_groups"], result["add_ons"]) == (
        3,
        4,
        2,
        4,
    )
    assert result["tax_classes"] == 2
    tax_classes = client.get(f"{v}/tax-classes", headers=h).json()
    assert [(t["name"], t["rate_bps"]) for t in tax_classes] == [
        ("Alcohol VAT 20%", 2000),
        ("Food GST 5%", 500),
    ]

    [bar] = client.get(f"{v}/menu").json()["menus"]
    [rum] = bar["categories"][0]["items"]
    assert rum["tax_class"]["name"] == "Alcohol VAT 20%"
    assert [(x["name"], x["is_available"]) for x in rum["variants"]] == [
        ("30 ml", True),
        ("60 ml", False),
    ]
    assert [a["name"] for a in rum["add_on_groups"][0]["add_ons"]] == ["Coke", "Soda"]
    pizza, peanuts = bar["categories"][0]["subcategories"][0]["items"]
    assert pizza["add_on_groups"][0]["min_choices"] == 1
    assert peanuts["tax_class"] is None

    # The read, turned back into a document, imports to the very same menu.
    exported = as_import(bar, tax_classes)
    again = client.post(f"{v}/menus/import?replace=true", json=exported, headers=h)
    assert again.status_code == 201, again.text
    [reread] = client.get(f"{v}/menu").json()["menus"]
    assert as_import(reread, client.get(f"{v}/tax-classes", headers=h).json()) == exported


def test_import_names_tax_classes_of_the_venue_and_updates_them_by_name(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    h, v = auth_headers(owner), f"{URL}/{venue.id}"
    existing = client.post(
        f"{v}/tax-classes", json={"name": "Food GST 5%", "rate_bps": 500}, headers=h
    ).json()
    doc = {
        "name": "Food",
        "tax_classes": [{"name": "FOOD GST 5%", "rate_bps": 1200}],
        "categories": [
            {
                "name": "Mains",
                "items": [{"name": "Dal", "price_minor": 1, "tax_class": "Food GST 5%"}],
            }
        ],
    }
    response = client.post(f"{v}/menus/import", json=doc, headers=h)
    assert response.status_code == 201, response.text
    [updated] = client.get(f"{v}/tax-classes", headers=h).json()
    assert updated["id"] == existing["id"]
    assert (updated["name"], updated["rate_bps"]) == ("FOOD GST 5%", 1200)
    # A document may also just name a class the venue has.
    doc = {
        "name": "More",
        "categories": [
            {
                "name": "Sides",
                "items": [{"name": "Rice", "price_minor": 1, "tax_class": "food gst 5%"}],
            }
        ],
    }
    assert client.post(f"{v}/menus/import", json=doc, headers=h).status_code == 201


def test_import_option_problems_are_reported_with_their_paths(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    doc = options_document()
    doc["tax_classes"].append({"name": " food gst 5% ", "rate_bps": 10_001})
    rum = doc["categories"][0]["items"][0]
    rum["variants"][1]["name"] = "30 ML"
    rum["variants"].append({"name": "90 ml", "price_minor": 1, "currency": "USD"})
    rum["add_on_groups"][0]["add_ons"][1]["name"] = "coke"
    rum["add_on_groups"].append({"name": "mixers", "min_choices": 3, "max_choices": 2})
    pizza = doc["categories"][0]["subcategories"][0]["items"][0]
    pizza["add_on_groups"][0]["add_ons"][0]["price_minor"] = 10**30
    pizza["variants"][0]["name"] = "Reg\x00ular"
    pizza["tax_class_id"] = "ids are not for imports"
    response = client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner))
    body = assert_error(response, 422, "invalid")
    locs = {tuple(p["loc"]) for p in body["detail"]}
    item = ("body", "categories", 0, "items", 0)
    sub_item = ("body", "categories", 0, "subcategories", 0, "items", 0)
    assert {
        ("body", "tax_classes", 2, "rate_bps"),
        ("body", "tax_classes", 2, "name"),
        (*item, "variants", 1, "name"),
        (*item, "add_on_groups", 0, "add_ons", 1, "name"),
        (*item, "add_on_groups", 1, "name"),
        (*item, "add_on_groups", 1),
        (*sub_item, "add_on_groups", 0, "add_ons", 0, "price_minor"),
        (*sub_item, "variants", 0, "name"),
        (*sub_item, "tax_class_id"),
    } <= locs, locs
    assert item_count(session, venue.id) == 0

    # Once the document is otherwise valid: currencies, then unknown tax classes.
    doc = options_document()
    doc["categories"][0]["items"][0]["variants"].append(
        {"name": "90 ml", "price_minor": 1, "currency": "USD"}
    )
    body = assert_error(
        client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner)), 422
    )
    assert [p["loc"] for p in body["detail"]] == [[*item, "variants", 2, "currency"]]
    doc = options_document()
    doc["tax_classes"] = []
    body = assert_error(
        client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner)), 422
    )
    assert {tuple(p["loc"]) for p in body["detail"]} == {
        (*item, "tax_class"),
        (*sub_item, "tax_class"),
    }
    assert {p["type"] for p in body["detail"]} == {"unknown_tax_class"}
    assert item_count(session, venue.id) == 0


def test_a_document_nested_deeper_than_any_menu_is_a_422(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner)
    doc = options_document()
    add_on = doc["categories"][0]["subcategories"][0]["items"][0]["add_on_groups"][0]["add_ons"][0]
    add_on["name"] = {"a": {"b": {"c": {"d": {"e": "too deep"}}}}}
    body = assert_error(
        client.post(f"{URL}/{venue.id}/menus/import", json=doc, headers=auth_headers(owner)), 422
    )
    assert "levels deep" in body["detail"][0]["msg"]
    assert item_count(session, venue.id) == 0
