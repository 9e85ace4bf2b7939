"""Venues (one shared record, kind-specific columns) and the people who run them.

Geo: discovery filters by an exact bounding box on the (latitude, longitude) index
and then by exact great-circle distance (see `app.crud.venue.search`).

Opening hours are rows of `venue_opening_hours`: a weekday (0 = Monday) with an
opening and a closing local time; a closing time at or before the opening time
means the venue closes the next day (a club open 22:00-02:00 on Friday is one
Friday row), and opens == closes means open around the clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.models.base import (
    CreatedAtField,
    EnumColumn,
    IdField,
    MoneyField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
)


class VenueKind(StrEnum):
    NIGHTCLUB = "nightclub"
    RESTAURANT = "restaurant"
    QSR = "qsr"
    FOOD_COURT = "food_court"


class PaymentMode(StrEnum):
    """When a table pays: after each order (QSRs, pickup) or at the end (a running tab)."""

    PER_ORDER = "per_order"
    AT_END = "at_end"


# What a new venue of each kind starts with; a venue may change it.
DEFAULT_PAYMENT_MODE = {
    VenueKind.NIGHTCLUB: PaymentMode.AT_END,
    VenueKind.RESTAURANT: PaymentMode.AT_END,
    VenueKind.QSR: PaymentMode.PER_ORDER,
    VenueKind.FOOD_COURT: PaymentMode.PER_ORDER,
}


class VenueStatus(StrEnum):
    DRAFT = "draft"
    VERIFIED = "verified"


class VenueRole(StrEnum):
    """What a member may do at a venue; each role includes the ones below it."""

    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"

    @property
    def rank(self) -> int:
        return {VenueRole.STAFF: 1, VenueRole.MANAGER: 2, VenueRole.OWNER: 3}[self]

    def includes(self, other: VenueRole) -> bool:
        return self.rank >= other.rank


class Venue(SQLModel, table=True):
    __tablename__ = "venue"
    __table_args__ = (
        enum_check("kind", VenueKind),
        enum_check("status", VenueStatus),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        sa.CheckConstraint(
            "avg_cost_for_two_minor IS NULL OR avg_cost_for_two_minor >= 0",
            name="avg_cost_non_negative",
        ),
        sa.CheckConstraint(
            "cover_charge_minor IS NULL OR cover_charge_minor >= 0",
            name="cover_charge_non_negative",
        ),
        sa.CheckConstraint("food_court_id IS NULL OR kind = 'qsr'", name="only_qsr_in_food_court"),
        sa.CheckConstraint(
            "food_court_id IS NULL OR food_court_id <> id", name="not_own_food_court"
        ),
        sa.CheckConstraint("menu_version >= 0", name="menu_version_non_negative"),
        enum_check("payment_mode", PaymentMode),
        sa.CheckConstraint("packaging_charge_minor >= 0", name="packaging_charge_non_negative"),
        sa.CheckConstraint("service_charge_bps BETWEEN 0 AND 2500", name="service_charge_range"),
        # Discovery: a bounding-box range scan over public venues only.
        sa.Index(
            "ix_venue_public_latitude_longitude",
            "latitude",
            "longitude",
            postgresql_where=sa.text("status = 'verified' AND is_active"),
        ),
    )

    id: uuid.UUID = IdField()
    kind: VenueKind = Field(sa_column=EnumColumn(VenueKind))
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    status: VenueStatus = Field(
        default=VenueStatus.DRAFT,
        sa_column=EnumColumn(VenueStatus, server_default=VenueStatus.DRAFT.value),
    )
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    verified_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))

    address: str = Field(max_length=500)
    city: str = Field(default="Bengaluru", max_length=100)
    latitude: float
    longitude: float

    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=320)
    instagram_handle: str | None = Field(default=None, max_length=30)
    google_maps_url: str | None = Field(default=None, max_length=2048)
    zomato_url: str | None = Field(default=None, max_length=2048)
    swiggy_url: str | None = Field(default=None, max_length=2048)
    avg_cost_for_two_minor: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str = Field(default="INR", min_length=3, max_length=3)
    capacity: int | None = Field(default=None, ge=0)
    timezone: str = Field(default="Asia/Kolkata", max_length=64)
    photos: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )

    # Nightclub
    min_age: int | None = None
    cover_charge_minor: int | None = Field(default=None, sa_type=sa.BigInteger)
    dress_code: str | None = Field(default=None, max_length=500)
    # Restaurant
    cuisines: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.String(50)), nullable=False, server_default="{}"),
    )
    # QSR
    drive_thru: bool | None = None
    food_court_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue.id", ondelete="SET NULL", index=True
    )

    # Ordering and bills
    payment_mode: PaymentMode = Field(
        default=PaymentMode.PER_ORDER,
        sa_column=EnumColumn(PaymentMode, server_default=PaymentMode.PER_ORDER.value),
    )
    prices_include_tax: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    packaging_charge_minor: int = MoneyField(default=0)  # per pickup order
    service_charge_bps: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    is_accepting_orders: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})

    # Bumped (atomically) by every write to this venue's menus: the menu's ETag.
    menu_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class VenueOpeningHours(SQLModel, table=True):
    """One opening interval on one weekday, in the venue's local time."""

    __tablename__ = "venue_opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.UniqueConstraint("venue_id", "weekday", "opens"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    weekday: int = Field(sa_type=sa.SmallInteger)  # 0 = Monday ... 6 = Sunday
    opens: time
    closes: time  # at or before `opens`: closes the next day


class VenueInvite(SQLModel, table=True):
    """A single-use, expiring invitation to join a venue with a role.

    Only the SHA-256 of the emailed token is stored.
    """

    __tablename__ = "venue_invite"
    __table_args__ = (enum_check("role", VenueRole),)

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=320)
    role: VenueRole = Field(sa_column=EnumColumn(VenueRole))
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    expires_at: datetime = Field(sa_column=TimestampColumn())
    accepted_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    accepted_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    revoked_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()


class VenueMembership(SQLModel, table=True):
    """A business user's role at one venue."""

    __tablename__ = "venue_membership"
    __table_args__ = (
        sa.UniqueConstraint("venue_id", "user_id"),
        enum_check("role", VenueRole),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    role: VenueRole = Field(sa_column=EnumColumn(VenueRole))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()
