"""Events hosted by a venue; what they sell is in `app.models.booking`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import (
    CreatedAtField,
    EnumColumn,
    IdField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
)
from app.models.venue import Venue


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        enum_check("status", EventStatus),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("min_age IS NULL OR min_age BETWEEN 0 AND 99", name="min_age_range"),
        sa.CheckConstraint("refund_percent BETWEEN 0 AND 100", name="refund_percent_range"),
        sa.CheckConstraint(
            "cancel_cutoff_minutes BETWEEN 0 AND 525600", name="cancel_cutoff_range"
        ),
        sa.Index("ix_event_venue_id_starts_at", "venue_id", "starts_at"),
        sa.Index("ix_event_status_ends_at", "status", "ends_at"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    starts_at: datetime = Field(sa_column=TimestampColumn())
    ends_at: datetime = Field(sa_column=TimestampColumn())
    image_url: str | None = Field(default=None, max_length=2048)
    min_age: int | None = None
    dress_code: str | None = Field(default=None, max_length=500)
    status: EventStatus = Field(
        default=EventStatus.SCHEDULED,
        sa_column=EnumColumn(EventStatus, server_default=EventStatus.SCHEDULED.value),
    )
    cancelled_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    # Refund policy: a consumer who cancels at least `cancel_cutoff_minutes` before
    # the start gets `refund_percent` of what they paid (100 full, 0 none).
    refund_percent: int = Field(default=100, sa_column_kwargs={"server_default": "100"})
    cancel_cutoff_minutes: int = Field(default=1440, sa_column_kwargs={"server_default": "1440"})
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()

    # Read-only, loaded on first use: a venue's own routes have it in the session
    # already (their guard loaded it), so no query is sent for it.
    venue: Venue = Relationship(sa_relationship_kwargs={"viewonly": True, "lazy": "select"})

    @property
    def venue_name(self) -> str:
        return self.venue.name
