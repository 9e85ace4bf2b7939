"""Tickets, door scans and attendance: what the API takes and returns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from app.core import ticket_token
from app.models.booking import ScanDirection, ScanOutcome, Ticket, TicketStatus
from app.schema.common import IsoDatetime, NoNul, RequestModel

MAX_SCANS_PER_BATCH = 200
EARLIEST_SCAN = datetime(2000, 1, 1, tzinfo=UTC)


class TicketRead(BaseModel):
    """One pass of a booking. `token` and `ticket_url` (what its QR code encodes) are
    null once the ticket is void."""

    id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    offering_id: uuid.UUID
    offering_name: str
    guests: int = Field(description="Guests this pass admits")
    status: TicketStatus
    inside: bool = Field(description="Checked in and not gone out since")
    entered_at: datetime | None = Field(description="First entry at the door")
    token: str | None = Field(description="The signed code the door scans")
    ticket_url: str | None = Field(description="The ticket's page, which its QR code encodes")
    created_at: datetime

    @classmethod
    def of(cls, ticket: Ticket, *, offering_name: str) -> TicketRead:
        valid = ticket.status == TicketStatus.VALID
        token = (
            ticket_token.encode_ticket_token(ticket_id=ticket.id, version=ticket.token_version)
            if valid
            else None
        )
        return cls(
            id=ticket.id,
            booking_id=ticket.booking_id,
            event_id=ticket.event_id,
            offering_id=ticket.offering_id,
            offering_name=offering_name,
            guests=ticket.guests,
            status=ticket.status,
            inside=ticket.inside,
            entered_at=ticket.entered_at,
            token=token,
            ticket_url=(
                ticket_token.ticket_url(ticket_id=ticket.id, version=ticket.token_version)
                if valid
                else None
            ),
            created_at=ticket.created_at,
        )


Gate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]


class ScanIn(RequestModel):
    """One scan as the device saw it."""

    token: Annotated[str, Field(min_length=1, max_length=2048), NoNul] = Field(
        description="The scanned code: the ticket's token, or its whole `ticket_url`"
    )
    direction: ScanDirection
    gate: Gate | None = Field(default=None, description="Which door: Main, VIP, ...")
    client_nonce: Annotated[str, Field(min_length=1, max_length=64), NoNul] = Field(
        description="Chosen by the device, unique per scan: a scan uploaded again "
        "(a device back online) is answered from the record, not applied twice"
    )
    scanned_at: IsoDatetime = Field(
        description="When the device scanned it (a time in the future is taken as now)"
    )

    @field_validator("scanned_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        if value < EARLIEST_SCAN:
            raise ValueError("A scan time after 2000; the device's clock is wrong")
        return value


class ScanBatch(RequestModel):
    scans: list[ScanIn] = Field(min_length=1, max_length=MAX_SCANS_PER_BATCH)


class ScanResult(BaseModel):
    """What the door needs to know about one scan."""

    client_nonce: str
    direction: ScanDirection
    outcome: ScanOutcome = Field(
        description="`ok`: let in (entry) or let out (exit). Refused: `already_inside`, "
        "`not_inside` (an exit), `no_reentry` (left once; this pass does not allow coming "
        "back), `void` (cancelled or refunded), `wrong_event`, `not_open_yet`, "
        "`event_over`, `event_cancelled`, `unknown` (not one of our ticket codes)"
    )
    replayed: bool = Field(
        description="This client nonce was recorded before: not applied again; "
        "`outcome` is the recorded one"
    )
    ticket_id: uuid.UUID | None = Field(description="Null for a code not of this event")
    guests: int | None = Field(description="Guests on the pass")
    offering_name: str | None
    inside: bool | None = Field(description="Whether the pass is inside now")
    scanned_at: datetime
    recorded_at: datetime


class ScanBatchResult(BaseModel):
    """One result per scan, in the order sent."""

    results: list[ScanResult]


class Attendance(BaseModel):
    event_id: uuid.UUID
    guests_inside: int = Field(description="Guests inside now")
    guests_checked_in: int = Field(description="Guests checked in at least once")
    passes_sold: int = Field(description="Valid tickets (passes) of the event")
    guests_sold: int = Field(description="Guests those passes admit")
