"""Invoice numbers: gapless per venue and Indian financial year (April to March).

`next_number` raises the venue's counter row for the year (`invoice_counter`) in the
caller's transaction and keeps it locked until commit: two bills issued at once get
consecutive numbers, and a transaction that rolls back gives its number back, so
the numbers of issued bills have no gaps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from app.models.order import InvoiceCounter

INDIA = ZoneInfo("Asia/Kolkata")


def financial_year(at: datetime) -> int:
    """The Indian financial year of a moment, by the year it starts in: 1 April 2026
    00:00 IST to 31 March 2027 23:59 IST is 2026."""
    local = at.astimezone(INDIA)
    return local.year if local.month >= 4 else local.year - 1


def year_label(year: int) -> str:
    """2026 -> "2026-27"."""
    return f"{year}-{(year + 1) % 100:02d}"


@dataclass(frozen=True)
class InvoiceNumber:
    financial_year: int
    seq: int
    number: str


def format_number(*, venue_id: uuid.UUID, year: int, seq: int) -> str:
    """At most 40 characters and unique across venues: "S-<8 hex of the venue>/2026-27/000123"
    (GST allows 16 characters per series; the venue part is the series)."""
    return f"S-{venue_id.hex[:8].upper()}/{year_label(year)}/{seq:06d}"


def next_number(session: Session, *, venue_id: uuid.UUID, at: datetime) -> InvoiceNumber:
    """The next invoice number of the venue for the financial year of `at`."""
    year = financial_year(at)
    table = sa.table(
        InvoiceCounter.__tablename__,
        sa.column("venue_id"),
        sa.column("financial_year"),
        sa.column("last_seq"),
    )
    statement = (
        insert(table)
        .values(venue_id=venue_id, financial_year=year, last_seq=1)
        .on_conflict_do_update(
            index_elements=["venue_id", "financial_year"],
            set_={"last_seq": table.c.last_seq + 1},
        )
        .returning(table.c.last_seq)
    )
    seq = int(session.execute(statement).scalar_one())
    return InvoiceNumber(
        financial_year=year, seq=seq, number=format_number(venue_id=venue_id, year=year, seq=seq)
    )
