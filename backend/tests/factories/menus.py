"""Factories for menus, categories and items (and whole menus of any size), tax
classes, item options and pickup points."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from app.crud import venue as venue_crud
from app.models import Venue
from app.models.menu import (
    AddOn,
    AddOnGroup,
    DietMarker,
    Menu,
    MenuCategory,
    MenuItem,
    MenuItemVariant,
    TaxClass,
)
from app.models.order import PickupPoint

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


def make_tax_class(
    session: Session, *, venue: Venue, name: str | None = None, rate_bps: int = 500
) -> TaxClass:
    tax_class = TaxClass(venue_id=venue.id, name=name or f"Tax {next(_seq)}", rate_bps=rate_bps)
    session.add(tax_class)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    return tax_class


def make_variant(
    session: Session,
    *,
    item: MenuItem,
    name: str | None = None,
    price_minor: int = 30_000,
    **fields: Any,
) -> MenuItemVariant:
    variant = MenuItemVariant(
        venue_id=item.venue_id,
        item_id=item.id,
        name=name or f"Variant {next(_seq)}",
        price_minor=price_minor,
        currency=item.currency,
        **fields,
    )
    session.add(variant)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=item.venue_id)
    return variant


def make_add_on_group(
    session: Session,
    *,
    item: MenuItem,
    name: str | None = None,
    min_choices: int = 0,
    max_choices: int = 2,
    **fields: Any,
) -> AddOnGroup:
    group = AddOnGroup(
        venue_id=item.venue_id,
        item_id=item.id,
        name=name or f"Group {next(_seq)}",
        min_choices=min_choices,
        max_choices=max_choices,
        **fields,
    )
    session.add(group)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=item.venue_id)
    return group


def make_add_on(
    session: Session,
    *,
    group: AddOnGroup,
    name: str | None = None,
    price_minor: int = 5_000,
    **fields: Any,
) -> AddOn:
    add_on = AddOn(
        venue_id=group.venue_id,
        group_id=group.id,
        name=name or f"Add-on {next(_seq)}",
        price_minor=price_minor,
        **fields,
    )
    session.add(add_on)
    session.flush()
    venue_crud.bump_menu_version(session, venue_id=group.venue_id)
    return add_on


def make_pickup_point(
    session: Session, *, venue: Venue, name: str | None = None, **fields: Any
) -> PickupPoint:
    point = PickupPoint(venue_id=venue.id, name=name or f"Counter {next(_seq)}", **fields)
    session.add(point)
    session.flush()
    return point
