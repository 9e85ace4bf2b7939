"""Bulk import of a whole menu: validated completely, then applied all-or-nothing.

Validation collects every problem at once, each with its path in the request
body (the same shape as FastAPI's 422 errors): the field-level problems
Pydantic finds (a NUL character in a text field among them, at that field's
path) plus the cross-entry rules it cannot see field by field (no two
categories, subcategories or items of one list with the same name, nor two
variants, add-on groups or add-ons of one item or group, nor two tax classes; an
option priced in another currency than its item). Tax classes are named: an item's
`tax_class` is one of the document's `tax_classes` (created, or updated by name)
or one the venue already has. Nothing is written unless the whole document is
valid; the writes then happen in the caller's transaction, which commits once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col

from app.core.errors import MenuNameTaken, Unprocessable
from app.crud import menu as menu_crud
from app.crud import venue as venue_crud
from app.models import Venue
from app.models.menu import (
    AddOn,
    AddOnGroup,
    Menu,
    MenuCategory,
    MenuItem,
    MenuItemVariant,
    TaxClass,
)
from app.schema.menu import (
    MAX_IMPORT_ITEMS,
    ItemImport,
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


def _option_duplicates(items: Any, loc: Loc) -> list[dict[str, Any]]:
    """Two variants or add-on groups of an item, or add-ons of a group, with one name."""
    if not isinstance(items, list):
        return []
    problems = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        problems += _duplicates(item.get("variants"), [*loc, n, "variants"], "variant")
        groups = item.get("add_on_groups")
        problems += _duplicates(groups, [*loc, n, "add_on_groups"], "add-on group")
        if isinstance(groups, list):
            for g, group in enumerate(groups):
                if isinstance(group, dict):
                    problems += _duplicates(
                        group.get("add_ons"), [*loc, n, "add_on_groups", g, "add_ons"], "add-on"
                    )
    return problems


def _cross_checks(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), list):
        return []
    categories = raw["categories"]
    problems = _duplicates(categories, ["categories"], "category")
    problems += _duplicates(raw.get("tax_classes"), ["tax_classes"], "tax class")
    total_items = 0
    for i, category in enumerate(categories):
        if not isinstance(category, dict):
            continue
        items = category.get("items")
        total_items += len(items) if isinstance(items, list) else 0
        problems += _duplicates(items, ["categories", i, "items"], "item")
        problems += _option_duplicates(items, ["categories", i, "items"])
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
                    problems += _option_duplicates(
                        sub_items, ["categories", i, "subcategories", j, "items"]
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
    if parsed is not None:
        problems += _currency_checks(parsed)
    if problems or parsed is None:
        problems.sort(key=lambda p: [str(part) for part in p["loc"]])
        raise Unprocessable(problems)
    return parsed


def _items_with_loc(menu: MenuImport) -> Iterator[tuple[Loc, ItemImport]]:
    for i, category in enumerate(menu.categories):
        for n, item in enumerate(category.items):
            yield ["categories", i, "items", n], item
        for j, sub in enumerate(category.subcategories):
            for n, item in enumerate(sub.items):
                yield ["categories", i, "subcategories", j, "items", n], item


def _currency_checks(menu: MenuImport) -> list[dict[str, Any]]:
    """Options priced in another currency than their item."""
    problems = []
    for loc, item in _items_with_loc(menu):
        options: list[tuple[Loc, str | None]] = [
            ([*loc, "variants", v, "currency"], variant.currency)
            for v, variant in enumerate(item.variants)
        ]
        options += [
            ([*loc, "add_on_groups", g, "add_ons", a, "currency"], add_on.currency)
            for g, group in enumerate(item.add_on_groups)
            for a, add_on in enumerate(group.add_ons)
        ]
        problems += [
            _problem(
                option_loc,
                f"Options are priced in their item's currency ({item.currency}), not {currency}",
                "option_currency_mismatch",
            )
            for option_loc, currency in options
            if currency is not None and currency != item.currency
        ]
    return problems


_ITEM_FIELDS = tuple(
    name
    for name in ItemImport.model_fields
    if name not in {"tax_class", "variants", "add_on_groups"}
)


class _Rows:
    """The rows an import inserts, gathered before any is written."""

    def __init__(self, venue_id: uuid.UUID, tax_class_ids: dict[str, uuid.UUID]) -> None:
        self.venue_id = venue_id
        self.tax_class_ids = tax_class_ids
        self.items: list[dict[str, Any]] = []
        self.variants: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.add_ons: list[dict[str, Any]] = []

    def add_item(self, item: ItemImport, *, category_id: uuid.UUID, order: int) -> None:
        item_id = uuid.uuid4()
        self.items.append(
            {
                "id": item_id,
                "venue_id": self.venue_id,
                "category_id": category_id,
                "display_order": order,
                "tax_class_id": None
                if item.tax_class is None
                else self.tax_class_ids[item.tax_class.casefold()],
                **item.model_dump(include=set(_ITEM_FIELDS)),
            }
        )
        self.variants += [
            {
                "id": uuid.uuid4(),
                "venue_id": self.venue_id,
                "item_id": item_id,
                "name": variant.name,
                "price_minor": variant.price_minor,
                "currency": item.currency,
                "is_available": variant.is_available,
                "display_order": n if variant.display_order is None else variant.display_order,
            }
            for n, variant in enumerate(item.variants)
        ]
        for g, group in enumerate(item.add_on_groups):
            group_id = uuid.uuid4()
            self.groups.append(
                {
                    "id": group_id,
                    "venue_id": self.venue_id,
                    "item_id": item_id,
                    "name": group.name,
                    "min_choices": group.min_choices,
                    "max_choices": group.max_choices,
                    "display_order": g,
                }
            )
            self.add_ons += [
                {
                    "id": uuid.uuid4(),
                    "venue_id": self.venue_id,
                    "group_id": group_id,
                    "name": add_on.name,
                    "price_minor": add_on.price_minor,
                    "currency": item.currency,
                    "is_available": add_on.is_available,
                    "display_order": n if add_on.display_order is None else add_on.display_order,
                }
                for n, add_on in enumerate(group.add_ons)
            ]


def _tax_classes(session: Session, *, venue: Venue, menu: MenuImport) -> dict[str, uuid.UUID]:
    """Create or update (by name) the document's tax classes; the id of every tax class
    the items name, by casefolded name. An item naming one that neither the document nor
    the venue has is a 422 at its path (before anything is written)."""
    existing = {t.name.casefold(): t for t in menu_crud.list_tax_classes(session, venue=venue)}
    wanted = {t.name.casefold() for t in menu.tax_classes}
    unknown = [
        _problem(
            [*loc, "tax_class"],
            f"No tax class called {item.tax_class!r}: add it to `tax_classes` or to the venue",
            "unknown_tax_class",
        )
        for loc, item in _items_with_loc(menu)
        if item.tax_class is not None and item.tax_class.casefold() not in wanted | set(existing)
    ]
    if unknown:
        raise Unprocessable(unknown)
    for data in menu.tax_classes:
        tax_class = existing.get(data.name.casefold())
        if tax_class is None:
            tax_class = TaxClass(venue_id=venue.id, name=data.name, rate_bps=data.rate_bps)
            existing[data.name.casefold()] = tax_class
        else:
            tax_class.name = data.name
            tax_class.rate_bps = data.rate_bps
        session.add(tax_class)
    session.flush()
    return {key: t.id for key, t in existing.items()}


def apply(session: Session, *, venue: Venue, menu: MenuImport, replace: bool) -> MenuImportResult:
    """Create the menu (or, with `replace`, replace the one with the same name)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    existing = menu_crud.find_menu_by_name(session, venue=venue, name=menu.name)
    if existing is not None and not replace:
        raise MenuNameTaken(
            f"This venue already has a menu called {menu.name!r}; send replace=true to replace it"
        )
    rows = _Rows(venue.id, _tax_classes(session, venue=venue, menu=menu))
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
        for n, item in enumerate(category.items):
            rows.add_item(item, category_id=category_id, order=n)
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
            for n, item in enumerate(sub.items):
                rows.add_item(item, category_id=sub_id, order=n)
    # Parents before children: the lists are built in that order.
    session.execute(sa.insert(MenuCategory), categories)
    for model, values in (
        (MenuItem, rows.items),
        (MenuItemVariant, rows.variants),
        (AddOnGroup, rows.groups),
        (AddOn, rows.add_ons),
    ):
        if values:
            session.execute(sa.insert(model), values)
    session.flush()
    session.refresh(target)
    return MenuImportResult(
        menu=MenuRead.model_validate(target),
        categories=len(categories),
        items=len(rows.items),
        variants=len(rows.variants),
        add_on_groups=len(rows.groups),
        add_ons=len(rows.add_ons),
        tax_classes=len(menu.tax_classes),
        replaced=existing is not None,
    )
