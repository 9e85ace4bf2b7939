"""People: consumers, business users and platform admins share one table."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import (
    CreatedAtField,
    EnumColumn,
    IdField,
    TimestampColumn,
    UpdatedAtField,
    enum_check,
)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (
        # Case-insensitive uniqueness: emails are stored lower-cased and unique.
        sa.Index("uq_user_email_lower", sa.text("lower(email)"), unique=True),
        enum_check("gender", Gender),
        sa.CheckConstraint(
            "phone IS NOT NULL OR email IS NOT NULL OR deleted_at IS NOT NULL",
            name="has_identifier",
        ),
    )

    id: uuid.UUID = IdField()
    phone: str | None = Field(default=None, max_length=20, unique=True)  # E.164
    email: str | None = Field(default=None, max_length=320)
    password_hash: str | None = Field(default=None, max_length=255)
    full_name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    gender: Gender | None = Field(default=None, sa_column=EnumColumn(Gender, nullable=True))
    avatar_url: str | None = Field(default=None, max_length=2048)
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    is_superuser: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    email_verified_at: datetime | None = Field(
        default=None, sa_column=TimestampColumn(nullable=True)
    )
    phone_verified_at: datetime | None = Field(
        default=None, sa_column=TimestampColumn(nullable=True)
    )
    deleted_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    # Access tokens issued before this instant are refused (password change, deactivation).
    sessions_revoked_at: datetime | None = Field(
        default=None, sa_column=TimestampColumn(nullable=True)
    )
    # The latest expiry among this user's revoked access tokens: until then the
    # deny-list is consulted, after it no lookup is needed.
    revoked_access_until: datetime | None = Field(
        default=None, sa_column=TimestampColumn(nullable=True)
    )
    created_at: datetime = CreatedAtField()
    updated_at: datetime = UpdatedAtField()

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None
