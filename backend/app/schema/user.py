"""Users as the API shows them, and what a user may change about themselves."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PastDate,
    StringConstraints,
    field_validator,
)

from app.core.phone import PhoneNumber
from app.models.user import Gender
from app.schema.auth import Email, NewPassword, OtpCodeStr
from app.schema.common import HttpLink, IsoDateText, JsonObject, RequestModel

MAX_AGE_YEARS = 120


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    phone: str | None
    email: str | None
    full_name: str | None
    date_of_birth: date | None
    gender: Gender | None
    avatar_url: str | None
    preferences: dict[str, Any]
    is_active: bool
    is_superuser: bool
    has_password: bool
    email_verified_at: datetime | None
    phone_verified_at: datetime | None
    created_at: datetime


class AdminUserRead(UserRead):
    deleted_at: datetime | None
    sessions_revoked_at: datetime | None
    updated_at: datetime


def _check_birth_date(value: date) -> date:
    if value.year < date.today().year - MAX_AGE_YEARS:
        raise ValueError(f"A date of birth more than {MAX_AGE_YEARS} years ago is not plausible")
    return value


class UserUpdate(RequestModel):
    """Partial: only the fields sent are changed (`null` clears a field)."""

    model_config = ConfigDict(extra="forbid")

    full_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    date_of_birth: Annotated[PastDate, IsoDateText, AfterValidator(_check_birth_date)] | None = None
    gender: Gender | None = None
    avatar_url: HttpLink | None = None
    preferences: JsonObject | None = None

    @field_validator("preferences")
    @classmethod
    def _clear_preferences(cls, value: dict[str, Any] | None) -> dict[str, Any]:
        """`null` clears the preferences."""
        return {} if value is None else value


class AttachEmail(RequestModel):
    """Add business sign-in (email and password) to an account that has none."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: NewPassword


class AttachPhoneRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    phone: PhoneNumber


class AttachPhone(RequestModel):
    model_config = ConfigDict(extra="forbid")

    phone: PhoneNumber
    code: OtpCodeStr
