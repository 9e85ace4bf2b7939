"""Invoice numbers: gapless per venue and Indian financial year, under real parallel
connections, and a rolled-back bill gives its number back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col

from app.models import User, Venue
from app.models.order import InvoiceCounter
from app.services.invoices import financial_year, format_number, next_number, year_label
from tests.factories import make_venue


@pytest.mark.parametrize(
    ("at", "year"),
    [
        # 1 April 00:00 IST is 31 March 18:30 UTC
        (datetime(2027, 3, 31, 18, 29, tzinfo=UTC), 2026),
        (datetime(2027, 3, 31, 18, 30, tzinfo=UTC), 2027),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 2026),
        (datetime(2026, 4, 1, 0, 0, tzinfo=UTC), 2026),
    ],
)
def test_the_financial_year_runs_april_to_march_in_india(at: datetime, year: int) -> None:
    assert financial_year(at) == year


def test_labels_and_numbers() -> None:
    assert year_label(2026) == "2026-27"
    assert year_label(2099) == "2099-00"
    number = format_number(venue_id=uuid.UUID(int=0xABCDEF12 << 96), year=2026, seq=7)
    assert number == "S-ABCDEF12/2026-27/000007"
    assert len(number) <= 40


def test_numbers_count_per_venue_and_year(session: Session) -> None:
    venue, other = make_venue(session), make_venue(session)
    march = datetime(2027, 3, 1, tzinfo=UTC)
    april = datetime(2027, 4, 2, tzinfo=UTC)
    seqs = [next_number(session, venue_id=venue.id, at=march).seq for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert next_number(session, venue_id=other.id, at=march).seq == 1
    first_of_year = next_number(session, venue_id=venue.id, at=april)
    assert (first_of_year.financial_year, first_of_year.seq) == (2027, 1)


@pytest.fixture
def committed_venue(engine: Engine) -> Iterator[Venue]:
    with Session(engine, expire_on_commit=False) as setup:
        venue = make_venue(setup)
        setup.commit()
    yield venue
    with Session(engine) as s:
        owner_ids = (
            s.execute(
                sa.text("SELECT user_id FROM venue_membership WHERE venue_id = :v"), {"v": venue.id}
            )
            .scalars()
            .all()
        )
        s.execute(sa.delete(InvoiceCounter).where(col(InvoiceCounter.venue_id) == venue.id))
        s.execute(sa.delete(Venue).where(col(Venue.id) == venue.id))
        s.execute(sa.delete(User).where(col(User.id).in_(owner_ids)))
        s.commit()


def test_parallel_bills_get_consecutive_numbers_and_a_rollback_leaves_no_gap(
    engine: Engine, committed_venue: Venue
) -> None:
    at = datetime(2026, 12, 2, tzinfo=UTC)

    def issue(i: int) -> int | None:
        with Session(engine) as s:
            number = next_number(s, venue_id=committed_venue.id, at=at)
            if i % 5 == 0:
                s.rollback()  # the bill failed: its number goes back
                return None
            s.commit()
            return number.seq

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(issue, range(40)))
    kept = sorted(seq for seq in results if seq is not None)
    assert kept == list(range(1, 33))  # 32 committed bills, numbered 1..32 with no gap
