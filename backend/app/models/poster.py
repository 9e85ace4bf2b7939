"""Carousel posters, the H3 cells that cover their circles, and their impressions and taps.

A poster belongs to a venue (`venue_id`, always set: the venue that runs it and
whose location is the poster's position) and promotes either that venue
(`event_id` NULL) or one of its events (`event_id` set).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    CreatedAtField,
    EnumColumn,
    IdField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
    utcnow,
)

MIN_RADIUS_M = 100
MAX_RADIUS_M = 50_000
MAX_PRIORITY = 1000


class PosterInteraction(StrEnum):
    """What the app reports about a poster."""

    IMPRESSION = "impression"
    TAP = "tap"


class Poster(SQLModel, table=True):
    __tablename__ = "poster"
    __table_args__ = (
        sa.CheckConstraint("expires_at > starts_at", name="expires_after_start"),
        sa.CheckConstraint(
            f"radius_m BETWEEN {MIN_RADIUS_M} AND {MAX_RADIUS_M}", name="radius_range"
        ),
        sa.CheckConstraint(f"priority BETWEEN 0 AND {MAX_PRIORITY}", name="priority_range"),
        sa.CheckConstraint("h3_resolution BETWEEN 0 AND 15", name="h3_resolution_range"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    event_id: uuid.UUID | None = Field(
        default=None, foreign_key="event.id", ondelete="CASCADE", index=True
    )
    title: str | None = Field(default=None, max_length=200)
    image_url: str = Field(max_length=2048)
    deep_link: str = Field(max_length=2048)
    starts_at: datetime = Field(sa_column=TimestampColumn())
    expires_at: datetime = Field(sa_column=TimestampColumn())
    radius_m: int
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    is_paused: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The H3 resolution its covering cells are at (a function of the radius).
    h3_resolution: int = Field(sa_type=sa.SmallInteger)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class PosterCell(SQLModel, table=True):
    """One H3 cell of the set that covers a poster's circle (the feed's geo index)."""

    __tablename__ = "poster_cell"
    __table_args__ = (sa.Index("ix_poster_cell_cell_poster_id", "cell", "poster_id"),)

    poster_id: uuid.UUID = Field(foreign_key="poster.id", ondelete="CASCADE", primary_key=True)
    cell: int = Field(sa_type=sa.BigInteger, primary_key=True)
    resolution: int = Field(sa_type=sa.SmallInteger)


class PosterDailyStat(SQLModel, table=True):
    """Impressions and taps of one poster on one day (the venue's local date)."""

    __tablename__ = "poster_daily_stat"
    __table_args__ = (
        sa.CheckConstraint("impressions >= 0 AND taps >= 0", name="counts_non_negative"),
    )

    poster_id: uuid.UUID = Field(foreign_key="poster.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    impressions: int = Field(default=0, sa_type=sa.BigInteger)
    taps: int = Field(default=0, sa_type=sa.BigInteger)


class PosterAreaStat(SQLModel, table=True):
    """Impressions and taps of one poster on one day from one H3 resolution-7 area."""

    __tablename__ = "poster_area_stat"
    __table_args__ = (
        sa.CheckConstraint("impressions >= 0 AND taps >= 0", name="counts_non_negative"),
    )

    poster_id: uuid.UUID = Field(foreign_key="poster.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    area: int = Field(sa_type=sa.BigInteger, primary_key=True)
    impressions: int = Field(default=0, sa_type=sa.BigInteger)
    taps: int = Field(default=0, sa_type=sa.BigInteger)


class PosterEventReceipt(SQLModel, table=True):
    """A client event id already counted: a retried batch does not count twice."""

    __tablename__ = "poster_event_receipt"
    __table_args__ = (enum_check("kind", PosterInteraction),)

    client_event_id: uuid.UUID = Field(primary_key=True)
    poster_id: uuid.UUID = Field(foreign_key="poster.id", ondelete="CASCADE", index=True)
    kind: PosterInteraction = Field(sa_column=EnumColumn(PosterInteraction))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=TimestampColumn(default_now=True, index=True)
    )
