"""Going out together: groups, their wallets and ledgers, cover-charge credit, club visits.

- A group (`consumer_group`: `group` is an SQL keyword) has an admin and members; a
  member who leaves or is removed keeps their row with `left_at` (a former member).
- Its wallet (`group_wallet`, one row per group) is the lock every change of its
  balance takes (SELECT ... FOR UPDATE). The balance is never kept on the side: it is
  the sum of the wallet's ledger (`wallet_entry`), and each entry carries the balance
  after it (`balance_after_minor`, CHECK >= 0), so the newest entry says the balance
  and a CHECK refuses any entry that would take it below zero.
- A spend (`wallet_spend`) is a payment of ours made with the `wallet` provider: it
  debits the ledger at once, or holds the amount (a `hold` entry) while the admin
  approves it.
- Cover credit (`cover_credit`) is a pass's included credit, given when its ticket is
  checked in, spendable at the venue until the event ends, with its own ledger.
- A club visit (`club_visit`) is one guest's night at a club, kept up to date by the
  door's scans.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
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


class GroupStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SpendCapPeriod(StrEnum):
    DAY = "day"  # a calendar day in the group's time zone
    NIGHT = "night"  # a night out: from 06:00 to 06:00 the next day, local time


class Group(SQLModel, table=True):
    """Friends going out together, with one wallet and the admin's rules for it."""

    __tablename__ = "consumer_group"
    __table_args__ = (
        enum_check("status", GroupStatus),
        enum_check("cap_period", SpendCapPeriod),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.CheckConstraint("cap_minor IS NULL OR cap_minor > 0", name="cap_positive"),
        sa.CheckConstraint(
            "approval_above_minor IS NULL OR approval_above_minor >= 0",
            name="approval_above_non_negative",
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at_when_closed"
        ),
    )

    id: uuid.UUID = IdField()
    name: str = Field(max_length=100)
    admin_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT", index=True)
    booking_id: uuid.UUID | None = Field(
        default=None, foreign_key="booking.id", ondelete="SET NULL", index=True
    )
    table_session_id: uuid.UUID | None = Field(
        default=None, foreign_key="table_session.id", ondelete="SET NULL", index=True
    )
    status: GroupStatus = Field(
        default=GroupStatus.OPEN,
        sa_column=EnumColumn(GroupStatus, server_default=GroupStatus.OPEN.value),
    )
    currency: str = CurrencyField()
    time_zone: str = Field(default="Asia/Kolkata", max_length=64)
    # The admin's rules: a cap per member per day or night (None: no cap), and an
    # amount above which a member's spend waits for the admin (None: never).
    cap_minor: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    cap_period: SpendCapPeriod = Field(
        default=SpendCapPeriod.NIGHT,
        sa_column=EnumColumn(SpendCapPeriod, server_default=SpendCapPeriod.NIGHT.value),
    )
    approval_above_minor: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    closed_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()


class GroupRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class LeftReason(StrEnum):
    LEFT = "left"
    REMOVED = "removed"


class GroupMember(SQLModel, table=True):
    """A membership; one current row per person and group (`left_at` IS NULL)."""

    __tablename__ = "group_member"
    __table_args__ = (
        enum_check("role", GroupRole),
        enum_check("left_reason", LeftReason),
        sa.CheckConstraint("(left_at IS NULL) = (left_reason IS NULL)", name="left_with_reason"),
        sa.Index(
            "uq_group_member_current",
            "group_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("left_at IS NULL"),
        ),
        sa.Index("ix_group_member_user_id", "user_id"),
    )

    id: uuid.UUID = IdField()
    group_id: uuid.UUID = Field(foreign_key="consumer_group.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    role: GroupRole = Field(
        default=GroupRole.MEMBER,
        sa_column=EnumColumn(GroupRole, server_default=GroupRole.MEMBER.value),
    )
    can_spend: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    invite_id: uuid.UUID | None = Field(
        default=None, foreign_key="group_invite.id", ondelete="SET NULL"
    )
    joined_at: datetime = CreatedAtField()
    left_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    left_reason: LeftReason | None = Field(
        default=None, sa_column=EnumColumn(LeftReason, nullable=True)
    )


class GroupInvite(SQLModel, table=True):
    """An invitation link: signed, expiring, usable by `max_uses` people."""

    __tablename__ = "group_invite"
    __table_args__ = (
        sa.CheckConstraint("max_uses > 0", name="max_uses_positive"),
        sa.CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
        sa.Index("ix_group_invite_group_id", "group_id"),
    )

    id: uuid.UUID = IdField()
    group_id: uuid.UUID = Field(foreign_key="consumer_group.id", ondelete="CASCADE")
    created_by_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    max_uses: int
    uses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    expires_at: datetime = Field(sa_column=TimestampColumn())
    revoked_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()


# --- the wallet -----------------------------------------------------------------------


class GroupWallet(SQLModel, table=True):
    """The group's wallet: the row every change of its balance locks."""

    __tablename__ = "group_wallet"
    __table_args__ = (sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),)

    group_id: uuid.UUID = Field(
        foreign_key="consumer_group.id", ondelete="CASCADE", primary_key=True
    )
    currency: str = CurrencyField()
    entries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # the last seq
    created_at: datetime = CreatedAtField()


class WalletEntryKind(StrEnum):
    TOP_UP = "top_up"  # + a member's captured top-up payment
    SPEND = "spend"  # - paid for an order, a bill share or a booking
    HOLD = "hold"  # - a spend waiting for the admin
    RELEASE = "release"  # + a held spend declined or given up
    REFUND = "refund"  # + something paid from the wallet, refunded to it
    RETURN = "return"  # - closing: a member's part sent back to their top-ups
    TOP_UP_REVERSED = "top_up_reversed"  # - a top-up refunded by a manager or the gateway


class WalletEntry(SQLModel, table=True):
    """One credit or debit of a wallet, with the balance after it (never negative)."""

    __tablename__ = "wallet_entry"
    __table_args__ = (
        enum_check("kind", WalletEntryKind),
        sa.CheckConstraint("amount_minor <> 0", name="amount_non_zero"),
        sa.CheckConstraint("balance_after_minor >= 0", name="balance_never_negative"),
        sa.CheckConstraint(
            "(kind IN ('top_up', 'release', 'refund')) = (amount_minor > 0)",
            name="credit_or_debit_by_kind",
        ),
        sa.UniqueConstraint("group_id", "seq"),
        sa.Index("ix_wallet_entry_payment_id", "payment_id"),
        sa.Index("ix_wallet_entry_member_id", "member_id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), sa.Identity(), primary_key=True)
    )
    group_id: uuid.UUID = Field(foreign_key="group_wallet.group_id", ondelete="CASCADE")
    seq: int  # 1, 2, ... per wallet, in the order of the changes
    kind: WalletEntryKind = Field(sa_column=EnumColumn(WalletEntryKind))
    amount_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    balance_after_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    member_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    # The top-up, the spend's own payment, or (RETURN) the top-up refunded to.
    payment_id: uuid.UUID | None = Field(
        default=None, foreign_key="payment.id", ondelete="RESTRICT"
    )
    refund_id: uuid.UUID | None = Field(default=None, foreign_key="refund.id", ondelete="RESTRICT")
    spend_id: uuid.UUID | None = Field(
        default=None, foreign_key="wallet_spend.id", ondelete="RESTRICT"
    )
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = CreatedAtField()


class WalletSpendStatus(StrEnum):
    WAITING = "waiting"  # above the admin's approval amount: held until decided
    SPENT = "spent"
    DECLINED = "declined"
    EXPIRED = "expired"  # not decided in time, or what it paid for was given up


class WalletSpend(SQLModel, table=True):
    """A member paying with the wallet: the `wallet` payment it captures (or holds)."""

    __tablename__ = "wallet_spend"
    __table_args__ = (
        enum_check("status", WalletSpendStatus),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.UniqueConstraint("payment_id"),
        sa.Index("ix_wallet_spend_group_id_status", "group_id", "status"),
        sa.Index("ix_wallet_spend_member_created", "group_id", "member_id", "created_at"),
    )

    id: uuid.UUID = IdField()
    group_id: uuid.UUID = Field(foreign_key="group_wallet.group_id", ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    payment_id: uuid.UUID = Field(foreign_key="payment.id", ondelete="RESTRICT")
    amount_minor: int = MoneyField()
    status: WalletSpendStatus = Field(sa_column=EnumColumn(WalletSpendStatus))
    decided_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    decided_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    expires_at: datetime = Field(sa_column=TimestampColumn())
    created_at: datetime = CreatedAtField()


# --- cover-charge credit --------------------------------------------------------------


class CoverCredit(SQLModel, table=True):
    """A checked-in pass's included cover credit, spendable at the event's venue until
    the event ends; never paid out. The holder is the booking's consumer; the guests
    of a couple or group pass share it. `entries` is the last seq of its ledger."""

    __tablename__ = "cover_credit"
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        sa.UniqueConstraint("ticket_id"),
        sa.Index("ix_cover_credit_holder_venue", "holder_id", "venue_id", "expires_at"),
    )

    id: uuid.UUID = IdField()
    ticket_id: uuid.UUID = Field(foreign_key="ticket.id", ondelete="RESTRICT")
    holder_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="RESTRICT")
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="RESTRICT")
    amount_minor: int = MoneyField()
    currency: str = CurrencyField()
    expires_at: datetime = Field(sa_column=TimestampColumn())
    # Set when its pass is refunded in full or cancelled: never spendable again.
    revoked_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    entries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = CreatedAtField()


class CoverCreditEntryKind(StrEnum):
    GRANTED = "granted"  # + at check-in
    SPENT = "spent"  # - on an order or a bill share
    RETURNED = "returned"  # + what it paid for was rejected, cancelled or given up
    REVOKED = "revoked"  # - what was left when its pass was refunded or cancelled


class CoverCreditEntry(SQLModel, table=True):
    __tablename__ = "cover_credit_entry"
    __table_args__ = (
        enum_check("kind", CoverCreditEntryKind),
        sa.CheckConstraint("amount_minor <> 0", name="amount_non_zero"),
        sa.CheckConstraint("balance_after_minor >= 0", name="balance_never_negative"),
        sa.CheckConstraint(
            "(kind IN ('spent', 'revoked')) = (amount_minor < 0)", name="credit_or_debit_by_kind"
        ),
        sa.UniqueConstraint("credit_id", "seq"),
        sa.Index("ix_cover_credit_entry_order_id", "order_id"),
        sa.Index("ix_cover_credit_entry_bill_share_id", "bill_share_id"),
    )

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger(), sa.Identity(), primary_key=True)
    )
    credit_id: uuid.UUID = Field(foreign_key="cover_credit.id", ondelete="CASCADE")
    seq: int
    kind: CoverCreditEntryKind = Field(sa_column=EnumColumn(CoverCreditEntryKind))
    amount_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    balance_after_minor: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    order_id: uuid.UUID | None = Field(
        default=None, foreign_key="venue_order.id", ondelete="RESTRICT"
    )
    bill_share_id: uuid.UUID | None = Field(
        default=None, foreign_key="bill_share.id", ondelete="RESTRICT"
    )
    created_at: datetime = CreatedAtField()


# --- club visits ----------------------------------------------------------------------


class ClubVisit(SQLModel, table=True):
    """One guest's night at a club: every entry and exit of their passes that night
    (in and out several times is still one visit). `night` is the local date the
    night began on (before 06:00 counts to the evening before)."""

    __tablename__ = "club_visit"
    __table_args__ = (
        sa.UniqueConstraint("venue_id", "consumer_id", "night"),
        sa.Index("ix_club_visit_consumer_id_night", "consumer_id", "night"),
        sa.Index("ix_club_visit_venue_id_night", "venue_id", "night"),
        sa.CheckConstraint("entries > 0", name="entries_positive"),
    )

    id: uuid.UUID = IdField()
    venue_id: uuid.UUID = Field(foreign_key="venue.id", ondelete="CASCADE")
    event_id: uuid.UUID = Field(foreign_key="event.id", ondelete="CASCADE")
    consumer_id: uuid.UUID = Field(foreign_key="user.id", ondelete="RESTRICT")
    night: date
    guests: int = Field(default=1)  # the most guests of their passes inside at once
    entries: int = Field(default=1)
    first_entry_at: datetime = Field(sa_column=TimestampColumn())
    last_exit_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    inside: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    cover_charge_minor: int = MoneyField(default=0)
    currency: str = CurrencyField()
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()
