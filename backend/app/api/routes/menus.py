"""Routes: menus, categories and items of a venue; the whole menu; bulk import."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status

from app.api.deps import ManagedVenue, SessionDep, StaffedVenue, VisibleVenue, commit
from app.api.location import set_location
from app.core.config import settings
from app.core.errors import (
    CategoryNameTaken,
    InvalidItemCategory,
    InvalidParentCategory,
    MenuNameTaken,
    NotAlcoholic,
    NotEmpty,
    OrderMismatch,
    SubcategoryDepth,
    raises,
)
from app.crud import menu as menu_crud
from app.models.menu import Menu, MenuCategory, MenuItem
from app.schema.common import bounded_json
from app.schema.menu import (
    Availability,
    CategoryCreate,
    CategoryRead,
    CategoryReorder,
    CategoryUpdate,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    MenuCreate,
    MenuImportResult,
    MenuRead,
    MenuUpdate,
    Reorder,
    VenueMenuRead,
)
from app.services import menu_import, menu_read

router = APIRouter(tags=["menus"])

Force = Annotated[
    bool, Query(description="Confirm deleting everything inside (else 409 when not empty)")
]


# --- the whole menu ---------------------------------------------------------------------


@router.get(
    "/venues/{venue_id}/menu",
    response_model=VenueMenuRead,
    responses={304: {"description": "Not modified (the ETag sent in If-None-Match matches)"}},
)
def read_whole_menu(
    venue: VisibleVenue,
    session: SessionDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Every menu of the venue with categories, subcategories and items, in order.

    Answers with an `ETag`; send it back in `If-None-Match` to get a 304 when
    nothing changed. The body is read in one statement, from one snapshot, and
    the ETag is the version of that snapshot.
    """
    tag = menu_read.etag(venue_id=venue.id, version=venue.menu_version)
    if menu_read.etag_matches(if_none_match, tag):
        return Response(
            status_code=status.HTTP_304_NOT_MODIFIED,
            headers={"ETag": tag, "Cache-Control": "no-cache"},
        )
    version, body = menu_read.whole_menu_json(session, venue=venue)
    headers = {
        "ETag": menu_read.etag(venue_id=venue.id, version=version),
        "Cache-Control": "no-cache",
    }
    return Response(content=body, media_type="application/json", headers=headers)


@router.post(
    "/venues/{venue_id}/menus/import",
    response_model=MenuImportResult,
    status_code=status.HTTP_201_CREATED,
)
@raises(MenuNameTaken)
def import_menu(
    venue: ManagedVenue,
    session: SessionDep,
    response: Response,
    payload: Annotated[
        dict[str, Any],
        bounded_json(max_depth=14, max_bytes=settings.MAX_MENU_IMPORT_BODY_BYTES, check_text=False),
        Body(
            description="A whole menu (the MenuImport shape): name, description and categories "
            "with their items and subcategories. Validated completely; every problem is "
            "reported with its path (422) and nothing is written unless all is valid."
        ),
    ],
    replace: Annotated[
        bool, Query(description="Replace the venue's menu of the same name (else 409)")
    ] = False,
) -> MenuImportResult:
    """Import a whole menu in one request, all-or-nothing (managers and owners)."""
    menu = menu_import.validate(payload)
    result = menu_import.apply(session, venue=venue, menu=menu, replace=replace)
    commit(session)
    set_location(response, f"/venues/{venue.id}/menus/{result.menu.id}")
    return result


# --- menus ------------------------------------------------------------------------------


@router.get("/venues/{venue_id}/menus", response_model=list[MenuRead])
def list_menus(venue: StaffedVenue, session: SessionDep) -> list[Menu]:
    """The venue's menus, in display order (staff and up)."""
    return list(menu_crud.list_menus(session, venue=venue))


@router.post(
    "/venues/{venue_id}/menus", response_model=MenuRead, status_code=status.HTTP_201_CREATED
)
@raises(MenuNameTaken)
def create_menu(
    venue: ManagedVenue, data: MenuCreate, session: SessionDep, response: Response
) -> Menu:
    menu = menu_crud.create_menu(session, venue=venue, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/menus/{menu.id}")
    return menu


@router.put("/venues/{venue_id}/menus/order", response_model=list[MenuRead])
@raises(OrderMismatch)
def reorder_menus(venue: ManagedVenue, data: Reorder, session: SessionDep) -> list[Menu]:
    """Put the venue's menus in this order (send every menu id once)."""
    menus = list(menu_crud.reorder_menus(session, venue=venue, ids=data.ids))
    commit(session)
    return menus


@router.patch("/venues/{venue_id}/menus/{menu_id}", response_model=MenuRead)
@raises(MenuNameTaken)
def update_menu(
    venue: ManagedVenue, menu_id: uuid.UUID, data: MenuUpdate, session: SessionDep
) -> Menu:
    menu = menu_crud.get_menu(session, venue=venue, menu_id=menu_id)
    menu_crud.update_menu(session, venue=venue, menu=menu, data=data)
    commit(session)
    return menu


@router.delete("/venues/{venue_id}/menus/{menu_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(NotEmpty)
def delete_menu(
    venue: ManagedVenue, menu_id: uuid.UUID, session: SessionDep, force: Force = False
) -> None:
    """Delete a menu; one that has items needs force=true (else 409)."""
    menu = menu_crud.get_menu(session, venue=venue, menu_id=menu_id)
    menu_crud.delete_menu(session, venue=venue, menu=menu, force=force)
    commit(session)


# --- categories -------------------------------------------------------------------------


@router.get("/venues/{venue_id}/menus/{menu_id}/categories", response_model=list[CategoryRead])
def list_categories(
    venue: StaffedVenue, menu_id: uuid.UUID, session: SessionDep
) -> list[MenuCategory]:
    menu = menu_crud.get_menu(session, venue=venue, menu_id=menu_id)
    return list(menu_crud.list_categories(session, venue=venue, menu=menu))


@router.post(
    "/venues/{venue_id}/menus/{menu_id}/categories",
    response_model=CategoryRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(InvalidParentCategory, SubcategoryDepth, CategoryNameTaken)
def create_category(
    venue: ManagedVenue,
    menu_id: uuid.UUID,
    data: CategoryCreate,
    session: SessionDep,
    response: Response,
) -> MenuCategory:
    """Add a category, or a subcategory with `parent_id`."""
    menu = menu_crud.get_menu(session, venue=venue, menu_id=menu_id)
    category = menu_crud.create_category(session, venue=venue, menu=menu, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/categories/{category.id}")
    return category


@router.put(
    "/venues/{venue_id}/menus/{menu_id}/categories/order", response_model=list[CategoryRead]
)
@raises(OrderMismatch)
def reorder_categories(
    venue: ManagedVenue, menu_id: uuid.UUID, data: CategoryReorder, session: SessionDep
) -> list[MenuCategory]:
    """Order the top-level categories of a menu, or the subcategories of `parent_id`."""
    menu = menu_crud.get_menu(session, venue=venue, menu_id=menu_id)
    categories = list(
        menu_crud.reorder_categories(
            session, venue=venue, menu=menu, parent_id=data.parent_id, ids=data.ids
        )
    )
    commit(session)
    return categories


@router.patch("/venues/{venue_id}/categories/{category_id}", response_model=CategoryRead)
@raises(CategoryNameTaken)
def update_category(
    venue: ManagedVenue, category_id: uuid.UUID, data: CategoryUpdate, session: SessionDep
) -> MenuCategory:
    category = menu_crud.get_category(session, venue=venue, category_id=category_id)
    menu_crud.update_category(session, venue=venue, category=category, data=data)
    commit(session)
    return category


@router.delete(
    "/venues/{venue_id}/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT
)
@raises(NotEmpty)
def delete_category(
    venue: ManagedVenue, category_id: uuid.UUID, session: SessionDep, force: Force = False
) -> None:
    """Delete a category; one with items or subcategories needs force=true (else 409)."""
    category = menu_crud.get_category(session, venue=venue, category_id=category_id)
    menu_crud.delete_category(session, venue=venue, category=category, force=force)
    commit(session)


# --- items ------------------------------------------------------------------------------


@router.get("/venues/{venue_id}/categories/{category_id}/items", response_model=list[ItemRead])
def list_items(venue: StaffedVenue, category_id: uuid.UUID, session: SessionDep) -> list[MenuItem]:
    category = menu_crud.get_category(session, venue=venue, category_id=category_id)
    return list(menu_crud.list_items(session, category=category))


@router.post(
    "/venues/{venue_id}/categories/{category_id}/items",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
)
def create_item(
    venue: ManagedVenue,
    category_id: uuid.UUID,
    data: ItemCreate,
    session: SessionDep,
    response: Response,
) -> MenuItem:
    category = menu_crud.get_category(session, venue=venue, category_id=category_id)
    item = menu_crud.create_item(session, venue=venue, category=category, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/items/{item.id}")
    return item


@router.put(
    "/venues/{venue_id}/categories/{category_id}/items/order", response_model=list[ItemRead]
)
@raises(OrderMismatch)
def reorder_items(
    venue: ManagedVenue, category_id: uuid.UUID, data: Reorder, session: SessionDep
) -> list[MenuItem]:
    """Put the items of a category in this order (send every item id once)."""
    category = menu_crud.get_category(session, venue=venue, category_id=category_id)
    items = list(menu_crud.reorder_items(session, venue=venue, category=category, ids=data.ids))
    commit(session)
    return items


@router.patch("/venues/{venue_id}/items/{item_id}", response_model=ItemRead)
@raises(NotAlcoholic, InvalidItemCategory)
def update_item(
    venue: ManagedVenue, item_id: uuid.UUID, data: ItemUpdate, session: SessionDep
) -> MenuItem:
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    menu_crud.update_item(session, venue=venue, item=item, data=data)
    commit(session)
    return item


@router.delete("/venues/{venue_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(venue: ManagedVenue, item_id: uuid.UUID, session: SessionDep) -> None:
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    menu_crud.delete_item(session, venue=venue, item=item)
    commit(session)


@router.put("/venues/{venue_id}/items/{item_id}/availability", response_model=ItemRead)
def set_item_availability(
    venue: StaffedVenue, item_id: uuid.UUID, data: Availability, session: SessionDep
) -> MenuItem:
    """Mark an item available or sold out (staff and up)."""
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    menu_crud.set_availability(session, venue=venue, item=item, is_available=data.is_available)
    commit(session)
    return item
