"""Tables of the auth domain: one-time codes, refresh tokens, revoked access
tokens and emailed links. Secrets are never stored, only their digests."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAtField, EnumColumn, IdField, TimestampColumn, enum_check


class OtpPurpose(StrEnum):
    SIGN_IN = "sign_in"
    ATTACH_PHONE = "attach_phone"


class OtpCode(SQLModel, table=True):
    """A one-time code sent by SMS. Only the newest unconsumed code of a phone and
    purpose is live; asking for a new one consumes the older ones."""

    __tablename__ = "otp_code"
    __table_args__ = (
        enum_check("purpose", OtpPurpose),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_otp_code_phone_purpose_created_at", "phone", "purpose", "created_at"),
    )

    id: uuid.UUID = IdField()
    phone: str = Field(max_length=20)  # E.164
    purpose: OtpPurpose = Field(sa_column=EnumColumn(OtpPurpose))
    # The account asking to attach this phone (ATTACH_PHONE only).
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="CASCADE", index=True
    )
    code_hash: str = Field(max_length=64)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    expires_at: datetime = Field(sa_column=TimestampColumn())
    consumed_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()


class RefreshToken(SQLModel, table=True):
    """One refresh token of a session. A refresh uses it up and issues the next one of
    the same family; presenting a used one again revokes the whole family."""

    __tablename__ = "refresh_token"

    id: uuid.UUID = IdField()  # the token's `jti`
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The access token issued together with this refresh token (revoked with the family).
    access_jti: str = Field(max_length=64)
    access_expires_at: datetime = Field(sa_column=TimestampColumn())
    expires_at: datetime = Field(sa_column=TimestampColumn())
    used_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    # The token issued when this one was used: presented again within
    # REFRESH_REUSE_GRACE_SECONDS, this one answers that same pair again.
    replaced_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="refresh_token.id", ondelete="SET NULL"
    )
    revoked_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    # When this token and its access token were issued (their `iat`).
    created_at: datetime = CreatedAtField()


class RevokedAccessToken(SQLModel, table=True):
    """An access token refused until it expires (logout, theft detection)."""

    __tablename__ = "revoked_access_token"

    jti: str = Field(max_length=64, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    expires_at: datetime = Field(sa_column=TimestampColumn(index=True))
    created_at: datetime = CreatedAtField()


class EmailTokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105


class EmailToken(SQLModel, table=True):
    """An emailed link (a signed token whose `jti` is this row's id): single use."""

    __tablename__ = "email_token"
    __table_args__ = (enum_check("purpose", EmailTokenPurpose),)

    id: uuid.UUID = IdField()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    purpose: EmailTokenPurpose = Field(sa_column=EnumColumn(EmailTokenPurpose))
    email: str = Field(max_length=320)  # the address the link was sent to
    expires_at: datetime = Field(sa_column=TimestampColumn())
    used_at: datetime | None = Field(default=None, sa_column=TimestampColumn(nullable=True))
    created_at: datetime = CreatedAtField()
