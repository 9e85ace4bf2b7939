"""Demo data for groups (`app/seed/groups.py`): two groups whose wallets were topped up
on the test gateway and spent from (a food-court cart, an order waiting for the admin,
a club night's entry), made once, every balance the sum of its ledger."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.crud import user as user_crud
from app.crud import wallet as wallet_crud
from app.models import Event, User, Venue, VenueKind
from app.models.booking import Booking, BookingStatus, Ticket
from app.models.group import (
    Group,
    GroupMember,
    GroupRole,
    GroupWallet,
    WalletEntry,
    WalletEntryKind,
    WalletSpend,
    WalletSpendStatus,
)
from app.models.order import Order, OrderStatus
from app.models.payment import WALLET_PROVIDER, Payment, PaymentPurpose, PaymentStatus
from app.seed import seed_all
from app.seed.groups import CLUB_NIGHT, LUNCH_CREW
from app.seed.people import CONSUMERS
from app.services import wallets
from tests.factories.core import auth_headers


def _consumer(session: Session, n: int) -> User:
    user = user_crud.get_by_phone(session, phone=CONSUMERS[n].phone)
    assert user is not None
    return user


def _paid_by(session: Session, spend: WalletSpend) -> Payment:
    payment = session.get(Payment, spend.payment_id)
    assert payment is not None
    assert payment.provider == WALLET_PROVIDER
    assert payment.amount_minor == spend.amount_minor
    return payment


def test_the_demo_groups_have_wallets_topped_up_and_spent_from_once(
    client: TestClient, session: Session
) -> None:
    seed_all(session)
    seed_all(session)  # idempotent

    aarav, diya, kabir, meera = (_consumer(session, n) for n in range(4))
    groups = {g.name: g for g in session.exec(select(Group))}
    assert set(groups) == {LUNCH_CREW, CLUB_NIGHT}
    lunch, club = groups[LUNCH_CREW], groups[CLUB_NIGHT]
    members = {
        name: {
            (m.user_id, m.role)
            for m in session.exec(select(GroupMember).where(GroupMember.group_id == g.id))
        }
        for name, g in groups.items()
    }
    assert members[LUNCH_CREW] == {
        (diya.id, GroupRole.ADMIN),
        (kabir.id, GroupRole.MEMBER),
        (meera.id, GroupRole.MEMBER),
    }
    assert members[CLUB_NIGHT] == {
        (aarav.id, GroupRole.ADMIN),
        (diya.id, GroupRole.MEMBER),
        (kabir.id, GroupRole.MEMBER),
    }

    for group in groups.values():
        wallet = session.get(GroupWallet, group.id)
        assert wallet is not None
        entries = session.exec(
            select(WalletEntry)
            .where(WalletEntry.group_id == group.id)
            .order_by(col(WalletEntry.seq))
        ).all()
        # Each entry carries the balance after it; the newest is the ledger's sum.
        running = 0
        for seq, entry in enumerate(entries, start=1):
            running += entry.amount_minor
            assert (entry.seq, entry.balance_after_minor) == (seq, running)
            assert entry.payment_id is not None
        assert wallets.ledger_agrees(session, group_id=group.id)
        assert wallet_crud.balance(session, wallet=wallet) == running > 0
        assert wallet.entries == len(entries)
        # Top-ups: members' test-gateway payments, captured, each credited once.
        top_ups = [e for e in entries if e.kind is WalletEntryKind.TOP_UP]
        assert len(top_ups) == 2
        for entry in top_ups:
            payment = session.get(Payment, entry.payment_id)
            assert payment is not None
            assert (payment.purpose, payment.status, payment.provider) == (
                PaymentPurpose.WALLET_TOP_UP,
                PaymentStatus.CAPTURED,
                "test",
            )
            assert (payment.group_id, payment.payer_id) == (group.id, entry.member_id)
            assert payment.amount_minor == entry.amount_minor
        # Every spend took its amount out of the ledger once.
        for spend in session.exec(select(WalletSpend).where(WalletSpend.group_id == group.id)):
            taken = session.exec(select(WalletEntry).where(WalletEntry.spend_id == spend.id)).all()
            assert [e.amount_minor for e in taken] == [-spend.amount_minor]

    # The lunch crew: the admin's food-court cart spent at once, a member's order waits.
    spends = {
        s.member_id: s
        for s in session.exec(select(WalletSpend).where(WalletSpend.group_id == lunch.id))
    }
    assert set(spends) == {diya.id, meera.id}
    cart_spend, waiting = spends[diya.id], spends[meera.id]
    assert cart_spend.status is WalletSpendStatus.SPENT
    cart = session.get(Order, _paid_by(session, cart_spend).order_id)
    assert cart is not None
    court = session.get(Venue, cart.venue_id)
    assert court is not None
    assert court.kind is VenueKind.FOOD_COURT
    assert cart.total_minor == cart_spend.amount_minor
    parts = session.exec(select(Order).where(Order.parent_id == cart.id)).all()
    assert len({p.venue_id for p in parts}) == len(parts) == 2
    assert {p.status for p in (cart, *parts)} == {OrderStatus.PLACED}
    assert waiting.status is WalletSpendStatus.WAITING
    assert lunch.approval_above_minor is not None
    assert waiting.amount_minor > lunch.approval_above_minor
    held_payment = _paid_by(session, waiting)
    assert held_payment.status is PaymentStatus.CREATED  # until Diya decides
    held = session.get(Order, held_payment.order_id)
    assert held is not None
    assert held.status is OrderStatus.AWAITING_PAYMENT

    # What Diya and Meera see through the app.
    seen = client.get(f"/api/v1/groups/{lunch.id}/wallet", headers=auth_headers(meera))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["balance_minor"] == wallets.view(session, group=lunch, member=meera).balance_minor
    assert body["balance_minor"] == 500_000 - cart_spend.amount_minor - waiting.amount_minor
    assert (body["held_minor"], body["waiting_spends"]) == (waiting.amount_minor, 1)
    entries_seen = client.get(
        f"/api/v1/groups/{lunch.id}/wallet/entries", headers=auth_headers(diya)
    ).json()["items"]
    assert Counter(e["kind"] for e in entries_seen) == {"top_up": 2, "spend": 1, "hold": 1}

    # The club night: for Aarav's booking of a club night; Kabir's entry paid from it.
    booking = session.get(Booking, club.booking_id)
    assert booking is not None
    assert booking.consumer_id == aarav.id
    [entry_spend] = session.exec(select(WalletSpend).where(WalletSpend.group_id == club.id))
    assert (entry_spend.member_id, entry_spend.status) == (kabir.id, WalletSpendStatus.SPENT)
    paid = session.get(Booking, _paid_by(session, entry_spend).booking_id)
    assert paid is not None
    assert (paid.consumer_id, paid.event_id) == (kabir.id, booking.event_id)
    club_kind = session.exec(
        select(Venue.kind)
        .join(Event, col(Event.venue_id) == col(Venue.id))
        .where(Event.id == booking.event_id)
    ).one()
    assert club_kind is VenueKind.NIGHTCLUB
    assert paid.status is BookingStatus.CONFIRMED
    assert paid.total_minor == entry_spend.amount_minor > 0
    tickets = session.exec(select(Ticket).where(Ticket.booking_id == paid.id)).all()
    assert sum(t.guests for t in tickets) == paid.guests == 1
    # The README's walk-through books as Meera, who has no booking for a coming night
    # (she went out on past ones: app/seed/visits.py).
    coming = select(Event.id).where(col(Event.ends_at) > datetime.now(UTC))
    assert (
        session.exec(
            select(Booking).where(
                Booking.consumer_id == meera.id, col(Booking.event_id).in_(coming)
            )
        ).first()
        is None
    )
