"""Two managers adding the same label at once: one table, one 409 (real connections)."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.core.errors import Conflict
from app.crud import table as table_crud
from app.models import Venue, VenueKind, VenueStatus
from app.models.table import VenueTable
from app.schema.table import TableCreate


def test_concurrent_same_label_is_one_table_and_one_conflict(engine: Engine) -> None:
    with Session(engine) as setup:
        venue = Venue(
            kind=VenueKind.RESTAURANT,
            name="Race Cafe",
            address="2 Test Road",
            latitude=12.97,
            longitude=77.59,
            status=VenueStatus.VERIFIED,
        )
        setup.add(venue)
        setup.commit()
        venue_id = venue.id
    data = TableCreate(label="T1", seats=2)
    errors: list[BaseException] = []

    try:
        with Session(engine) as first:
            table_crud.create(first, venue_id=venue_id, data=data)  # row written, not committed

            def second_manager() -> None:
                with Session(engine) as second:
                    try:
                        table_crud.create(second, venue_id=venue_id, data=data)
                        second.commit()
                    except BaseException as exc:
                        errors.append(exc)

            worker = threading.Thread(target=second_manager)
            worker.start()  # waits on the unique index until `first` commits (or sees the row)
            first.commit()
            worker.join(timeout=60)
            assert not worker.is_alive()

        assert len(errors) == 1
        assert isinstance(errors[0], Conflict)
        with Session(engine) as check:
            count = check.exec(
                select(func.count()).select_from(VenueTable).where(VenueTable.venue_id == venue_id)
            ).one()
        assert count == 1
    finally:
        with Session(engine) as cleanup:
            doomed = cleanup.get(Venue, venue_id)
            if doomed is not None:
                cleanup.delete(doomed)
                cleanup.commit()
