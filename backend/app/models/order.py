"""Ordering: table sessions, pickup points, orders and their lines, status history,
the live event log, bills with gapless invoice numbers, and bill shares.

- A *table session* is a table's open tab: everyone who scans the table's code joins
  it (`table_session_member`) and shares its bill. A partial unique index keeps one
  open session per table, whatever the races.
- An *order* is placed on a session (dine-in, nightclub tab) or at a pickup point
  (pickup). A food-court cart is one parent order (at the food court, holding the
  payment) with one sub-order per QSR (`parent_id`), each with its own status.
  Lines keep a copy of every name and price at the moment of ordering.
- A *bill* is what is owed: for one prepaid order, or for a pay-at-the-end session.
  It gets an invoice number from `invoice_counter`, gapless per venue and Indian
  financial year (April to March): the counter row is raised in the transaction that
  issues the bill, so a rollback gives the number back.
- A *bill share* is one payment towards a pay-at-the-end bill (all of it, an equal
  share, some items, or an amount). Shares not failed or expired never add up to more
  than the bill (checked under the bill's row lock).
- `order_event` is the log the live streams read: every change that staff or the
  consumer should see, with an increasing id (the SSE `Last-Event-ID`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
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
from app.models.venue import PaymentMode

# --- pickup points --------------------------------------------------------------------


class PickupPoint(SQLModel, table=True):
    """A counter where pickup orders are collected ("Bar 2", "Counter A")."""

    __tablename__ = "pickup_point"
    __table_args__ = (sa.UniqueConstraint("venue_id", "name"),)

    id: uuid.UUID = IdField()
    # Indexed by the (venue_id, name) unique constraint.
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    display_order: int = Field(default=0)
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


# --- table sessions -------------------------------------------------------------------


class TableSessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SessionCloseReason(StrEnum):
    SETTLED = "settled"  # its bill was paid in full
    STAFF = "staff"  # closed by staff
    MERGED = "merged"  # merged into another session (`merged_into_id`)


class TableSession(SQLModel, table=True):
    __tablename__ = "table_session"
    __table_args__ = (
        enum_check("status", TableSessionStatus),
        enum_check("payment_mode", PaymentMode),
        enum_check("close_reason", SessionCloseReason),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_at_when_closed"),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR close_reason = 'merged'", name="merged_into_when_merged"
        ),
        # One open session per table: two phones scanning at once meet here.
        sa.Index(
            "uq_table_session_open_table_id",
            "table_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_table_session_venue_id_status", "venue_id", "status"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    table_id: uuid.UUID = Field(foreign_key="venue_table.id", ondelete="RESTRICT", index=True)
    status: TableSessionStatus = Field(
        default=TableSessionStatus.OPEN,
        sa_column=EnumColumn(TableSessionStatus, server_default=TableSessionStatus.OPEN.value),
    )
    # Copied from the venue when the session opens: a change of mode applies to new ones.
    payment_mode: PaymentMode = Field(sa_column=EnumColumn(PaymentMode))
    opened_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    opened_at: datetime = CreatedAtField()
    closed_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    closed_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    close_reason: SessionCloseReason | None = Field(
        default=None, sa_column=EnumColumn(SessionCloseReason, nullable=True)
    )
    merged_into_id: uuid.UUID | None = Field(
        default=None, foreign_key="table_session.id", ondelete="SET NULL"
    )
    updated_at: datetime = UpdatedAtField()


class TableSessionMember(SQLModel, table=True):
    """Someone who scanned the table's code and joined its session. `joined_at` is
    renewed by every scan: ordering needs a recent one."""

    __tablename__ = "table_session_member"

    session_id: uuid.UUID = Field(
        foreign_key="table_session.id", ondelete="CASCADE", primary_key=True
    )
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", primary_key=True, index=True
    )
    first_joined_at: datetime = CreatedAtField()
    joined_at: datetime = CreatedAtField()


# --- orders ---------------------------------------------------------------------------


class OrderKind(StrEnum):
    DINE_IN = "dine_in"  # on a table session
    PICKUP = "pickup"  # at a pickup point, prepaid
    TAB = "tab"  # a nightclub's running tab, paid at the end


class OrderStatus(StrEnum):
    """awaiting_payment -> placed (prepaid orders, once paid), or placed at once (on a
    tab); then accepted -> preparing -> ready -> served / picked_up -> completed; or
    rejected (staff) / cancelled (consumer until accepted; staff) / abandoned (never
    paid). See `app.services.order_flow` for who may make which move."""

    AWAITING_PAYMENT = "awaiting_payment"
    PLACED = "placed"
    ACCEPTED = "accepted"
    PREPARING = "preparing"
    READY = "ready"
    SERVED = "served"
    PICKED_UP = "picked_up"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"


OPEN_ORDER_STATUSES = frozenset(
    {
        OrderStatus.PLACED,
        OrderStatus.ACCEPTED,
        OrderStatus.PREPARING,
        OrderStatus.READY,
        OrderStatus.SERVED,
        OrderStatus.PICKED_UP,
    }
)
# Orders that were sold: what a venue's sales count.
SOLD_ORDER_STATUSES = frozenset({OrderStatus.SERVED, OrderStatus.PICKED_UP, OrderStatus.COMPLETED})
# What never counts towards a bill.
VOID_ORDER_STATUSES = frozenset(
    {OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.ABANDONED}
)


class Order(SQLModel, table=True):
    """An order at one venue, or (a food-court cart) the parent of one sub-order per QSR.

    Amounts are the server's, computed once when the order is placed
    (`app.services.pricing`); for a sub-order they are that QSR's part.
    """

    __tablename__ = "venue_order"  # `order` is a reserved word
    __table_args__ = (
        enum_check("kind", OrderKind),
        enum_check("status", OrderStatus),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND tax_minor >= 0 AND packaging_minor >= 0"
            " AND service_charge_minor >= 0 AND total_minor >= 0",
            name="amounts_non_negative",
        ),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint(
            "credit_minor >= 0 AND credit_minor <= total_minor", name="credit_within_total"
        ),
        sa.CheckConstraint("kind <> 'pickup' OR session_id IS NULL", name="pickup_has_no_session"),
        sa.CheckConstraint(
            "kind = 'pickup' OR session_id IS NOT NULL OR parent_id IS NOT NULL",
            name="table_order_has_session",
        ),
        sa.Index("ix_venue_order_venue_id_status_placed_at", "venue_id", "status", "placed_at"),
        sa.Index("ix_venue_order_placed_by_id_created_at", "placed_by_id", "created_at"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="RESTRICT")
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue_order.id", ondelete="CASCADE", index=True
    )
    kind: OrderKind = Field(sa_column=EnumColumn(OrderKind))
    status: OrderStatus = Field(sa_column=EnumColumn(OrderStatus))
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="table_session.id", ondelete="RESTRICT", index=True
    )
    pickup_point_id: uuid.UUID | None = Field(
        default=None, foreign_key="pickup_point.id", ondelete="RESTRICT"
    )
    placed_by_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    # A short number staff call out ("order 42"), counted per venue and local day.
    number: int = Field(default=0)
    note: str | None = Field(default=None, max_length=500)
    currency: str = CurrencyField()
    subtotal_minor: int = MoneyField(default=0)  # lines, as priced on the menu
    tax_minor: int = MoneyField(default=0)  # added or included, see `prices_include_tax`
    packaging_minor: int = MoneyField(default=0)
    service_charge_minor: int = MoneyField(default=0)
    rounding_minor: int = Field(default=0, sa_type=sa.BigInteger)  # may be negative
    total_minor: int = MoneyField(default=0)
    # What the consumer's cover credit paid of it (the payment is for the rest).
    credit_minor: int = MoneyField(default=0)
    prices_include_tax: bool = Field(default=False)
    # Per tax class: [{"name", "rate_bps", "taxable_minor", "tax_minor"}]
    taxes: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="[]"),
    )
    placed_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class OrderLine(SQLModel, table=True):
    """One line of an order, with a copy of the names and prices it was ordered at."""

    __tablename__ = "order_line"
    __table_args__ = (
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name="quantity_range"),
        sa.CheckConstraint(
            "unit_price_minor >= 0 AND amount_minor >= 0 AND tax_minor >= 0",
            name="amounts_non_negative",
        ),
        sa.CheckConstraint("tax_rate_bps BETWEEN 0 AND 10000", name="tax_rate_range"),
        sa.Index("ix_order_line_order_id_position", "order_id", "position"),
    )

    id: uuid.UUID = IdField()
    order_id: uuid.UUID = Field(foreign_key="venue_order.id", ondelete="CASCADE")
    position: int = Field(default=0)
    item_id: uuid.UUID | None = Field(default=None, foreign_key="menu_item.id", ondelete="SET NULL")
    variant_id: uuid.UUID | None = Field(
        default=None, foreign_key="menu_item_variant.id", ondelete="SET NULL"
    )
    name: str = Field(max_length=200)
    variant_name: str | None = Field(default=None, max_length=100)
    # [{"id", "group", "name", "price_minor"}]
    add_ons: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="[]"),
    )
    unit_price_minor: int = MoneyField()  # item or variant price plus its add-ons
    quantity: int
    amount_minor: int = MoneyField()  # unit price times quantity
    tax_class_id: uuid.UUID | None = Field(
        default=None, foreign_key="tax_class.id", ondelete="SET NULL"
    )
    tax_name: str | None = Field(default=None, max_length=100)
    tax_rate_bps: int = Field(default=0)
    tax_minor: int = MoneyField(default=0)
    note: str | None = Field(default=None, max_length=200)


class OrderStatusChange(SQLModel, table=True):
    """Every move of an order: who, when, from, to, why."""

    __tablename__ = "order_status_change"
    __table_args__ = (
        enum_check("to_status", OrderStatus),
        sa.CheckConstraint(
            "from_status IS NULL OR from_status IN ("
            + ", ".join(f"'{s.value}'" for s in OrderStatus)
            + ")",
            name="from_status_valid",
        ),
        sa.Index("ix_order_status_change_order_id_id", "order_id", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), sa.Identity(), primary_key=True)
    )
    order_id: uuid.UUID = Field(foreign_key="venue_order.id", ondelete="CASCADE")
    from_status: OrderStatus | None = Field(
        default=None, sa_column=EnumColumn(OrderStatus, nullable=True)
    )
    to_status: OrderStatus = Field(sa_column=EnumColumn(OrderStatus))
    by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = CreatedAtField()


class OrderDayCounter(SQLModel, table=True):
    """The last order number given at a venue on one local day."""

    __tablename__ = "order_day_counter"

    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", primary_key=True)
    day: datetime = Field(sa_column=sa.Column(sa.Date(), primary_key=True))
    last_number: int = Field(default=0)


# --- the live event log ---------------------------------------------------------------


class LiveEventKind(StrEnum):
    ORDER = "order"  # an order was placed or changed status
    SESSION = "session"  # a session opened, was joined, moved, merged or closed
    BILL = "bill"  # a bill was issued, or a share of it paid


class LiveEvent(SQLModel, table=True):
    """One change the live streams send: to the staff of `venue_id` (and of
    `parent_venue_id`, the food court of a QSR), to the people of `session_id`, and
    to `user_id` (the consumer who placed the order). Written in the transaction of
    the change, with a NOTIFY that wakes the streams when it commits."""

    __tablename__ = "live_event"
    __table_args__ = (
        enum_check("kind", LiveEventKind),
        sa.Index("ix_live_event_venue_id_id", "venue_id", "id"),
        sa.Index("ix_live_event_parent_venue_id_id", "parent_venue_id", "id"),
        sa.Index("ix_live_event_session_id_id", "session_id", "id"),
        sa.Index("ix_live_event_user_id_id", "user_id", "id"),
        sa.Index("ix_live_event_created_at", "created_at"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), sa.Identity(), primary_key=True)
    )
    kind: LiveEventKind = Field(sa_column=EnumColumn(LiveEventKind))
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    parent_venue_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue.id", ondelete="CASCADE"
    )
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="table_session.id", ondelete="CASCADE"
    )
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue_order.id", ondelete="CASCADE"
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    created_at: datetime = CreatedAtField()


# --- bills ----------------------------------------------------------------------------


class BillStatus(StrEnum):
    OPEN = "open"  # issued, not fully paid
    PAID = "paid"
    VOID = "void"  # cancelled after issue (the number stays used)


class Bill(SQLModel, table=True):
    """What is owed for one prepaid order (`order_id`) or one pay-at-the-end session
    (`session_id`), with its invoice number."""

    __tablename__ = "bill"
    __table_args__ = (
        enum_check("status", BillStatus),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint(
            "(order_id IS NULL) <> (session_id IS NULL)", name="for_order_or_session"
        ),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND tax_minor >= 0 AND packaging_minor >= 0"
            " AND service_charge_minor >= 0 AND total_minor >= 0",
            name="amounts_non_negative",
        ),
        sa.CheckConstraint(
            "paid_minor >= 0 AND paid_minor <= total_minor", name="paid_within_total"
        ),
        sa.CheckConstraint("financial_year BETWEEN 2000 AND 2999", name="financial_year_range"),
        sa.CheckConstraint("invoice_seq >= 1", name="invoice_seq_positive"),
        sa.UniqueConstraint("venue_id", "financial_year", "invoice_seq"),
        sa.Index(
            "uq_bill_session_id_live",
            "session_id",
            unique=True,
            postgresql_where=sa.text("status <> 'void'"),
        ),
        sa.Index("uq_bill_order_id", "order_id", unique=True),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="RESTRICT")
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue_order.id", ondelete="RESTRICT"
    )
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="table_session.id", ondelete="RESTRICT"
    )
    status: BillStatus = Field(
        default=BillStatus.OPEN,
        sa_column=EnumColumn(BillStatus, server_default=BillStatus.OPEN.value),
    )
    # The Indian financial year by the year it starts in (2026 = April 2026 to March 2027)
    financial_year: int
    invoice_seq: int
    invoice_number: str = Field(max_length=40, unique=True)  # "SOC-<venue>-2026-27-000123"
    currency: str = CurrencyField()
    subtotal_minor: int = MoneyField(default=0)
    tax_minor: int = MoneyField(default=0)
    packaging_minor: int = MoneyField(default=0)
    service_charge_minor: int = MoneyField(default=0)
    service_charge_removed: bool = Field(default=False)
    rounding_minor: int = Field(default=0, sa_type=sa.BigInteger)
    total_minor: int = MoneyField(default=0)
    taxes: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.JSONB(), nullable=False, server_default="[]"),
    )
    paid_minor: int = MoneyField(default=0)
    issued_at: datetime = CreatedAtField()
    paid_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    updated_at: datetime = UpdatedAtField()


class InvoiceCounter(SQLModel, table=True):
    """The last invoice number of a venue in one financial year."""

    __tablename__ = "invoice_counter"
    __table_args__ = (sa.CheckConstraint("last_seq >= 0", name="last_seq_non_negative"),)

    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE", primary_key=True)
    financial_year: int = Field(primary_key=True)
    last_seq: int = Field(default=0)


class BillShareMethod(StrEnum):
    FULL = "full"  # what is left of the bill
    EQUAL = "equal"  # one of n equal shares
    ITEMS = "items"  # the chosen lines
    CUSTOM = "custom"  # an amount


class BillShareStatus(StrEnum):
    PENDING = "pending"  # its payment is open; counts towards the bill until it expires
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class BillShare(SQLModel, table=True):
    __tablename__ = "bill_share"
    __table_args__ = (
        enum_check("method", BillShareMethod),
        enum_check("status", BillShareStatus),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(
            "credit_minor >= 0 AND credit_minor <= amount_minor", name="credit_within_amount"
        ),
        sa.Index("ix_bill_share_bill_id_status", "bill_id", "status"),
    )

    id: uuid.UUID = IdField()
    bill_id: uuid.UUID = Field(foreign_key="bill.id", ondelete="RESTRICT")
    payer_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT", index=True)
    method: BillShareMethod = Field(sa_column=EnumColumn(BillShareMethod))
    amount_minor: int = MoneyField()
    # What the payer's cover credit paid of it (the payment is for the rest).
    credit_minor: int = MoneyField(default=0)
    # ITEMS: the order lines this share pays for.
    line_ids: list[uuid.UUID] = Field(
        default_factory=list,
        sa_column=sa.Column(postgresql.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
    )
    status: BillShareStatus = Field(
        default=BillShareStatus.PENDING,
        sa_column=EnumColumn(BillShareStatus, server_default=BillShareStatus.PENDING.value),
    )
    expires_at: datetime = Field(sa_column=TimestampColumn())
    paid_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()
