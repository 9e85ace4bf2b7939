"""Table sessions: opening or joining one from a table's code; staff moving, merging
and closing them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.models.order import SessionCloseReason, TableSessionStatus
from app.models.venue import PaymentMode
from app.schema.common import RequestModel

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class GeoPosition(RequestModel):
    """Where the phone is."""

    latitude: Latitude
    longitude: Longitude


class Positioned(RequestModel):
    position: GeoPosition | None = Field(
        default=None,
        description="Where the phone is, when the app knows (checked against the venue)",
    )

    def point(self) -> tuple[float, float] | None:
        if self.position is None:
            return None
        return self.position.latitude, self.position.longitude


class TableSessionJoin(Positioned):
    table_token: str = Field(min_length=1, max_length=200, description="The scanned QR token")


class TableSessionMove(RequestModel):
    table_id: uuid.UUID = Field(description="A free table of the same venue")


class TableSessionMerge(RequestModel):
    into_session_id: uuid.UUID = Field(description="The open session that takes this one's orders")


class TableSessionRead(BaseModel):
    id: uuid.UUID
    venue_id: uuid.UUID
    table_id: uuid.UUID
    table_label: str
    status: TableSessionStatus
    payment_mode: PaymentMode
    opened_at: datetime
    closed_at: datetime | None
    close_reason: SessionCloseReason | None
    merged_into_id: uuid.UUID | None
    members: int = Field(ge=0, description="People who joined it")
