"""Selling an event: offerings (pass types), capacity pools, bookings, tickets, door scans.

An offering draws from one or more of its event's pools, each pass taking a set
number of places of each (a couple pass: 2 of the 300 guests; a table package: 6
guests and 1 of the 12 tables). What is left of a pool is its size minus the
places of every booking line that draws from it: confirmed bookings, and held
ones whose hold has not expired yet (an expired hold stops counting at once,
whether or not a job has marked it).
Places are taken under row locks on the event's pools, always in id order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    CURRENCY_CHECK,
    CreatedAtField,
    CurrencyField,
    EnumColumn,
    IdField,
    MoneyField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
)


class OfferingKind(StrEnum):
    STAG = "stag"
    COUPLE = "couple"
    GROUP = "group"
    TABLE_PACKAGE = "table_package"


class OfferingStatus(StrEnum):
    ACTIVE = "active"  # on sale within its window
    HIDDEN = "hidden"  # not listed, not sold; can come back
    RETIRED = "retired"  # never sold again; kept for the bookings that hold it


class Offering(SQLModel, table=True):
    """A pass type of an event: a stag entry, a couple entry, a table package."""

    __tablename__ = "offering"
    __table_args__ = (
        enum_check("kind", OfferingKind),
        enum_check("status", OfferingStatus),
        sa.CheckConstraint("price_minor >= 0", name="price_non_negative"),
        sa.CheckConstraint("cover_credit_minor >= 0", name="cover_credit_non_negative"),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint("guests_per_pass BETWEEN 1 AND 100", name="guests_per_pass_range"),
        sa.CheckConstraint("max_per_booking BETWEEN 1 AND 100", name="max_per_booking_range"),
        sa.CheckConstraint(
            "sale_ends_at IS NULL OR sale_starts_at IS NULL OR sale_ends_at > sale_starts_at",
            name="sale_window_order",
        ),
        sa.Index("ix_offering_event_id_position", "event_id", "position"),
    )

    id: uuid.UUID = IdField()
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    kind: OfferingKind = Field(sa_column=EnumColumn(OfferingKind))
    price_minor: int = MoneyField()
    currency: str = CurrencyField()
    guests_per_pass: int = Field(default=1)
    # Spent at the bar that night once the holder is checked in (a later issue).
    cover_credit_minor: int = MoneyField(default=0)
    sale_starts_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    sale_ends_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    max_per_booking: int = Field(default=10)
    reentry_allowed: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    status: OfferingStatus = Field(
        default=OfferingStatus.ACTIVE,
        sa_column=EnumColumn(OfferingStatus, server_default=OfferingStatus.ACTIVE.value),
    )
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class CapacityPool(SQLModel, table=True):
    """Places an event can sell, shared by the offerings that draw from it: guests
    (a 300-guest night) or things (12 tables)."""

    __tablename__ = "capacity_pool"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint("size BETWEEN 0 AND 1000000", name="size_range"),
    )

    id: uuid.UUID = IdField()
    # Indexed by the (event_id, name) unique constraint.
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    size: int
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class CapacityPoolBooked(SQLModel, table=True):
    """The places of a pool's held and confirmed bookings, expired holds included until
    they are marked expired. Kept by triggers (migration 0015), never written by the app;
    `app.crud.capacity` subtracts the expired holds. A row of its own, not a column of
    the pool: bookings queue on the pool's row lock, and PostgreSQL keeps that queue in
    order only while the locked row is not updated (updated, its waiters race for each
    new version, and a booking's p99 doubled)."""

    __tablename__ = "capacity_pool_booked"
    __table_args__ = (sa.CheckConstraint("booked >= 0", name="booked_non_negative"),)

    pool_id: uuid.UUID = Field(foreign_key="capacity_pool.id", ondelete="CASCADE", primary_key=True)
    booked: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OfferingPool(SQLModel, table=True):
    """An offering draws from this pool: each pass sold takes `places_per_pass` of it
    (its guests, for a guest pool; 1 for a pool of tables)."""

    __tablename__ = "offering_pool"
    __table_args__ = (
        sa.CheckConstraint("places_per_pass BETWEEN 1 AND 100", name="places_per_pass_range"),
    )

    offering_id: uuid.UUID = Field(foreign_key="offering.id", ondelete="CASCADE", primary_key=True)
    # CASCADE so that deleting an event (or a draft venue) deletes its pools and links
    # in one statement (RESTRICT, even NO ACTION, refuses that: the pools' cascade runs
    # before the offerings'). A pool in use is refused by `crud.offering.delete_pool`,
    # under the event lock every change of the event's offerings and pools takes.
    pool_id: uuid.UUID = Field(
        foreign_key="capacity_pool.id", ondelete="CASCADE", primary_key=True, index=True
    )
    places_per_pass: int = Field(default=1)


class BookingStatus(StrEnum):
    HELD = "held"  # places held until hold_expires_at while the consumer pays
    CONFIRMED = "confirmed"  # paid; tickets issued
    EXPIRED = "expired"  # not paid in time; places returned
    FAILED = "failed"  # payment failed; places returned
    CANCELLED = "cancelled"  # cancelled after confirming (by the consumer, a manager or the event)


# Bookings that take places (a held one only until its hold expires).
PLACE_TAKING = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        enum_check("status", BookingStatus),
        sa.CheckConstraint("total_minor >= 0", name="total_non_negative"),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint("guests >= 1", name="guests_positive"),
        # Covering the capacity count (an event's bookings by status, as one index range).
        sa.Index(
            "ix_booking_event_id_status",
            "event_id",
            "status",
            postgresql_include=["id", "hold_expires_at"],
        ),
        sa.Index("ix_booking_consumer_id_created_at", "consumer_id", "created_at"),
        # Holds that have expired and are not marked yet: the expiry job's and the
        # capacity count's (`app.crud.capacity`), as short as the job's lag.
        sa.Index(
            "ix_booking_held_hold_expires_at",
            "hold_expires_at",
            postgresql_where=sa.text("status = 'held'"),
        ),
    )

    id: uuid.UUID = IdField()
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="RESTRICT")
    consumer_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    status: BookingStatus = Field(
        default=BookingStatus.HELD,
        sa_column=EnumColumn(BookingStatus, server_default=BookingStatus.HELD.value),
    )
    guests: int
    total_minor: int = MoneyField()
    currency: str = CurrencyField()
    hold_expires_at: datetime = Field(sa_column=TimestampColumn())
    confirmed_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class BookingItem(SQLModel, table=True):
    """Passes of one offering in a booking, with the price and credit at the time of booking."""

    __tablename__ = "booking_item"
    __table_args__ = (
        sa.UniqueConstraint("booking_id", "offering_id"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("guests >= 1", name="guests_positive"),
        sa.CheckConstraint("unit_price_minor >= 0", name="unit_price_non_negative"),
        sa.CheckConstraint("cover_credit_minor >= 0", name="cover_credit_non_negative"),
        # Covering the places an offering's passes take (the poster feed's sold-out check).
        sa.Index(
            "ix_booking_item_offering_id",
            "offering_id",
            postgresql_include=["booking_id", "quantity"],
        ),
    )

    id: uuid.UUID = IdField()
    # Indexed by the (booking_id, offering_id) unique constraint.
    booking_id: uuid.UUID = Field(foreign_key="booking.id", ondelete="CASCADE")
    offering_id: uuid.UUID = Field(foreign_key="offering.id", ondelete="RESTRICT")
    quantity: int
    guests: int  # quantity x guests per pass
    unit_price_minor: int = MoneyField()
    cover_credit_minor: int = MoneyField(default=0)


class TicketStatus(StrEnum):
    VALID = "valid"
    VOID = "void"  # the booking was cancelled or refunded


class Ticket(SQLModel, table=True):
    """One pass of a confirmed booking, admitting its guests at the door.

    Its QR token names the ticket and `token_version`; voiding bumps the version,
    so a screenshot of the old code stops working.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        enum_check("status", TicketStatus),
        sa.CheckConstraint("guests >= 1", name="guests_positive"),
        sa.CheckConstraint("token_version >= 1", name="token_version_positive"),
        sa.Index("ix_ticket_event_id_inside", "event_id", "inside"),
    )

    id: uuid.UUID = IdField()
    booking_id: uuid.UUID = Field(foreign_key="booking.id", ondelete="CASCADE", index=True)
    booking_item_id: uuid.UUID = Field(foreign_key="booking_item.id", ondelete="CASCADE")
    offering_id: uuid.UUID = Field(foreign_key="offering.id", ondelete="RESTRICT")
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="RESTRICT")
    guests: int
    status: TicketStatus = Field(
        default=TicketStatus.VALID,
        sa_column=EnumColumn(TicketStatus, server_default=TicketStatus.VALID.value),
    )
    token_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    inside: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    entered_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class ScanDirection(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class ScanOutcome(StrEnum):
    OK = "ok"
    ALREADY_INSIDE = "already_inside"
    NOT_INSIDE = "not_inside"  # an exit for a guest who is not in
    NO_REENTRY = "no_reentry"  # left once; this pass does not allow coming back
    VOID = "void"  # refunded or cancelled
    WRONG_EVENT = "wrong_event"
    NOT_OPEN_YET = "not_open_yet"  # an entry before the door opens
    EVENT_OVER = "event_over"  # an entry after the event ended
    EVENT_CANCELLED = "event_cancelled"
    UNKNOWN = "unknown"  # not a ticket code of ours (forged, garbled): no ticket recorded


class TicketScan(SQLModel, table=True):
    """One scan at the door, as the device saw it. `client_nonce` is chosen by the
    scanning device, so a scan uploaded twice (a device back online) counts once."""

    __tablename__ = "ticket_scan"
    __table_args__ = (
        enum_check("direction", ScanDirection),
        enum_check("outcome", ScanOutcome),
        sa.UniqueConstraint("event_id", "client_nonce"),
        sa.Index("ix_ticket_scan_ticket_id_scanned_at", "ticket_id", "scanned_at"),
    )

    id: uuid.UUID = IdField()
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="CASCADE")
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="ticket.id", ondelete="CASCADE")
    scanned_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    client_nonce: str = Field(max_length=64)
    gate: str | None = Field(default=None, max_length=50)
    direction: ScanDirection = Field(sa_column=EnumColumn(ScanDirection))
    outcome: ScanOutcome = Field(sa_column=EnumColumn(ScanOutcome))
    scanned_at: datetime = Field(sa_column=TimestampColumn())  # on the device
    recorded_at: datetime = CreatedAtField()
