"""Menus, categories and items of a venue, their options (variants, add-on groups and
add-ons), the venue's tax classes, and the whole-menu read.

Every write first bumps `venue.menu_version` (an atomic UPDATE that also locks
the venue row, so writes to one venue's menus are serialised); the version is
the whole menu's ETag. The whole menu is read in one statement, whatever the
number of items: the venue's current version and its menus, categories and
items as scalar subqueries, so all from one snapshot (a menu change committed
between separate reads could otherwise mix two versions). Serialising it, caching
it and its ETag are `app.services.menu_read`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session, col, select

from app.core.errors import (
    AddOnGroupNameTaken,
    AddOnNameTaken,
    CategoryNameTaken,
    InvalidChoices,
    InvalidItemCategory,
    InvalidParentCategory,
    InvalidTaxClass,
    MenuNameTaken,
    NotAlcoholic,
    NotEmpty,
    NotFound,
    OptionCurrencyMismatch,
    OrderMismatch,
    SubcategoryDepth,
    TaxClassInUse,
    TaxClassNameTaken,
    VariantNameTaken,
)
from app.crud import venue as venue_crud
from app.crud.common import get_or_404
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
    AddOnCreate,
    AddOnGroupCreate,
    AddOnGroupUpdate,
    AddOnUpdate,
    CategoryCreate,
    CategoryUpdate,
    ItemCreate,
    ItemUpdate,
    MenuCreate,
    MenuUpdate,
    TaxClassCreate,
    TaxClassUpdate,
    VariantCreate,
    VariantUpdate,
)

# --- menus ------------------------------------------------------------------------------


def list_menus(session: Session, *, venue: Venue) -> Sequence[Menu]:
    return session.exec(
        select(Menu)
        .where(Menu.venue_id == venue.id)
        .order_by(col(Menu.display_order), col(Menu.name), col(Menu.id))
    ).all()


def get_menu(session: Session, *, venue: Venue, menu_id: uuid.UUID) -> Menu:
    return get_or_404(session, Menu, menu_id, what="menu", venue_id=venue.id)


def _menu_name_taken(
    session: Session, *, venue: Venue, name: str, except_id: uuid.UUID | None = None
) -> Menu | None:
    stmt = select(Menu).where(
        Menu.venue_id == venue.id, sa.func.lower(col(Menu.name)) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(col(Menu.id) != except_id)
    return session.exec(stmt).first()


def find_menu_by_name(session: Session, *, venue: Venue, name: str) -> Menu | None:
    return _menu_name_taken(session, venue=venue, name=name)


def _next_order(session: Session, column: Any, *where: Any) -> int:
    current = session.execute(sa.select(sa.func.max(column)).where(*where)).scalar_one()
    return 0 if current is None else int(current) + 1


def create_menu(session: Session, *, venue: Venue, data: MenuCreate) -> Menu:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    if _menu_name_taken(session, venue=venue, name=data.name):
        raise MenuNameTaken(f"This venue already has a menu called {data.name!r}")
    menu = Menu(
        venue_id=venue.id,
        name=data.name,
        description=data.description,
        display_order=_next_order(session, col(Menu.display_order), Menu.venue_id == venue.id),
    )
    session.add(menu)
    session.flush()
    return menu


def update_menu(session: Session, *, venue: Venue, menu: Menu, data: MenuUpdate) -> Menu:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    elif _menu_name_taken(session, venue=venue, name=changes["name"], except_id=menu.id):
        raise MenuNameTaken(f"This venue already has a menu called {changes['name']!r}")
    for key, value in changes.items():
        setattr(menu, key, value)
    session.add(menu)
    session.flush()
    return menu


def _count_items(session: Session, *where: Any) -> int:
    return int(
        session.execute(sa.select(sa.func.count()).select_from(MenuItem).where(*where)).scalar_one()
    )


def delete_menu(session: Session, *, venue: Venue, menu: Menu, force: bool) -> None:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    category_ids = sa.select(col(MenuCategory.id)).where(col(MenuCategory.menu_id) == menu.id)
    items = _count_items(session, col(MenuItem.category_id).in_(category_ids))
    if items and not force:
        raise NotEmpty(
            f"The menu {menu.name!r} has {items} item(s); send force=true to delete them too"
        )
    session.delete(menu)
    session.flush()


def _apply_order(
    session: Session, model: Any, *, current: Sequence[uuid.UUID], ids: Sequence[uuid.UUID]
) -> None:
    """Set display_order to the position in `ids`, which must list exactly `current`."""
    missing = set(current) - set(ids)
    unknown = set(ids) - set(current)
    if missing or unknown:
        raise OrderMismatch(
            {
                "message": "Send every member of the list exactly once, in the new order",
                "missing": sorted(str(i) for i in missing),
                "unknown": sorted(str(i) for i in unknown),
            }
        )
    session.execute(
        sa.update(model), [{"id": id_, "display_order": n} for n, id_ in enumerate(ids)]
    )
    session.expire_all()


def reorder_menus(session: Session, *, venue: Venue, ids: Sequence[uuid.UUID]) -> Sequence[Menu]:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    current = session.exec(select(Menu.id).where(Menu.venue_id == venue.id)).all()
    _apply_order(session, Menu, current=current, ids=ids)
    return list_menus(session, venue=venue)


# --- categories -------------------------------------------------------------------------


def get_category(session: Session, *, venue: Venue, category_id: uuid.UUID) -> MenuCategory:
    return get_or_404(session, MenuCategory, category_id, what="category", venue_id=venue.id)


def _sibling_named(
    session: Session,
    *,
    menu_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    name: str,
    except_id: uuid.UUID | None = None,
) -> bool:
    stmt = select(MenuCategory.id).where(
        MenuCategory.menu_id == menu_id,
        col(MenuCategory.parent_id).is_(None)
        if parent_id is None
        else col(MenuCategory.parent_id) == parent_id,
        sa.func.lower(col(MenuCategory.name)) == name.lower(),
    )
    if except_id is not None:
        stmt = stmt.where(col(MenuCategory.id) != except_id)
    return session.exec(stmt).first() is not None


def list_categories(session: Session, *, venue: Venue, menu: Menu) -> Sequence[MenuCategory]:
    return session.exec(
        select(MenuCategory)
        .where(MenuCategory.venue_id == venue.id, MenuCategory.menu_id == menu.id)
        .order_by(
            col(MenuCategory.parent_id).nulls_first(),
            col(MenuCategory.display_order),
            col(MenuCategory.name),
        )
    ).all()


def create_category(
    session: Session, *, venue: Venue, menu: Menu, data: CategoryCreate
) -> MenuCategory:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    if data.parent_id is not None:
        parent = session.get(MenuCategory, data.parent_id)
        if parent is None or parent.menu_id != menu.id:
            raise InvalidParentCategory()
        if parent.parent_id is not None:
            raise SubcategoryDepth()
    if _sibling_named(session, menu_id=menu.id, parent_id=data.parent_id, name=data.name):
        raise CategoryNameTaken(f"There is already a category called {data.name!r} here")
    parent_filter = (
        col(MenuCategory.parent_id).is_(None)
        if data.parent_id is None
        else col(MenuCategory.parent_id) == data.parent_id
    )
    category = MenuCategory(
        venue_id=venue.id,
        menu_id=menu.id,
        parent_id=data.parent_id,
        name=data.name,
        description=data.description,
        display_order=_next_order(
            session, col(MenuCategory.display_order), MenuCategory.menu_id == menu.id, parent_filter
        ),
    )
    session.add(category)
    session.flush()
    return category


def update_category(
    session: Session, *, venue: Venue, category: MenuCategory, data: CategoryUpdate
) -> MenuCategory:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    elif _sibling_named(
        session,
        menu_id=category.menu_id,
        parent_id=category.parent_id,
        name=changes["name"],
        except_id=category.id,
    ):
        raise CategoryNameTaken(f"There is already a category called {changes['name']!r} here")
    for key, value in changes.items():
        setattr(category, key, value)
    session.add(category)
    session.flush()
    return category


def delete_category(session: Session, *, venue: Venue, category: MenuCategory, force: bool) -> None:
    """Delete a category with its subcategories and items; if it has any, only with force."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    subtree = sa.select(col(MenuCategory.id)).where(
        sa.or_(col(MenuCategory.id) == category.id, col(MenuCategory.parent_id) == category.id)
    )
    items = _count_items(session, col(MenuItem.category_id).in_(subtree))
    subcategories = int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(MenuCategory)
            .where(col(MenuCategory.parent_id) == category.id)
        ).scalar_one()
    )
    if (items or subcategories) and not force:
        raise NotEmpty(
            {
                "message": f"The category {category.name!r} is not empty; "
                "send force=true to delete it with everything in it",
                "items": items,
                "subcategories": subcategories,
            }
        )
    session.delete(category)
    session.flush()


def reorder_categories(
    session: Session,
    *,
    venue: Venue,
    menu: Menu,
    parent_id: uuid.UUID | None,
    ids: Sequence[uuid.UUID],
) -> Sequence[MenuCategory]:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    parent_filter = (
        col(MenuCategory.parent_id).is_(None)
        if parent_id is None
        else col(MenuCategory.parent_id) == parent_id
    )
    current = session.exec(
        select(MenuCategory.id).where(MenuCategory.menu_id == menu.id, parent_filter)
    ).all()
    _apply_order(session, MenuCategory, current=current, ids=ids)
    return list_categories(session, venue=venue, menu=menu)


# --- items ------------------------------------------------------------------------------


def get_item(session: Session, *, venue: Venue, item_id: uuid.UUID) -> MenuItem:
    return get_or_404(session, MenuItem, item_id, what="item", venue_id=venue.id)


def list_items(session: Session, *, category: MenuCategory) -> Sequence[MenuItem]:
    return session.exec(
        select(MenuItem)
        .where(MenuItem.category_id == category.id)
        .order_by(col(MenuItem.display_order), col(MenuItem.name), col(MenuItem.id))
    ).all()


def _check_tax_class(session: Session, *, venue: Venue, tax_class_id: uuid.UUID | None) -> None:
    if tax_class_id is None:
        return
    tax_class = session.get(TaxClass, tax_class_id)
    if tax_class is None or tax_class.venue_id != venue.id:
        raise InvalidTaxClass()


def create_item(
    session: Session, *, venue: Venue, category: MenuCategory, data: ItemCreate
) -> MenuItem:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    _check_tax_class(session, venue=venue, tax_class_id=data.tax_class_id)
    item = MenuItem(
        venue_id=venue.id,
        category_id=category.id,
        display_order=_next_order(
            session, col(MenuItem.display_order), MenuItem.category_id == category.id
        ),
        **data.model_dump(),
    )
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, *, venue: Venue, item: MenuItem, data: ItemUpdate) -> MenuItem:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    category_id = changes.pop("category_id", None)
    final = {k: changes.get(k, getattr(item, k)) for k in ("is_alcoholic", "abv", "ibu")}
    if not final["is_alcoholic"] and (final["abv"] is not None or final["ibu"] is not None):
        raise NotAlcoholic()
    if changes.get("tax_class_id") is not None:
        _check_tax_class(session, venue=venue, tax_class_id=changes["tax_class_id"])
    if "currency" in changes and changes["currency"] != item.currency:
        _recurrency_options(session, item=item, currency=changes["currency"])
    if category_id is not None and category_id != item.category_id:
        target = session.get(MenuCategory, category_id)
        if target is None or target.venue_id != venue.id:
            raise InvalidItemCategory()
        item.category_id = target.id
        item.display_order = _next_order(
            session, col(MenuItem.display_order), MenuItem.category_id == target.id
        )
    for key, value in changes.items():
        setattr(item, key, value)
    session.add(item)
    session.flush()
    return item


def _recurrency_options(session: Session, *, item: MenuItem, currency: str) -> None:
    """An item's options are priced in its currency: they follow it when it changes."""
    session.execute(
        sa.update(MenuItemVariant)
        .where(col(MenuItemVariant.item_id) == item.id)
        .values(currency=currency)
    )
    groups = sa.select(col(AddOnGroup.id)).where(col(AddOnGroup.item_id) == item.id)
    session.execute(
        sa.update(AddOn).where(col(AddOn.group_id).in_(groups)).values(currency=currency)
    )


def delete_item(session: Session, *, venue: Venue, item: MenuItem) -> None:
    delete_row(session, venue=venue, row=item)


def reorder_items(
    session: Session, *, venue: Venue, category: MenuCategory, ids: Sequence[uuid.UUID]
) -> Sequence[MenuItem]:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    current = session.exec(select(MenuItem.id).where(MenuItem.category_id == category.id)).all()
    _apply_order(session, MenuItem, current=current, ids=ids)
    return list_items(session, category=category)


Sellable = TypeVar("Sellable", MenuItem, MenuItemVariant, AddOn)


def set_availability(
    session: Session, *, venue: Venue, item: Sellable, is_available: bool
) -> Sellable:
    """Mark an item, a variant or an add-on sold out (or back); the menu's version moves."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    item.is_available = is_available
    session.add(item)
    session.flush()
    return item


def delete_row(
    session: Session, *, venue: Venue, row: MenuItem | MenuItemVariant | AddOnGroup | AddOn
) -> None:
    """Delete an item or one of its options (a group with its add-ons)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    session.delete(row)
    session.flush()


# --- tax classes ------------------------------------------------------------------------


def list_tax_classes(session: Session, *, venue: Venue) -> Sequence[TaxClass]:
    return session.exec(
        select(TaxClass)
        .where(TaxClass.venue_id == venue.id)
        .order_by(col(TaxClass.name), col(TaxClass.id))
    ).all()


def get_tax_class(session: Session, *, venue: Venue, tax_class_id: uuid.UUID) -> TaxClass:
    return get_or_404(session, TaxClass, tax_class_id, what="tax class", venue_id=venue.id)


def find_tax_class_by_name(session: Session, *, venue: Venue, name: str) -> TaxClass | None:
    return session.exec(
        select(TaxClass).where(
            TaxClass.venue_id == venue.id, sa.func.lower(col(TaxClass.name)) == name.lower()
        )
    ).first()


def _tax_class_name_free(
    session: Session, *, venue: Venue, name: str, except_id: uuid.UUID | None = None
) -> None:
    found = find_tax_class_by_name(session, venue=venue, name=name)
    if found is not None and found.id != except_id:
        raise TaxClassNameTaken(f"This venue already has a tax class called {name!r}")


def create_tax_class(session: Session, *, venue: Venue, data: TaxClassCreate) -> TaxClass:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    _tax_class_name_free(session, venue=venue, name=data.name)
    tax_class = TaxClass(venue_id=venue.id, name=data.name, rate_bps=data.rate_bps)
    session.add(tax_class)
    session.flush()
    return tax_class


def update_tax_class(
    session: Session, *, venue: Venue, tax_class: TaxClass, data: TaxClassUpdate
) -> TaxClass:
    """Rename or re-rate a tax class: the menu shows the new one at once (orders already
    placed keep a copy of the name and rate they were taxed at)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        _tax_class_name_free(session, venue=venue, name=changes["name"], except_id=tax_class.id)
    for key, value in changes.items():
        setattr(tax_class, key, value)
    session.add(tax_class)
    session.flush()
    return tax_class


def delete_tax_class(session: Session, *, venue: Venue, tax_class: TaxClass) -> None:
    """Delete a tax class that no item uses (else TaxClassInUse)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    used = _count_items(session, col(MenuItem.tax_class_id) == tax_class.id)
    if used:
        raise TaxClassInUse(
            {
                "message": f"{used} item(s) use the tax class {tax_class.name!r}; give them "
                "another tax class (or none) first",
                "items": used,
            }
        )
    session.delete(tax_class)
    session.flush()


# --- item options -----------------------------------------------------------------------


def _option_currency(item: MenuItem, currency: str | None) -> str:
    if currency is not None and currency != item.currency:
        raise OptionCurrencyMismatch(
            f"This item is priced in {item.currency}; its options are too (not {currency})"
        )
    return item.currency


def _named(
    session: Session, model: Any, *, name: str, except_id: uuid.UUID | None, **where: Any
) -> bool:
    stmt = sa.select(model.id).where(sa.func.lower(model.name) == name.lower())
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    if except_id is not None:
        stmt = stmt.where(model.id != except_id)
    return session.execute(stmt.limit(1)).first() is not None


def list_variants(session: Session, *, item: MenuItem) -> Sequence[MenuItemVariant]:
    return session.exec(
        select(MenuItemVariant)
        .where(MenuItemVariant.item_id == item.id)
        .order_by(
            col(MenuItemVariant.display_order), col(MenuItemVariant.name), col(MenuItemVariant.id)
        )
    ).all()


def get_variant(session: Session, *, venue: Venue, variant_id: uuid.UUID) -> MenuItemVariant:
    return get_or_404(session, MenuItemVariant, variant_id, what="variant", venue_id=venue.id)


def create_variant(
    session: Session, *, venue: Venue, item: MenuItem, data: VariantCreate
) -> MenuItemVariant:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    currency = _option_currency(item, data.currency)
    if _named(session, MenuItemVariant, name=data.name, except_id=None, item_id=item.id):
        raise VariantNameTaken(f"This item already has a variant called {data.name!r}")
    order = data.display_order
    if order is None:
        order = _next_order(
            session, col(MenuItemVariant.display_order), MenuItemVariant.item_id == item.id
        )
    variant = MenuItemVariant(
        venue_id=venue.id,
        item_id=item.id,
        name=data.name,
        price_minor=data.price_minor,
        currency=currency,
        is_available=data.is_available,
        display_order=order,
    )
    session.add(variant)
    session.flush()
    return variant


def update_variant(
    session: Session, *, venue: Venue, variant: MenuItemVariant, data: VariantUpdate
) -> MenuItemVariant:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    if "currency" in changes:
        item = session.get(MenuItem, variant.item_id)
        assert item is not None  # the variant's foreign key
        _option_currency(item, changes["currency"])
    if "name" in changes and _named(
        session,
        MenuItemVariant,
        name=changes["name"],
        except_id=variant.id,
        item_id=variant.item_id,
    ):
        raise VariantNameTaken(f"This item already has a variant called {changes['name']!r}")
    for key, value in changes.items():
        setattr(variant, key, value)
    session.add(variant)
    session.flush()
    return variant


def delete_variant(session: Session, *, venue: Venue, variant: MenuItemVariant) -> None:
    delete_row(session, venue=venue, row=variant)


def set_variant_availability(
    session: Session, *, venue: Venue, variant: MenuItemVariant, is_available: bool
) -> MenuItemVariant:
    return set_availability(session, venue=venue, item=variant, is_available=is_available)


def list_add_on_groups(session: Session, *, item: MenuItem) -> list[dict[str, Any]]:
    """The item's add-on groups in order, each with its add-ons in order (two queries)."""
    groups = session.exec(
        select(AddOnGroup)
        .where(AddOnGroup.item_id == item.id)
        .order_by(col(AddOnGroup.display_order), col(AddOnGroup.name), col(AddOnGroup.id))
    ).all()
    add_ons = list_add_ons(session, group_ids=[g.id for g in groups])
    return [group_with_add_ons(g, add_ons) for g in groups]


def list_add_ons(session: Session, *, group_ids: Sequence[uuid.UUID]) -> Sequence[AddOn]:
    if not group_ids:
        return []
    return session.exec(
        select(AddOn)
        .where(col(AddOn.group_id).in_(group_ids))
        .order_by(col(AddOn.display_order), col(AddOn.name), col(AddOn.id))
    ).all()


def group_with_add_ons(group: AddOnGroup, add_ons: Sequence[AddOn]) -> dict[str, Any]:
    """A group as AddOnGroupRead data, with those of `add_ons` that are its own."""
    return {
        "id": group.id,
        "item_id": group.item_id,
        "name": group.name,
        "min_choices": group.min_choices,
        "max_choices": group.max_choices,
        "display_order": group.display_order,
        "add_ons": [a for a in add_ons if a.group_id == group.id],
    }


def get_add_on_group(session: Session, *, venue: Venue, group_id: uuid.UUID) -> AddOnGroup:
    return get_or_404(session, AddOnGroup, group_id, what="add-on group", venue_id=venue.id)


def _add_on_row(
    session: Session,
    *,
    venue: Venue,
    item: MenuItem,
    group: AddOnGroup,
    data: AddOnCreate,
) -> AddOn:
    currency = _option_currency(item, data.currency)
    if _named(session, AddOn, name=data.name, except_id=None, group_id=group.id):
        raise AddOnNameTaken(f"This group already has an add-on called {data.name!r}")
    order = data.display_order
    if order is None:
        order = _next_order(session, col(AddOn.display_order), AddOn.group_id == group.id)
    add_on = AddOn(
        venue_id=venue.id,
        group_id=group.id,
        name=data.name,
        price_minor=data.price_minor,
        currency=currency,
        is_available=data.is_available,
        display_order=order,
    )
    session.add(add_on)
    session.flush()
    return add_on


def create_add_on_group(
    session: Session, *, venue: Venue, item: MenuItem, data: AddOnGroupCreate
) -> dict[str, Any]:
    """A group, with the add-ons sent along (AddOnGroupRead data)."""
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    if _named(session, AddOnGroup, name=data.name, except_id=None, item_id=item.id):
        raise AddOnGroupNameTaken(f"This item already has an add-on group called {data.name!r}")
    order = data.display_order
    if order is None:
        order = _next_order(session, col(AddOnGroup.display_order), AddOnGroup.item_id == item.id)
    group = AddOnGroup(
        venue_id=venue.id,
        item_id=item.id,
        name=data.name,
        min_choices=data.min_choices,
        max_choices=data.max_choices,
        display_order=order,
    )
    session.add(group)
    session.flush()
    add_ons = [
        _add_on_row(session, venue=venue, item=item, group=group, data=a) for a in data.add_ons
    ]
    return group_with_add_ons(group, add_ons)


def update_add_on_group(
    session: Session, *, venue: Venue, group: AddOnGroup, data: AddOnGroupUpdate
) -> dict[str, Any]:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    low = changes.get("min_choices", group.min_choices)
    high = changes.get("max_choices", group.max_choices)
    if low > high:
        raise InvalidChoices(f"`min_choices` ({low}) cannot be more than `max_choices` ({high})")
    if "name" in changes and _named(
        session, AddOnGroup, name=changes["name"], except_id=group.id, item_id=group.item_id
    ):
        raise AddOnGroupNameTaken(
            f"This item already has an add-on group called {changes['name']!r}"
        )
    for key, value in changes.items():
        setattr(group, key, value)
    session.add(group)
    session.flush()
    return group_with_add_ons(group, list_add_ons(session, group_ids=[group.id]))


def delete_add_on_group(session: Session, *, venue: Venue, group: AddOnGroup) -> None:
    """Delete a group with its add-ons."""
    delete_row(session, venue=venue, row=group)


def get_add_on(session: Session, *, venue: Venue, add_on_id: uuid.UUID) -> AddOn:
    return get_or_404(session, AddOn, add_on_id, what="add-on", venue_id=venue.id)


def create_add_on(session: Session, *, venue: Venue, group: AddOnGroup, data: AddOnCreate) -> AddOn:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    item = session.get(MenuItem, group.item_id)
    assert item is not None  # the group's foreign key
    return _add_on_row(session, venue=venue, item=item, group=group, data=data)


def update_add_on(session: Session, *, venue: Venue, add_on: AddOn, data: AddOnUpdate) -> AddOn:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    changes = data.model_dump(exclude_unset=True)
    if "currency" in changes:
        group = session.get(AddOnGroup, add_on.group_id)
        item = session.get(MenuItem, group.item_id) if group is not None else None
        assert item is not None  # the foreign keys
        _option_currency(item, changes["currency"])
    if "name" in changes and _named(
        session, AddOn, name=changes["name"], except_id=add_on.id, group_id=add_on.group_id
    ):
        raise AddOnNameTaken(f"This group already has an add-on called {changes['name']!r}")
    for key, value in changes.items():
        setattr(add_on, key, value)
    session.add(add_on)
    session.flush()
    return add_on


def delete_add_on(session: Session, *, venue: Venue, add_on: AddOn) -> None:
    delete_row(session, venue=venue, row=add_on)


def set_add_on_availability(
    session: Session, *, venue: Venue, add_on: AddOn, is_available: bool
) -> AddOn:
    return set_availability(session, venue=venue, item=add_on, is_available=is_available)


# --- the whole menu ---------------------------------------------------------------------

_MENU_COLUMNS = ("id", "name", "description", "display_order")
_CATEGORY_COLUMNS = ("id", "menu_id", "parent_id", "name", "description", "display_order")
_ITEM_COLUMNS = (
    "id",
    "category_id",
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
    "tax_class_id",
    "is_available",
    "display_order",
)
_TAX_CLASS_COLUMNS = ("id", "name", "rate_bps")
_VARIANT_COLUMNS = (
    "id",
    "item_id",
    "name",
    "price_minor",
    "currency",
    "is_available",
    "display_order",
)
_GROUP_COLUMNS = ("id", "item_id", "name", "min_choices", "max_choices", "display_order")
_ADD_ON_COLUMNS = (
    "id",
    "group_id",
    "name",
    "price_minor",
    "currency",
    "is_available",
    "display_order",
)


def _rows_as_json(model: Any, columns: Sequence[str], *, venue_id: uuid.UUID) -> Any:
    """A scalar subquery: the venue's rows of `model` in display order (by name for a
    model without one), as the text of one JSON array holding an array of `columns`
    per row (NULL when there are none)."""
    row = sa.func.json_build_array(*(getattr(model, c) for c in columns))
    order = [col(model.name), col(model.id)]
    if hasattr(model, "display_order"):
        order.insert(0, col(model.display_order))
    ordered = aggregate_order_by(row, *order)
    return (
        sa.select(sa.cast(sa.func.json_agg(ordered), sa.Text))
        .where(col(model.venue_id) == venue_id)
        .scalar_subquery()
    )


def _decode(columns: Sequence[str], text: str | None) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in orjson.loads(text or "[]")]


def assemble_tree(
    menus: Sequence[dict[str, Any]],
    categories: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Nest rows (each list in display order) into the `menus` of VenueMenuRead.

    Never indexes blindly: a category whose menu is not among the rows, a subcategory
    whose parent is not a top-level category among them, and an item whose category is
    not among them are left out instead of failing the whole menu."""
    tree: list[dict[str, Any]] = []
    by_menu: dict[Any, dict[str, Any]] = {}
    for m in menus:
        node = {**m, "categories": []}
        by_menu[m["id"]] = node
        tree.append(node)
    by_category: dict[Any, dict[str, Any]] = {
        c["id"]: {
            "id": c["id"],
            "name": c["name"],
            "description": c["description"],
            "display_order": c["display_order"],
            "items": [],
            "subcategories": [],
        }
        for c in categories
    }
    top_level = {c["id"] for c in categories if c["parent_id"] is None}
    for c in categories:
        node = by_category[c["id"]]
        if c["parent_id"] is None:
            menu = by_menu.get(c["menu_id"])
            if menu is not None:
                menu["categories"].append(node)
        elif c["parent_id"] in top_level:
            by_category[c["parent_id"]]["subcategories"].append(node)
    for item in items:
        holder = by_category.get(item["category_id"])
        if holder is not None:
            holder["items"].append(item)
    return tree


def attach_options(
    items: Sequence[dict[str, Any]],
    *,
    tax_classes: Sequence[dict[str, Any]],
    variants: Sequence[dict[str, Any]],
    groups: Sequence[dict[str, Any]],
    add_ons: Sequence[dict[str, Any]],
) -> None:
    """Give each item (in place) its `tax_class` (or None), `variants` and
    `add_on_groups` with their `add_ons`, each list in display order. Rows whose
    parent is not among the rows are left out."""
    tax_by_id = {t["id"]: t for t in tax_classes}
    variants_by_item: dict[Any, list[dict[str, Any]]] = {}
    for variant in variants:
        variants_by_item.setdefault(variant["item_id"], []).append(variant)
    add_ons_by_group: dict[Any, list[dict[str, Any]]] = {}
    for add_on in add_ons:
        add_ons_by_group.setdefault(add_on["group_id"], []).append(add_on)
    groups_by_item: dict[Any, list[dict[str, Any]]] = {}
    for group in groups:
        groups_by_item.setdefault(group["item_id"], []).append(
            {**group, "add_ons": add_ons_by_group.get(group["id"], [])}
        )
    for item in items:
        item["tax_class"] = tax_by_id.get(item.get("tax_class_id"))
        item["variants"] = variants_by_item.get(item["id"], [])
        item["add_on_groups"] = groups_by_item.get(item["id"], [])


def build_tree(session: Session, *, venue: Venue) -> dict[str, Any]:
    """The whole menu as plain data (the shape of VenueMenuRead), in one statement.

    The venue's current `menu_version` and its menus, categories, items, tax classes,
    variants, add-on groups and add-ons are scalar subqueries of a single SELECT, so
    they all come from one snapshot: a change committed meanwhile is either entirely
    in the body (with its version) or not at all. The version may be newer than the
    one the route's guard read."""
    row = session.execute(
        sa.select(
            sa.select(col(Venue.menu_version))
            .where(col(Venue.id) == venue.id)
            .scalar_subquery()
            .label("version"),
            _rows_as_json(Menu, _MENU_COLUMNS, venue_id=venue.id).label("menus"),
            _rows_as_json(MenuCategory, _CATEGORY_COLUMNS, venue_id=venue.id).label("categories"),
            _rows_as_json(MenuItem, _ITEM_COLUMNS, venue_id=venue.id).label("items"),
            _rows_as_json(TaxClass, _TAX_CLASS_COLUMNS, venue_id=venue.id).label("tax_classes"),
            _rows_as_json(MenuItemVariant, _VARIANT_COLUMNS, venue_id=venue.id).label("variants"),
            _rows_as_json(AddOnGroup, _GROUP_COLUMNS, venue_id=venue.id).label("groups"),
            _rows_as_json(AddOn, _ADD_ON_COLUMNS, venue_id=venue.id).label("add_ons"),
        )
    ).one()
    if row.version is None:  # deleted since the guard read it
        raise NotFound("venue")
    items = _decode(_ITEM_COLUMNS, row.items)
    for item in items:
        if item["abv"] is not None:
            item["abv"] = float(item["abv"])  # JSON writes 5.0 as 5
    attach_options(
        items,
        tax_classes=_decode(_TAX_CLASS_COLUMNS, row.tax_classes),
        variants=_decode(_VARIANT_COLUMNS, row.variants),
        groups=_decode(_GROUP_COLUMNS, row.groups),
        add_ons=_decode(_ADD_ON_COLUMNS, row.add_ons),
    )
    menus = assemble_tree(
        _decode(_MENU_COLUMNS, row.menus), _decode(_CATEGORY_COLUMNS, row.categories), items
    )
    return {"venue_id": venue.id, "version": int(row.version), "menus": menus}
