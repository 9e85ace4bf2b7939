"""Every table, imported so that `SQLModel.metadata` knows them all (Alembic, tests).

Each domain has its own module; add new modules to the imports below.
"""

from app.models.base import SQLModel
from app.models.user import Gender, User
from app.models.venue import Venue, VenueKind, VenueMembership, VenueRole, VenueStatus

__all__ = [
    "Gender",
    "SQLModel",
    "User",
    "Venue",
    "VenueKind",
    "VenueMembership",
    "VenueRole",
    "VenueStatus",
]
