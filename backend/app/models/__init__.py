"""Every table, imported so that `SQLModel.metadata` knows them all (Alembic, tests).

Each domain has its own module; import tables from their module
(`from app.models.menu import MenuItem`). The most used ones are re-exported here.
"""

from app.models import (  # noqa: F401  (registers tables)
    auth,
    booking,
    event,
    group,
    job,
    menu,
    order,
    payment,
    poster,
    push,
    table,
)
from app.models.base import SQLModel
from app.models.event import Event, EventStatus
from app.models.user import Gender, User
from app.models.venue import Venue, VenueKind, VenueMembership, VenueRole, VenueStatus

__all__ = [
    "Event",
    "EventStatus",
    "Gender",
    "SQLModel",
    "User",
    "Venue",
    "VenueKind",
    "VenueMembership",
    "VenueRole",
    "VenueStatus",
]
