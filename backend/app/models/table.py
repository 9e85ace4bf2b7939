"""A venue's tables (each with a QR code) and how often each code is scanned.

The table is called `venue_table` in the database (`table` is a reserved word).
A table's QR token names the venue, the table and `token_version`; bumping the
version (rotation, deactivation) makes every code printed before it stop working.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAtField, IdField, UpdatedAtField


class VenueTable(SQLModel, table=True):
    __tablename__ = "venue_table"
    __table_args__ = (
        sa.UniqueConstraint("venue_id", "label"),
        sa.CheckConstraint("seats BETWEEN 1 AND 100", name="seats_range"),
        sa.CheckConstraint("token_version >= 1", name="token_version_positive"),
    )

    id: uuid.UUID = IdField()
    # Indexed by the (venue_id, label) unique constraint.
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    label: str = Field(max_length=50)
    seats: int
    area: str | None = Field(default=None, max_length=100)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    token_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class VenueTableScanDay(SQLModel, table=True):
    """Scans of one table's QR code on one day (the venue's local date)."""

    __tablename__ = "venue_table_scan_day"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="count_non_negative"),)

    table_id: uuid.UUID = Field(foreign_key="venue_table.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
