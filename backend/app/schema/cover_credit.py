"""Cover-charge credit: what the API returns to its holder."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.models.group import CoverCreditEntryKind


class CoverCreditRead(BaseModel):
    """A pass's included cover credit, given when its ticket was first let in."""

    id: uuid.UUID
    ticket_id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    event_id: uuid.UUID
    event_title: str
    amount_minor: int = Field(description="What the pass gave")
    balance_minor: int = Field(description="What is left of it")
    currency: str
    expires_at: datetime = Field(description="The event's end: spendable until then")
    revoked_at: datetime | None = Field(
        description="When its pass was refunded in full or cancelled: never spendable since"
    )
    active: bool = Field(
        description="Spendable now: not expired, not revoked, and something is left"
    )
    created_at: datetime


class CoverCreditEntryRead(BaseModel):
    """One change of a credit: granted at check-in, spent on an order or a bill
    share, returned when what it paid for was given up, or revoked (what was left)
    when its pass was refunded in full or cancelled."""

    seq: int
    kind: CoverCreditEntryKind
    amount_minor: int = Field(
        description="Positive when granted or returned, negative when spent or revoked"
    )
    balance_after_minor: int
    order_id: uuid.UUID | None
    bill_share_id: uuid.UUID | None
    created_at: datetime


class CoverCreditDetail(CoverCreditRead):
    entries: list[CoverCreditEntryRead] = Field(description="Its ledger, oldest first")
