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
