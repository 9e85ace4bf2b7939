"""Pickup points: the counters where pickup orders are collected."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.schema.common import Flag, NoNul, RequestModel, StrictInteger, drop_null, refuse_nulls


def _strip_required(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("This cannot be blank")
    return value


PickupPointName = Annotated[
    str,
    Field(min_length=1, max_length=100, examples=["Bar 2"]),
    NoNul,
    AfterValidator(_strip_required),
]
DisplayOrder = Annotated[StrictInteger, Field(ge=0, le=10_000)]


class PickupPointCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: PickupPointName
    is_active: Flag = True
    display_order: DisplayOrder | None = Field(default=None, description="Else after the others")


_NOT_NULL = ("name", "is_active", "display_order")


class PickupPointUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_NOT_NULL))

    name: PickupPointName | None = None
    is_active: Flag | None = None
    display_order: DisplayOrder | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _NOT_NULL)
        return self


class PickupPointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    is_active: bool
    display_order: int
    created_at: datetime
    updated_at: datetime


class PickupPointPublic(BaseModel):
    """What a consumer choosing where to collect an order sees."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    display_order: int
