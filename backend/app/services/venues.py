"""Venue workflows that span tables: a venue change that moves it re-covers its posters."""

from __future__ import annotations

from sqlmodel import Session

from app.crud import poster as poster_crud
from app.crud import venue as venue_crud
from app.models import Venue
from app.schema.venue import VenueUpdate


def update(session: Session, *, venue: Venue, data: VenueUpdate) -> Venue:
    """Change a venue's details; when its location changes, every poster placed at it (or
    at its events) gets the geo cells of the new place, in the same transaction."""
    before = (venue.latitude, venue.longitude)
    venue_crud.update(session, venue=venue, data=data)
    if (venue.latitude, venue.longitude) != before:
        poster_crud.refresh_cells_for_venue(session, venue_id=venue.id)
    return venue
