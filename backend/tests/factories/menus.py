"""Factories for menus, categories and items (and whole menus of any size)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from app.crud import venue as venue_crud
from app.models import Venue
from app.models.menu import DietMarker, Menu, MenuCategory, MenuItem

_seq = itertools.count(1)


def make_menu(session: Session, *, venue: Venue, name: str | None = None, **fields: Any) -> Menu:
    menu = Menu(venue_id=venue.id, name=name or f"Menu {next(_seq)}", **fields)
    session.add(menu)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    return menu


def make_category(
    session: Session,
    *,
    menu: Menu,
    parent: MenuCategory | None = None,
    name: str | None = None,
    **fields: Any,
) -> MenuCategory:
    category = MenuCategory(
        venue_id=menu.venue_id,
        menu_id=menu.id,
        parent_id=parent.id if parent else None,
        name=name or f"Category {next(_seq)}",
        **fields,
    )
    session.add(category)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=menu.venue_id)
    return category


def make_item(
    session: Session,
    *,
    category: MenuCategory,
    name: str | None = None,
    price_minor: int = 25_000,
    **fields: Any,
) -> MenuItem:
    item = MenuItem(
        venue_id=category.venue_id,
        category_id=category.id,
        name=name or f"Item {next(_seq)}",
        price_minor=price_minor,
        diet=fields.pop("diet", DietMarker.VEG),
        **fields,
    )
    session.add(item)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=category.venue_id)
    return item


def make_full_menu(
    session: Session,
    *,
    venue: Venue,
    items: int = 300,
    categories: int = 10,
    subcategories_per_category: int = 2,
) -> Menu:
    """One menu with `categories` categories, each with subcategories, and `items` items
    spread over all of them (inserted in bulk)."""
    menu = make_menu(session, venue=venue, name=f"Full menu {next(_seq)}")
    holders: list[MenuCategory] = []
    for c in range(categories):
        top = MenuCategory(
            venue_id=venue.id, menu_id=menu.id, name=f"Category {c}", display_order=c
        )
        session.add(top)
        session.flush()
        holders.append(top)
        for s in range(subcategories_per_category):
            sub = MenuCategory(
                venue_id=venue.id,
                menu_id=menu.id,
                parent_id=top.id,
                name=f"Sub {c}.{s}",
                display_order=s,
            )
            holders.append(sub)
    session.add_all(holders)
    session.flush()
    session.add_all(
        MenuItem(
            venue_id=venue.id,
            category_id=holders[n % len(holders)].id,
            name=f"Dish {n}",
            description="Slow-cooked, served with rice",
            price_minor=10_000 + n * 100,
            diet=list(DietMarker)[n % 4],
            ingredients=["onion", "tomato", "garlic"],
            tags=["spicy"] if n % 3 == 0 else [],
            display_order=n,
            is_alcoholic=n % 10 == 0,
            abv=5.0 if n % 10 == 0 else None,
        )
        for n in range(items)
    )
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    return menu
