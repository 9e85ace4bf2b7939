"""The H3 cell of a venue follows its location, however the row is written."""

from __future__ import annotations

import h3
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from app.crud import venue as venue_crud
from app.models import Venue
from app.models.venue import VENUE_H3_RESOLUTION, venue_h3_cell
from app.schema.venue import VenueUpdate
from tests.factories import make_user, make_venue


def test_cell_is_set_on_insert_and_follows_updates(session: Session) -> None:
    venue = make_venue(session, latitude=12.9716, longitude=77.5946)
    stored = session.execute(
        sa.select(col(Venue.h3_cell)).where(col(Venue.id) == venue.id)
    ).scalar_one()
    assert stored == venue_h3_cell(12.9716, 77.5946)
    assert h3.get_resolution(h3.int_to_str(stored)) == VENUE_H3_RESOLUTION

    venue_crud.update(session, venue=venue, data=VenueUpdate(latitude=13.0358, longitude=77.5970))
    session.expire_all()
    stored = session.execute(
        sa.select(col(Venue.h3_cell)).where(col(Venue.id) == venue.id)
    ).scalar_one()
    assert stored == venue_h3_cell(13.0358, 77.5970)
    assert h3.cell_to_latlng(h3.int_to_str(stored)) == approx_point(13.0358, 77.5970)


def approx_point(lat: float, lng: float) -> object:
    # The cell's centre is within a cell's size (~0.2 km, ~0.002 degrees) of the point.
    return pytest.approx((lat, lng), abs=0.004)


def test_direct_orm_changes_keep_the_cell(session: Session) -> None:
    venue = make_venue(session, owner=make_user(session))
    venue.latitude = 28.6139
    venue.longitude = 77.2090
    session.add(venue)
    session.flush()
    session.expire_all()
    fresh = session.get(Venue, venue.id)
    assert fresh is not None
    assert fresh.h3_cell == venue_h3_cell(28.6139, 77.2090)
