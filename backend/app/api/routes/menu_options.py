"""Routes: a venue's tax classes, and the options of its menu items (variants with their
own price, add-on groups with priced add-ons). Every write changes the menu's ETag."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from app.api.deps import ManagedVenue, SessionDep, StaffedVenue, commit
from app.api.location import set_location
from app.core.errors import (
    AddOnGroupNameTaken,
    AddOnNameTaken,
    InvalidChoices,
    OptionCurrencyMismatch,
    TaxClassInUse,
    TaxClassNameTaken,
    VariantNameTaken,
    raises,
)
from app.crud import menu as menu_crud
from app.models.menu import AddOn, MenuItemVariant, TaxClass
from app.schema.menu import (
    AddOnCreate,
    AddOnGroupCreate,
    AddOnGroupRead,
    AddOnGroupUpdate,
    AddOnRead,
    AddOnUpdate,
    Availability,
    TaxClassCreate,
    TaxClassRead,
    TaxClassUpdate,
    VariantCreate,
    VariantRead,
    VariantUpdate,
)

router = APIRouter(tags=["menus"])

V = "/venues/{venue_id}"


# --- tax classes ------------------------------------------------------------------------


@router.get(V + "/tax-classes", response_model=list[TaxClassRead])
def list_tax_classes(venue: StaffedVenue, session: SessionDep) -> list[TaxClass]:
    """The venue's tax classes, by name (staff and up)."""
    return list(menu_crud.list_tax_classes(session, venue=venue))


@router.post(V + "/tax-classes", response_model=TaxClassRead, status_code=status.HTTP_201_CREATED)
@raises(TaxClassNameTaken)
def create_tax_class(
    venue: ManagedVenue, data: TaxClassCreate, session: SessionDep, response: Response
) -> TaxClass:
    """Add a tax class ("Food GST 5%": rate_bps 500) to give items (managers and owners)."""
    tax_class = menu_crud.create_tax_class(session, venue=venue, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/tax-classes/{tax_class.id}")
    return tax_class


@router.patch(V + "/tax-classes/{tax_class_id}", response_model=TaxClassRead)
@raises(TaxClassNameTaken)
def update_tax_class(
    venue: ManagedVenue, tax_class_id: uuid.UUID, data: TaxClassUpdate, session: SessionDep
) -> TaxClass:
    """Rename or re-rate a tax class; orders already placed keep the rate they had."""
    tax_class = menu_crud.get_tax_class(session, venue=venue, tax_class_id=tax_class_id)
    menu_crud.update_tax_class(session, venue=venue, tax_class=tax_class, data=data)
    commit(session)
    return tax_class


@router.delete(V + "/tax-classes/{tax_class_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(TaxClassInUse)
def delete_tax_class(venue: ManagedVenue, tax_class_id: uuid.UUID, session: SessionDep) -> None:
    """Delete a tax class no item uses (else 409 `tax_class_in_use`)."""
    tax_class = menu_crud.get_tax_class(session, venue=venue, tax_class_id=tax_class_id)
    menu_crud.delete_tax_class(session, venue=venue, tax_class=tax_class)
    commit(session)


# --- variants ---------------------------------------------------------------------------


@router.get(V + "/items/{item_id}/variants", response_model=list[VariantRead])
def list_variants(
    venue: StaffedVenue, item_id: uuid.UUID, session: SessionDep
) -> list[MenuItemVariant]:
    """An item's variants, in display order (staff and up)."""
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    return list(menu_crud.list_variants(session, item=item))


@router.post(
    V + "/items/{item_id}/variants",
    response_model=VariantRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(VariantNameTaken, OptionCurrencyMismatch)
def create_variant(
    venue: ManagedVenue,
    item_id: uuid.UUID,
    data: VariantCreate,
    session: SessionDep,
    response: Response,
) -> MenuItemVariant:
    """Add a size or portion with its own price (an item with variants is ordered as one
    of them)."""
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    variant = menu_crud.create_variant(session, venue=venue, item=item, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/variants/{variant.id}")
    return variant


@router.patch(V + "/variants/{variant_id}", response_model=VariantRead)
@raises(VariantNameTaken, OptionCurrencyMismatch)
def update_variant(
    venue: ManagedVenue, variant_id: uuid.UUID, data: VariantUpdate, session: SessionDep
) -> MenuItemVariant:
    variant = menu_crud.get_variant(session, venue=venue, variant_id=variant_id)
    menu_crud.update_variant(session, venue=venue, variant=variant, data=data)
    commit(session)
    return variant


@router.delete(V + "/variants/{variant_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_variant(venue: ManagedVenue, variant_id: uuid.UUID, session: SessionDep) -> None:
    variant = menu_crud.get_variant(session, venue=venue, variant_id=variant_id)
    menu_crud.delete_variant(session, venue=venue, variant=variant)
    commit(session)


@router.put(V + "/variants/{variant_id}/availability", response_model=VariantRead)
def set_variant_availability(
    venue: StaffedVenue, variant_id: uuid.UUID, data: Availability, session: SessionDep
) -> MenuItemVariant:
    """Mark a variant available or sold out (staff and up)."""
    variant = menu_crud.get_variant(session, venue=venue, variant_id=variant_id)
    menu_crud.set_variant_availability(
        session, venue=venue, variant=variant, is_available=data.is_available
    )
    commit(session)
    return variant


# --- add-on groups and add-ons ----------------------------------------------------------


@router.get(V + "/items/{item_id}/add-on-groups", response_model=list[AddOnGroupRead])
def list_add_on_groups(
    venue: StaffedVenue, item_id: uuid.UUID, session: SessionDep
) -> list[dict[str, Any]]:
    """An item's add-on groups with their add-ons, in display order (staff and up)."""
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    return menu_crud.list_add_on_groups(session, item=item)


@router.post(
    V + "/items/{item_id}/add-on-groups",
    response_model=AddOnGroupRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(AddOnGroupNameTaken, OptionCurrencyMismatch)
def create_add_on_group(
    venue: ManagedVenue,
    item_id: uuid.UUID,
    data: AddOnGroupCreate,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    """Add a choice of extras (between `min_choices` and `max_choices` of them per
    ordered item), optionally with its add-ons."""
    item = menu_crud.get_item(session, venue=venue, item_id=item_id)
    group = menu_crud.create_add_on_group(session, venue=venue, item=item, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/add-on-groups/{group['id']}")
    return group


@router.patch(V + "/add-on-groups/{group_id}", response_model=AddOnGroupRead)
@raises(AddOnGroupNameTaken, InvalidChoices)
def update_add_on_group(
    venue: ManagedVenue, group_id: uuid.UUID, data: AddOnGroupUpdate, session: SessionDep
) -> dict[str, Any]:
    """Change a group; the resulting `min_choices` may not exceed `max_choices` (422)."""
    group = menu_crud.get_add_on_group(session, venue=venue, group_id=group_id)
    updated = menu_crud.update_add_on_group(session, venue=venue, group=group, data=data)
    commit(session)
    return updated


@router.delete(V + "/add-on-groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_add_on_group(venue: ManagedVenue, group_id: uuid.UUID, session: SessionDep) -> None:
    """Delete a group with its add-ons."""
    group = menu_crud.get_add_on_group(session, venue=venue, group_id=group_id)
    menu_crud.delete_add_on_group(session, venue=venue, group=group)
    commit(session)


@router.post(
    V + "/add-on-groups/{group_id}/add-ons",
    response_model=AddOnRead,
    status_code=status.HTTP_201_CREATED,
)
@raises(AddOnNameTaken, OptionCurrencyMismatch)
def create_add_on(
    venue: ManagedVenue,
    group_id: uuid.UUID,
    data: AddOnCreate,
    session: SessionDep,
    response: Response,
) -> AddOn:
    group = menu_crud.get_add_on_group(session, venue=venue, group_id=group_id)
    add_on = menu_crud.create_add_on(session, venue=venue, group=group, data=data)
    commit(session)
    set_location(response, f"/venues/{venue.id}/add-ons/{add_on.id}")
    return add_on


@router.patch(V + "/add-ons/{add_on_id}", response_model=AddOnRead)
@raises(AddOnNameTaken, OptionCurrencyMismatch)
def update_add_on(
    venue: ManagedVenue, add_on_id: uuid.UUID, data: AddOnUpdate, session: SessionDep
) -> AddOn:
    add_on = menu_crud.get_add_on(session, venue=venue, add_on_id=add_on_id)
    menu_crud.update_add_on(session, venue=venue, add_on=add_on, data=data)
    commit(session)
    return add_on


@router.delete(V + "/add-ons/{add_on_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_add_on(venue: ManagedVenue, add_on_id: uuid.UUID, session: SessionDep) -> None:
    add_on = menu_crud.get_add_on(session, venue=venue, add_on_id=add_on_id)
    menu_crud.delete_add_on(session, venue=venue, add_on=add_on)
    commit(session)


@router.put(V + "/add-ons/{add_on_id}/availability", response_model=AddOnRead)
def set_add_on_availability(
    venue: StaffedVenue, add_on_id: uuid.UUID, data: Availability, session: SessionDep
) -> AddOn:
    """Mark an add-on available or sold out (staff and up)."""
    add_on = menu_crud.get_add_on(session, venue=venue, add_on_id=add_on_id)
    menu_crud.set_add_on_availability(
        session, venue=venue, add_on=add_on, is_available=data.is_available
    )
    commit(session)
    return add_on
