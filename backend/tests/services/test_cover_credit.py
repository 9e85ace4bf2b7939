"""Cover credit: granted once per pass at its first entry, spent soonest-expiring
first, given back once; the ledger always adds up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from app.models import User
from app.models.booking import OfferingKind, ScanDirection, Ticket
from app.models.group import CoverCredit, CoverCreditEntry
from app.schema.common import PageParams
from app.services import bookings as bookings_service
from app.services import cover_credit
from tests.factories import make_consumer
from tests.factories.bookings import make_offering
from tests.factories.jobs import run_jobs
from tests.factories.visits import (
    ClubNight,
    door,
    enter,
    leave,
    make_club_night,
    make_order,
    passes,
)


def _credits(session: Session, *, holder_id: uuid.UUID) -> list[CoverCredit]:
    return list(
        session.exec(
            select(CoverCredit)
            .where(col(CoverCredit.holder_id) == holder_id)
            .order_by(col(CoverCredit.expires_at))
        )
    )


def _ledger(session: Session, credit: CoverCredit) -> list[tuple[str, int, int]]:
    rows = session.exec(
        select(CoverCreditEntry)
        .where(col(CoverCreditEntry.credit_id) == credit.id)
        .order_by(col(CoverCreditEntry.seq))
    )
    entries = list(rows)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    session.refresh(credit)
    assert credit.entries == len(entries)
    running = 0
    for entry in entries:  # the ledger adds up, entry by entry
        running += entry.amount_minor
        assert entry.balance_after_minor == running >= 0
    return [(e.kind.value, e.amount_minor, e.balance_after_minor) for e in entries]


def _spend(
    session: Session,
    night: ClubNight,
    holder: User,
    *,
    amount: int,
    order_id: uuid.UUID,
    at: datetime,
) -> int:
    """Spend the holder's credit at the night's venue on an order (in rupees)."""
    return cover_credit.spend(
        session,
        holder_id=holder.id,
        venue_id=night.venue.id,
        currency="INR",
        amount=amount,
        order_id=order_id,
        at=at,
    )


def _in_on_two_nights(session: Session, night: ClubNight, holder: User) -> ClubNight:
    """The holder let in tonight and on a later night at the same club (whose credit
    expires later); returns the later night."""
    later = make_club_night(session, venue=night.venue, duration=timedelta(hours=9))
    [tonight] = passes(session, night=night, consumer=holder)
    [other] = passes(session, night=later, consumer=holder)
    enter(session, later, other)
    enter(session, night, tonight)
    return later


@pytest.fixture
def night(session: Session) -> ClubNight:
    return make_club_night(session, credit_minor=100_000)


def test_first_entry_grants_the_pass_credit_once(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket)
    leave(session, night, ticket)
    enter(session, night, ticket)  # a re-entry grants nothing more
    [credit] = _credits(session, holder_id=holder.id)
    assert credit.ticket_id == ticket.id
    assert credit.venue_id == night.venue.id
    assert credit.event_id == night.event.id
    assert credit.amount_minor == 100_000
    assert credit.currency == "INR"
    assert credit.expires_at == night.event.ends_at
    # A couple pass: one credit for its two guests.
    assert ticket.guests == 2
    assert _ledger(session, credit) == [("granted", 100_000, 100_000)]


def test_the_same_scan_uploaded_twice_grants_once(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    first = door(session, night=night, scans=[(ticket, ScanDirection.ENTRY)], nonce="same")
    again = door(session, night=night, scans=[(ticket, ScanDirection.ENTRY)], nonce="same")
    assert [r.replayed for r in first + again] == [False, True]
    assert len(_credits(session, holder_id=holder.id)) == 1


def test_refused_entries_and_passes_without_credit_grant_nothing(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    stag = make_offering(session, event=night.event, kind=OfferingKind.STAG)
    [plain] = passes(session, night=night, consumer=holder, offering=stag)
    enter(session, night, plain)
    assert _credits(session, holder_id=holder.id) == []

    early = make_club_night(session, starts_in=timedelta(days=1))
    [ticket] = passes(session, night=early, consumer=holder)
    [result] = door(session, night=early, scans=[(ticket, ScanDirection.ENTRY)])
    assert result.outcome == "not_open_yet"
    assert _credits(session, holder_id=holder.id) == []


def test_each_pass_of_a_holder_has_its_own_credit(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    tickets = passes(session, night=night, consumer=holder, quantity=2)
    enter(session, night, *tickets)
    credits = _credits(session, holder_id=holder.id)
    assert sorted(c.ticket_id for c in credits) == sorted(t.id for t in tickets)
    now = datetime.now(UTC)
    assert (
        cover_credit.available(
            session, holder_id=holder.id, venue_id=night.venue.id, currency="INR", at=now
        )
        == 200_000
    )
    # Another venue, another currency, or after the end: nothing.
    other = make_club_night(session)
    for venue_id, currency, at in [
        (other.venue.id, "INR", now),
        (night.venue.id, "USD", now),
        (night.venue.id, "INR", night.event.ends_at),
    ]:
        assert (
            cover_credit.available(
                session, holder_id=holder.id, venue_id=venue_id, currency=currency, at=at
            )
            == 0
        )


def test_spend_takes_the_soonest_expiring_first_and_never_more_than_there_is(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    _in_on_two_nights(session, night, holder)
    soon, late = _credits(session, holder_id=holder.id)
    assert soon.expires_at < late.expires_at
    now = datetime.now(UTC)
    first = make_order(session, venue=night.venue, consumer=holder, total_minor=150_000)

    took = cover_credit.spend(
        session,
        holder_id=holder.id,
        venue_id=night.venue.id,
        currency="INR",
        amount=150_000,
        order_id=first.id,
        at=now,
    )
    assert took == 150_000
    assert _ledger(session, soon) == [("granted", 100_000, 100_000), ("spent", -100_000, 0)]
    assert _ledger(session, late) == [("granted", 100_000, 100_000), ("spent", -50_000, 50_000)]

    second = make_order(session, venue=night.venue, consumer=holder, total_minor=80_000)
    took = cover_credit.spend(
        session,
        holder_id=holder.id,
        venue_id=night.venue.id,
        currency="INR",
        amount=80_000,
        order_id=second.id,
        at=now,
    )
    assert took == 50_000  # what was left
    assert _ledger(session, late)[-1] == ("spent", -50_000, 0)
    assert (
        cover_credit.available(
            session, holder_id=holder.id, venue_id=night.venue.id, currency="INR", at=now
        )
        == 0
    )
    third = make_order(session, venue=night.venue, consumer=holder, total_minor=10_000)
    assert _spend(session, night, holder, amount=10_000, order_id=third.id, at=now) == 0


def test_an_expired_credit_is_not_spent(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket)
    order = make_order(session, venue=night.venue, consumer=holder, total_minor=10_000)
    took = cover_credit.spend(
        session,
        holder_id=holder.id,
        venue_id=night.venue.id,
        currency="INR",
        amount=10_000,
        order_id=order.id,
        at=night.event.ends_at,
    )
    assert took == 0


def test_give_back_returns_what_an_order_took_once(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    later = make_club_night(session, venue=night.venue, duration=timedelta(hours=9))
    [a] = passes(session, night=night, consumer=holder)
    [b] = passes(session, night=later, consumer=holder)
    enter(session, night, a)
    enter(session, later, b)
    soon, late = _credits(session, holder_id=holder.id)
    order = make_order(session, venue=night.venue, consumer=holder, total_minor=130_000)
    other = make_order(session, venue=night.venue, consumer=holder, total_minor=20_000)
    now = datetime.now(UTC)
    for made, amount in [(order, 130_000), (other, 20_000)]:
        _spend(session, night, holder, amount=amount, order_id=made.id, at=now)
    assert cover_credit.give_back(session, order_id=order.id) == 130_000
    assert cover_credit.give_back(session, order_id=order.id) == 0  # once only
    assert _ledger(session, soon) == [
        ("granted", 100_000, 100_000),
        ("spent", -100_000, 0),
        ("returned", 100_000, 100_000),
    ]
    assert _ledger(session, late) == [
        ("granted", 100_000, 100_000),
        ("spent", -30_000, 70_000),
        ("spent", -20_000, 50_000),
        ("returned", 30_000, 80_000),
    ]
    # Nothing taken for it: nothing given back.
    untouched = make_order(session, venue=night.venue, consumer=holder, total_minor=1_000)
    assert cover_credit.give_back(session, order_id=untouched.id) == 0


def test_give_back_to_an_expired_credit_leaves_it_unusable(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket)
    order = make_order(session, venue=night.venue, consumer=holder, total_minor=40_000)
    now = datetime.now(UTC)
    _spend(session, night, holder, amount=40_000, order_id=order.id, at=now)
    after = night.event.ends_at + timedelta(minutes=1)
    assert cover_credit.give_back(session, order_id=order.id, now=after) == 40_000
    [credit] = _credits(session, holder_id=holder.id)
    assert _ledger(session, credit)[-1] == ("returned", 40_000, 100_000)
    assert (
        cover_credit.available(
            session, holder_id=holder.id, venue_id=night.venue.id, currency="INR", at=after
        )
        == 0
    )


def test_spend_and_give_back_need_exactly_one_subject(session: Session, night: ClubNight) -> None:
    holder = make_consumer(session)
    with pytest.raises(ValueError, match="exactly one"):
        cover_credit.spend(
            session,
            holder_id=holder.id,
            venue_id=night.venue.id,
            currency="INR",
            amount=1,
            at=datetime.now(UTC),
        )
    with pytest.raises(ValueError, match="exactly one"):
        cover_credit.give_back(session, order_id=uuid.uuid4(), bill_share_id=uuid.uuid4())


def test_a_pass_cancelled_after_entry_takes_back_what_is_left_of_its_credit(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    [ticket] = passes(session, night=night, consumer=holder)
    [kept] = passes(session, night=night, consumer=holder)
    enter(session, night, ticket, kept)
    order = make_order(session, venue=night.venue, consumer=holder, total_minor=40_000)
    now = datetime.now(UTC)
    # The soonest-expiring first; both expire together, so the lower id pays.
    spent_from = min(_credits(session, holder_id=holder.id), key=lambda c: c.id)
    _spend(session, night, holder, amount=40_000, order_id=order.id, at=now)
    booking_id = session.get(Ticket, spent_from.ticket_id).booking_id  # type: ignore[union-attr]
    # The event is called off mid-night: its bookings are cancelled and refunded (a
    # manager's full refund and a consumer's cancellation take the same path).
    bookings_service.cancel_event(session, event=night.event)
    run_jobs(session)

    [revoked] = [c for c in _credits(session, holder_id=holder.id) if c.id == spent_from.id]
    assert revoked.revoked_at is not None
    assert _ledger(session, revoked) == [
        ("granted", 100_000, 100_000),
        ("spent", -40_000, 60_000),
        ("revoked", -60_000, 0),
    ]
    assert (
        cover_credit.available(
            session, holder_id=holder.id, venue_id=night.venue.id, currency="INR", at=now
        )
        == 0
    )  # the other pass was on the same night: cancelled and revoked too
    # Once only: revoking again takes nothing and writes nothing.
    assert cover_credit.revoke_for_booking(session, booking_id=booking_id) == 0
    assert len(_ledger(session, revoked)) == 3
    # What the order gives back later returns to the ledger but stays unusable.
    assert cover_credit.give_back(session, order_id=order.id) == 40_000
    assert _ledger(session, revoked)[-1] == ("returned", 40_000, 40_000)
    assert (
        cover_credit.available(
            session, holder_id=holder.id, venue_id=night.venue.id, currency="INR", at=now
        )
        == 0
    )
    [view] = [
        c
        for c in cover_credit.list_for_holder(session, user=holder, page=PageParams()).items
        if c.id == revoked.id
    ]
    assert (view.active, view.balance_minor, view.revoked_at) == (False, 40_000, revoked.revoked_at)


def test_a_pass_of_another_night_keeps_its_credit_when_one_is_cancelled(
    session: Session, night: ClubNight
) -> None:
    holder = make_consumer(session)
    later = _in_on_two_nights(session, night, holder)
    bookings_service.cancel_event(session, event=night.event)
    run_jobs(session)
    by_event = {c.event_id: c for c in _credits(session, holder_id=holder.id)}
    assert by_event[night.event.id].revoked_at is not None
    assert by_event[later.event.id].revoked_at is None
    assert _ledger(session, by_event[later.event.id]) == [("granted", 100_000, 100_000)]
    assert (
        cover_credit.available(
            session,
            holder_id=holder.id,
            venue_id=night.venue.id,
            currency="INR",
            at=datetime.now(UTC),
        )
        == 100_000
    )
