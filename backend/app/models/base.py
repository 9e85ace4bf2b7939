"""Shared pieces of every table: naming convention, ids, timestamps, enums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Explicit constraint names, so migrations are stable and readable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


ENUM_TEXT_LENGTH = 32


def utcnow() -> datetime:
    return datetime.now(UTC)


def TimestampColumn(*, nullable: bool = False, default_now: bool = False, **kw: Any) -> Any:
    """A `timestamptz` column."""
    return sa.Column(
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default_now else None,
        **kw,
    )


def IdField() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def CreatedAtField() -> Any:
    return Field(default_factory=utcnow, sa_column=TimestampColumn(default_now=True))


def UpdatedAtField() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=TimestampColumn(default_now=True, onupdate=utcnow),
    )


def enum_check(column: str, enum: type[StrEnum], name: str | None = None) -> sa.CheckConstraint:
    """A CHECK that keeps a text column within a StrEnum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return sa.CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


class StrEnumText(sa.types.TypeDecorator[StrEnum]):
    """A StrEnum stored as VARCHAR: rows load as enum members, not bare strings,
    so attributes have the same type whether they were just set or just loaded."""

    impl = sa.String(ENUM_TEXT_LENGTH)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        # Unknown strings go through unchanged: the CHECK constraint rejects them.
        return value.value if isinstance(value, StrEnum) else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)

    def __repr__(self) -> str:  # how autogenerate writes it into a migration
        return f"sa.String(length={ENUM_TEXT_LENGTH})"


def EnumColumn(enum: type[StrEnum], *, nullable: bool = False, **kw: Any) -> Any:
    """A StrEnum stored as text (the CHECK is added in __table_args__ with enum_check)."""
    too_long = [member.value for member in enum if len(member.value) > ENUM_TEXT_LENGTH]
    if too_long:
        raise ValueError(f"enum values longer than {ENUM_TEXT_LENGTH}: {too_long}")
    return sa.Column(StrEnumText(enum), nullable=nullable, **kw)


# Money: integer minor units plus an ISO 4217 code.
CURRENCY_CHECK = "currency ~ '^[A-Z]{3}$'"


def MoneyField(*, default: int | None = None) -> Any:
    """Integer minor units (paise for INR); required unless a default is given."""
    server_default = None if default is None else str(default)
    column = sa.Column(sa.BigInteger(), nullable=False, server_default=server_default)
    if default is None:
        return Field(sa_column=column)
    return Field(default=default, sa_column=column)


def CurrencyField() -> Any:
    """An ISO 4217 code; INR is the only one sold today."""
    return Field(default="INR", max_length=3)


__all__ = [
    "CURRENCY_CHECK",
    "CreatedAtField",
    "CurrencyField",
    "EnumColumn",
    "IdField",
    "MoneyField",
    "SQLModel",
    "TimestampColumn",
    "UpdatedAtField",
    "enum_check",
    "utcnow",
]
