"""Bulk import of a whole menu: validated completely, then applied all-or-nothing.

Validation collects every problem at once, each with its path in the request
body (the same shape as FastAPI's 422 errors): the field-level problems
Pydantic finds (a NUL character in a text field among them, at that field's
path) plus the cross-entry rules it cannot see field by field (no two
categories, subcategories or items of one list with the same name). Nothing is
written unless the whole document is valid; the writes then happen in the
caller's transaction, which commits once.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col

from app.core.errors import MenuNameTaken, Unprocessable
from app.crud import menu as menu_crud
from app.crud import venue as venue_crud
from app.models import Venue
from app.models.menu import Menu, MenuCategory, MenuItem
from app.schema.menu import (
    MAX_IMPORT_ITEMS,
    ItemCreate,
    MenuImport,
    MenuImportResult,
    MenuRead,
)

Loc = list[str | int]


def _problem(loc: Loc, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind}


def _name_key(entry: Any) -> str | None:
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        key = " ".join(entry["name"].split()).casefold()
        return key or None
    return None


def _duplicates(entries: Any, loc: Loc, what: str) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    problems = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        key = _name_key(entry)
        if key is None:
            continue
        if key in seen:
            problems.append(
                _problem(
                    [*loc, index, "name"],
                    f"Duplicate {what} name {entry['name']!r} (first at index {seen[key]})",
                    "duplicate_name",
                )
            )
        else:
            seen[key] = index
    return problems


def _cross_checks(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), list):
        return []
    categories = raw["categories"]
    problems = _duplicates(categories, ["categories"], "category")
    total_items = 0
    for i, category in enumerate(categories):
        if not isinstance(category, dict):
            continue
        items = category.get("items")
        total_items += len(items) if isinstance(items, list) else 0
        problems += _duplicates(items, ["categories", i, "items"], "item")
        subcategories = category.get("subcategories")
        problems += _duplicates(subcategories, ["categories", i, "subcategories"], "subcategory")
        if isinstance(subcategories, list):
            for j, sub in enumerate(subcategories):
                if isinstance(sub, dict):
                    sub_items = sub.get("items")
                    total_items += len(sub_items) if isinstance(sub_items, list) else 0
                    problems += _duplicates(
                        sub_items, ["categories", i, "subcategories", j, "items"], "item"
                    )
    if total_items > MAX_IMPORT_ITEMS:
        problems.append(
            _problem(
                ["categories"],
                f"A menu has at most {MAX_IMPORT_ITEMS} items ({total_items} sent)",
                "too_many_items",
            )
        )
    return problems


def validate(raw: Any) -> MenuImport:
    """The parsed menu, or Unprocessable listing every problem with its path."""
    problems: list[dict[str, Any]] = []
    parsed: MenuImport | None = None
    try:
        parsed = MenuImport.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_context=False, include_input=False):
            problems.append(_problem(list(error["loc"]), error["msg"], error["type"]))
    problems += _cross_checks(raw)
    if problems or parsed is None:
        problems.sort(key=lambda p: [str(part) for part in p["loc"]])
        raise Unprocessable(problems)
    return parsed


def _item_row(
    item: ItemCreate, *, venue_id: uuid.UUID, category_id: uuid.UUID, order: int
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "venue_id": venue_id,
        "category_id": category_id,
        "display_order": order,
        **item.model_dump(),
    }


def apply(session: Session, *, venue: Venue, menu: MenuImport, replace: bool) -> MenuImportResult:
    """Create the menu (or, with `replace`, replace the one with the same name)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    existing = menu_crud.find_menu_by_name(session, venue=venue, name=menu.name)
    if existing is not None and not replace:
        raise MenuNameTaken(
            f"This venue already has a menu called {menu.name!r}; send replace=true to replace it"
        )
    if existing is not None:
        session.execute(sa.delete(MenuCategory).where(col(MenuCategory.menu_id) == existing.id))
        existing.name = menu.name
        existing.description = menu.description
        target = existing
    else:
        order = session.execute(
            sa.select(sa.func.max(col(Menu.display_order))).where(col(Menu.venue_id) == venue.id)
        ).scalar_one()
        target = Menu(
            venue_id=venue.id,
            name=menu.name,
            description=menu.description,
            display_order=0 if order is None else order + 1,
        )
    session.add(target)
    session.flush()

    categories: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for i, category in enumerate(menu.categories):
        category_id = uuid.uuid4()
        categories.append(
            {
                "id": category_id,
                "venue_id": venue.id,
                "menu_id": target.id,
                "parent_id": None,
                "name": category.name,
                "description": category.description,
                "display_order": i,
            }
        )
        items += [
            _item_row(item, venue_id=venue.id, category_id=category_id, order=n)
            for n, item in enumerate(category.items)
        ]
        for j, sub in enumerate(category.subcategories):
            sub_id = uuid.uuid4()
            categories.append(
                {
                    "id": sub_id,
                    "venue_id": venue.id,
                    "menu_id": target.id,
                    "parent_id": category_id,
                    "name": sub.name,
                    "description": sub.description,
                    "display_order": j,
                }
            )
            items += [
                _item_row(item, venue_id=venue.id, category_id=sub_id, order=n)
                for n, item in enumerate(sub.items)
            ]
    # Parents before children: the list is built in that order.
    session.execute(sa.insert(MenuCategory), categories)
    if items:
        session.execute(sa.insert(MenuItem), items)
    session.flush()
    session.refresh(target)
    return MenuImportResult(
        menu=MenuRead.model_validate(target),
        categories=len(categories),
        items=len(items),
        replaced=existing is not None,
    )
