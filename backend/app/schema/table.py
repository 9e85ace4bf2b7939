"""Venue tables: what managers send and what the API returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from app.core import table_token
from app.schema.common import Flag, RequestModel, StrictInteger, drop_null, refuse_nulls

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Area = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Seats = Annotated[StrictInteger, Field(ge=1, le=100)]


class TableCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    label: Label = Field(description="Number or name printed on the table, unique per venue")
    seats: Seats
    area: Area | None = Field(default=None, description="Where it is: Terrace, Bar, Main floor")
    is_active: Flag = True


_TABLE_NOT_NULL = ("label", "seats", "is_active")


class TableUpdate(RequestModel):
    """Partial update; `is_active: false` deactivates the table and revokes its code."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=drop_null(*_TABLE_NOT_NULL))

    label: Label | None = None
    seats: Seats | None = None
    area: Area | None = None
    is_active: Flag | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        refuse_nulls(self, _TABLE_NOT_NULL)
        return self


class TableRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    label: str
    seats: int
    area: str | None
    is_active: bool
    token_version: int
    created_at: datetime
    updated_at: datetime

    @computed_field(description="The URL the table's QR code encodes")  # type: ignore[prop-decorator]
    @property
    def qr_url(self) -> str:
        return table_token.table_url(
            venue_id=self.venue_id, table_id=self.id, version=self.token_version
        )


class TableResolved(BaseModel):
    """What a scanned code opens: the venue and the table (for the app)."""

    venue_id: uuid.UUID
    venue_name: str
    table_id: uuid.UUID
    table_label: str
    deep_link: str


class TableScanCount(BaseModel):
    table_id: uuid.UUID
    label: str
    day: date
    count: int


class TableScanReport(BaseModel):
    """Scans per table per day (the venue's local dates), both ends included."""

    date_from: date
    date_to: date
    total: int
    items: list[TableScanCount]


class TableSheetLink(BaseModel):
    """A link that opens the venue's printable QR sheet in a browser, without a bearer
    header: signed for this venue and the caller, it works until `expires_at`."""

    url: str
    expires_at: datetime
