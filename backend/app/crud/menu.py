"""Menus, categories and items of a venue, and the whole-menu read.

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
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session, col, select

from app.core.errors import (
    CategoryNameTaken,
    InvalidItemCategory,
    InvalidParentCategory,
    MenuNameTaken,
    NotAlcoholic,
    NotEmpty,
    NotFound,
    OrderMismatch,
    SubcategoryDepth,
)
from app.crud import venue as venue_crud
from app.crud.common import get_or_404
from app.models import Venue
from app.models.menu import Menu, MenuCategory, MenuItem
from app.schema.menu import (
    CategoryCreate,
    CategoryUpdate,
    ItemCreate,
    ItemUpdate,
    MenuCreate,
    MenuUpdate,
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


def create_item(
    session: Session, *, venue: Venue, category: MenuCategory, data: ItemCreate
) -> MenuItem:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
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


def delete_item(session: Session, *, venue: Venue, item: MenuItem) -> None:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    session.delete(item)
    session.flush()


def reorder_items(
    session: Session, *, venue: Venue, category: MenuCategory, ids: Sequence[uuid.UUID]
) -> Sequence[MenuItem]:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    current = session.exec(select(MenuItem.id).where(MenuItem.category_id == category.id)).all()
    _apply_order(session, MenuItem, current=current, ids=ids)
    return list_items(session, category=category)


def set_availability(
    session: Session, *, venue: Venue, item: MenuItem, is_available: bool
) -> MenuItem:
    venue_crud.bump_menu_version(session, venue_id=venue.id)
    item.is_available = is_available
    session.add(item)
    session.flush()
    return item


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
    "is_available",
    "display_order",
)


def _rows_as_json(model: Any, columns: Sequence[str], *, venue_id: uuid.UUID) -> Any:
    """A scalar subquery: the venue's rows of `model` in display order, as the text of
    one JSON array holding an array of `columns` per row (NULL when there are none)."""
    row = sa.func.json_build_array(*(getattr(model, c) for c in columns))
    ordered = aggregate_order_by(row, col(model.display_order), col(model.name), col(model.id))
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


def build_tree(session: Session, *, venue: Venue) -> dict[str, Any]:
    """The whole menu as plain data (the shape of VenueMenuRead), in one statement.

    The venue's current `menu_version` and its menus, categories and items are scalar
    subqueries of a single SELECT, so they all come from one snapshot: a change
    committed meanwhile is either entirely in the body (with its version) or not at
    all. The version may be newer than the one the route's guard read."""
    row = session.execute(
        sa.select(
            sa.select(col(Venue.menu_version))
            .where(col(Venue.id) == venue.id)
            .scalar_subquery()
            .label("version"),
            _rows_as_json(Menu, _MENU_COLUMNS, venue_id=venue.id).label("menus"),
            _rows_as_json(MenuCategory, _CATEGORY_COLUMNS, venue_id=venue.id).label("categories"),
            _rows_as_json(MenuItem, _ITEM_COLUMNS, venue_id=venue.id).label("items"),
        )
    ).one()
    if row.version is None:  # deleted since the guard read it
        raise NotFound("venue")
    items = _decode(_ITEM_COLUMNS, row.items)
    for item in items:
        if item["abv"] is not None:
            item["abv"] = float(item["abv"])  # JSON writes 5.0 as 5
    menus = assemble_tree(
        _decode(_MENU_COLUMNS, row.menus), _decode(_CATEGORY_COLUMNS, row.categories), items
    )
    return {"venue_id": venue.id, "version": int(row.version), "menus": menus}
