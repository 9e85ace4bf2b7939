"""Bookings over HTTP: every refusal with its code, the test gateway end to end (book,
the checkout page's Pay or Fail, the webhook job, tickets), own bookings only,
cancelling, the staff list, a manager's refund and an event's cancellation."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core import ticket_token
from app.models import EventStatus, User, VenueRole, VenueStatus
from app.models.booking import Booking, BookingStatus, OfferingStatus, Ticket, TicketStatus
from app.models.payment import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from tests.factories import add_member, auth_headers, make_consumer, make_user
from tests.factories.bookings import make_booking, make_offering
from tests.factories.jobs import queued_jobs, run_jobs
from tests.factories.payments import Night, make_night
from tests.utils import QueryCounter


@pytest.fixture
def night(session: Session) -> Night:
    return make_night(session, size=50)


@pytest.fixture
def consumer(session: Session) -> User:
    return make_consumer(session)


def post_booking(
    client: TestClient, night: Night, user: User | None, items: list[dict[str, Any]] | None = None
) -> Any:
    return client.post(
        f"/api/v1/events/{night.event.id}/bookings",
        json={"items": items or [{"offering_id": str(night.offering.id), "quantity": 2}]},
        headers=auth_headers(user) if user else {},
    )


def checkout_path(resp: Any) -> str:
    url: str = resp.json()["checkout"]["checkout_url"]
    return "/" + url.split("/", 3)[3]


def pay(client: TestClient, session: Session, resp: Any, *, outcome: str = "pay") -> str:
    path = checkout_path(resp)
    page = client.get(path)
    assert page.status_code == 200
    assert "Pay" in page.text
    assert "Fail" in page.text
    done = client.post(f"{path}/{outcome}")
    assert done.status_code == 200, done.text
    run_jobs(session)
    text: str = done.text
    return text


def booking_of(session: Session, resp: Any) -> Booking:
    session.expire_all()
    booking = session.get(Booking, uuid.UUID(resp.json()["booking"]["id"]))
    assert booking is not None
    return booking


def test_book_pay_on_the_checkout_page_and_get_tickets(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    resp = post_booking(client, night, consumer)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert resp.headers["location"] == f"/api/v1/bookings/{body['booking']['id']}"
    assert body["booking"]["status"] == "held"
    assert body["booking"]["total_minor"] == 300_000
    assert body["booking"]["items"][0]["unit_price_minor"] == 150_000
    checkout = body["checkout"]
    assert checkout["provider"] == "test"
    assert checkout["amount_minor"] == 300_000
    assert checkout["currency"] == "INR"
    assert checkout["verify_url"] == f"/api/v1/payments/{checkout['payment_id']}/verify"
    assert checkout["checkout_url"].endswith(f"/checkout/test/{checkout['order_id']}")

    text = pay(client, session, resp)
    assert "Payment made" in text
    booking = booking_of(session, resp)
    assert booking.status is BookingStatus.CONFIRMED
    tickets = session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()
    assert len(tickets) == 2
    read = client.get(f"/api/v1/bookings/{booking.id}", headers=auth_headers(consumer))
    assert read.json()["status"] == "confirmed"
    assert read.json()["tickets"] == 2
    assert read.json()["payment"]["status"] == "captured"
    # The page of a paid order says so and offers no button.
    again = client.get(checkout_path(resp))
    assert "This order is paid" in again.text
    assert client.post(checkout_path(resp) + "/pay").status_code == 409


def test_the_checkout_callback_from_the_page_also_confirms(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    resp = post_booking(client, night, consumer)
    path = checkout_path(resp)
    page = client.post(f"{path}/pay").text
    found = re.findall(r"<code>([A-Za-z0-9_]+)</code>", page)
    provider_payment_id, signature = found[-2], found[-1]
    verified = client.post(
        resp.json()["checkout"]["verify_url"],
        json={"provider_payment_id": provider_payment_id, "signature": signature},
        headers=auth_headers(consumer),
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "captured"
    assert booking_of(session, resp).status is BookingStatus.CONFIRMED
    run_jobs(session)  # the webhook arrives after: absorbed, one set of tickets
    booking = booking_of(session, resp)
    assert len(session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()) == 2


def test_fail_on_the_checkout_page_releases_the_places(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    resp = post_booking(client, night, consumer)
    assert "Payment failed" in pay(client, session, resp, outcome="fail")
    booking = booking_of(session, resp)
    assert booking.status is BookingStatus.FAILED
    payment = session.exec(select(Payment).where(Payment.booking_id == booking.id)).one()
    assert payment.status is PaymentStatus.FAILED
    # A later successful attempt on the same order still confirms (places remain).
    pay(client, session, resp)
    assert booking_of(session, resp).status is BookingStatus.CONFIRMED


def test_a_payment_after_the_hold_expired_confirms_while_places_remain(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    resp = post_booking(client, night, consumer)
    booking = booking_of(session, resp)
    booking.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(booking)
    session.flush()
    pay(client, session, resp)
    assert booking_of(session, resp).status is BookingStatus.CONFIRMED


def test_a_payment_after_the_hold_expired_and_sold_out_is_refunded_in_full(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, size=2)
    resp = post_booking(client, night, consumer)
    booking = booking_of(session, resp)
    booking.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.add(booking)
    session.flush()
    make_booking(
        session,
        consumer=make_consumer(session),
        items=[(night.offering, 2)],
        status=BookingStatus.CONFIRMED,
    )
    pay(client, session, resp)  # the webhook job, then the refund job
    booking = booking_of(session, resp)
    assert booking.status is BookingStatus.EXPIRED
    payment = session.exec(select(Payment).where(Payment.booking_id == booking.id)).one()
    refund = session.exec(select(Refund).where(Refund.payment_id == payment.id)).one()
    assert (refund.reason, refund.amount_minor) == (RefundReason.CAPTURED_TOO_LATE, 300_000)
    assert refund.status is RefundStatus.PROCESSED
    assert payment.refunded_minor == 300_000


def test_sold_out_says_which_offering(session: Session, client: TestClient, consumer: User) -> None:
    night = make_night(session, size=3)
    assert post_booking(client, night, consumer).status_code == 201
    resp = post_booking(client, night, consumer)
    assert resp.status_code == 409
    assert resp.json()["error"] == "sold_out"
    assert resp.json()["detail"]["offering_id"] == str(night.offering.id)
    assert resp.json()["detail"]["passes_left"] == 1


def test_an_expired_hold_frees_its_places_at_once_and_the_job_marks_it(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, size=2)
    first = post_booking(client, night, consumer)
    booking = booking_of(session, first)
    booking.hold_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(booking)
    session.flush()
    assert post_booking(client, night, consumer).status_code == 201
    from app.services import bookings as bookings_service

    assert bookings_service.expire_holds(session) == 1
    assert booking_of(session, first).status is BookingStatus.EXPIRED


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("cancelled", "event_not_bookable"),
        ("over", "event_not_bookable"),
        ("venue_inactive", "event_not_bookable"),
        ("venue_unverified", "venue_not_verified"),
        ("hidden", "offering_not_on_sale"),
        ("retired", "offering_not_on_sale"),
        ("not_open", "sale_not_open"),
        ("closed", "sale_closed"),
        ("over_limit", "over_booking_limit"),
        ("no_dob", "date_of_birth_required"),
        ("too_young", "under_age"),
    ],
)
def test_refusals_have_their_own_codes(
    session: Session, client: TestClient, night: Night, consumer: User, change: str, code: str
) -> None:
    now = datetime.now(UTC)
    event, venue, offering = night.event, night.venue, night.offering
    match change:
        case "cancelled":
            event.status = EventStatus.CANCELLED
        case "over":
            event.starts_at, event.ends_at = now - timedelta(hours=6), now - timedelta(hours=1)
        case "venue_inactive":
            venue.is_active = False
        case "venue_unverified":
            venue.status = VenueStatus.DRAFT
        case "hidden":
            offering.status = OfferingStatus.HIDDEN
        case "retired":
            offering.status = OfferingStatus.RETIRED
        case "not_open":
            offering.sale_starts_at = now + timedelta(hours=1)
        case "closed":
            offering.sale_ends_at = now - timedelta(minutes=1)
        case "over_limit":
            offering.max_per_booking = 1
        case "no_dob":
            event.min_age = 21
        case "too_young":
            event.min_age = 21
            # 21 the day after the event (in the venue's time zone): still too young.
            day = event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(venue.timezone))
            born = day.date() + timedelta(days=1)
            consumer.date_of_birth = date(born.year - 21, born.month, born.day)
    session.add_all([event, venue, offering, consumer])
    session.flush()
    resp = post_booking(client, night, consumer)
    assert resp.status_code == 409, resp.text
    assert resp.json()["error"] == code
    assert session.exec(select(Booking).where(Booking.event_id == event.id)).all() == []


def test_old_enough_on_the_events_day_may_book(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    night.event.min_age = 21
    day = night.event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(night.venue.timezone))
    consumer.date_of_birth = date(day.year - 21, day.month, day.day)
    session.add_all([night.event, consumer])
    session.flush()
    assert post_booking(client, night, consumer).status_code == 201


def test_bad_bodies_and_unknown_things(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    assert post_booking(client, night, None).status_code == 401
    item = {"offering_id": str(night.offering.id), "quantity": 1}
    dup = post_booking(client, night, consumer, [item, item])
    assert (dup.status_code, dup.json()["error"]) == (422, "duplicate_offering")
    other = make_night(session)
    unknown = post_booking(
        client, night, consumer, [{"offering_id": str(other.offering.id), "quantity": 1}]
    )
    assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_offering")
    assert unknown.json()["detail"][0]["loc"] == ["body", "items", 0, "offering_id"]
    for bad in (
        [{"offering_id": str(night.offering.id), "quantity": 0}],
        [{"offering_id": str(night.offering.id), "quantity": "2"}],
        [{"offering_id": "not-a-uuid", "quantity": 1}],
        [{"offering_id": str(night.offering.id), "quantity": 1, "price_minor": 1}],
    ):
        assert post_booking(client, night, consumer, bad).status_code == 422, bad
    zero = client.post(
        f"/api/v1/events/{night.event.id}/bookings",
        json={"items": []},
        headers=auth_headers(consumer),
    )
    assert zero.status_code == 422
    missing = client.post(
        f"/api/v1/events/{uuid.uuid4()}/bookings",
        json={"items": [item]},
        headers=auth_headers(consumer),
    )
    assert missing.status_code == 404


def test_a_free_pass_is_confirmed_at_once(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, price_minor=0)
    resp = post_booking(client, night, consumer)
    assert resp.status_code == 201
    assert resp.json()["checkout"] is None
    assert resp.json()["booking"]["status"] == "confirmed"
    assert resp.json()["booking"]["tickets"] == 2


def test_consumers_see_only_their_own_bookings(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    mine = post_booking(client, night, consumer).json()["booking"]["id"]
    other = make_consumer(session)
    theirs = post_booking(client, night, other).json()["booking"]["id"]
    listed = client.get("/api/v1/bookings", headers=auth_headers(consumer)).json()
    assert [b["id"] for b in listed["items"]] == [mine]
    assert (
        client.get(f"/api/v1/bookings/{theirs}", headers=auth_headers(consumer)).status_code == 404
    )
    assert client.get(f"/api/v1/bookings/{mine}").status_code == 401
    assert (
        client.post(f"/api/v1/bookings/{theirs}/cancel", headers=auth_headers(consumer)).status_code
        == 404
    )


def _confirmed(client: TestClient, session: Session, night: Night, consumer: User) -> Booking:
    resp = post_booking(client, night, consumer)
    pay(client, session, resp)
    return booking_of(session, resp)


def test_cancel_before_the_cutoff_refunds_the_policys_share(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, price_minor=99_999, refund_percent=75)
    booking = _confirmed(client, session, night, consumer)
    resp = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=auth_headers(consumer))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled"
    run_jobs(session)
    payment = session.exec(select(Payment).where(Payment.booking_id == booking.id)).one()
    refund = session.exec(select(Refund).where(Refund.payment_id == payment.id)).one()
    assert refund.amount_minor == 149_998  # 75 % of 199,998, rounded down to the paisa
    assert refund.status is RefundStatus.PROCESSED
    tickets = session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()
    assert {t.status for t in tickets} == {TicketStatus.VOID}
    again = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=auth_headers(consumer))
    assert (again.status_code, again.json()["error"]) == (409, "booking_not_cancellable")


def test_cancel_after_the_cutoff_is_refused(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, starts_in=timedelta(hours=2), cancel_cutoff_minutes=180)
    booking = _confirmed(client, session, night, consumer)
    resp = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=auth_headers(consumer))
    assert (resp.status_code, resp.json()["error"]) == (409, "cancel_cutoff_passed")
    assert booking_of_id(session, booking.id).status is BookingStatus.CONFIRMED


def booking_of_id(session: Session, booking_id: uuid.UUID) -> Booking:
    session.expire_all()
    found = session.get(Booking, booking_id)
    assert found is not None
    return found


def test_staff_list_an_events_bookings_with_guest_names(
    session: Session, client: TestClient, night: Night
) -> None:
    ada = make_consumer(session, full_name="Ada Lovelace")
    held = post_booking(client, night, ada).json()["booking"]["id"]
    _confirmed(client, session, night, make_consumer(session, full_name="Grace Hopper"))
    staff = make_user(session)
    add_member(session, venue=night.venue, user=staff, role=VenueRole.STAFF)
    url = f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/bookings"
    page = client.get(url, headers=auth_headers(staff)).json()
    assert page["total"] == 2
    assert {b["guest_name"] for b in page["items"]} == {"Ada Lovelace", "Grace Hopper"}
    only = client.get(url, params={"status": "held"}, headers=auth_headers(staff)).json()
    assert [b["id"] for b in only["items"]] == [held]
    assert client.get(url, headers=auth_headers(ada)).status_code == 404
    assert client.get(url).status_code == 401
    outsider = make_night(session).owner
    assert client.get(url, headers=auth_headers(outsider)).status_code == 404


def test_a_manager_refunds_part_then_the_rest_never_more(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    booking = _confirmed(client, session, night, consumer)
    url = f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/bookings/{booking.id}/refund"
    owner = auth_headers(night.owner)
    part = client.post(url, json={"amount_minor": 100_000}, headers=owner)
    assert part.status_code == 201, part.text
    assert part.json()["status"] == "pending"
    too_much = client.post(url, json={"amount_minor": 200_001}, headers=owner)
    assert (too_much.status_code, too_much.json()["error"]) == (409, "refund_exceeds_paid")
    rest = client.post(url, json={}, headers=owner)
    assert rest.status_code == 201
    assert rest.json()["amount_minor"] == 200_000
    nothing = client.post(url, json={}, headers=owner)
    assert (nothing.status_code, nothing.json()["error"]) == (409, "refund_exceeds_paid")
    run_jobs(session)
    assert booking_of_id(session, booking.id).status is BookingStatus.CANCELLED
    refunds = session.exec(select(Refund).join(Payment).where(Payment.booking_id == booking.id))
    assert sorted(r.amount_minor for r in refunds) == [100_000, 200_000]
    staff = make_user(session)
    add_member(session, venue=night.venue, user=staff, role=VenueRole.STAFF)
    assert client.post(url, json={}, headers=auth_headers(staff)).status_code == 403
    assert client.post(url, json={}, headers=auth_headers(consumer)).status_code == 404
    assert client.post(url, json={"amount_minor": 0}, headers=owner).status_code == 422


def test_refunding_an_unpaid_booking_is_refused(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    booking_id = post_booking(client, night, consumer).json()["booking"]["id"]
    url = f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/bookings/{booking_id}/refund"
    resp = client.post(url, json={}, headers=auth_headers(night.owner))
    assert (resp.status_code, resp.json()["error"]) == (409, "booking_not_paid")


def test_cancelling_the_event_refunds_every_confirmed_booking_once(
    session: Session, client: TestClient, night: Night
) -> None:
    paid = [_confirmed(client, session, night, make_consumer(session)) for _ in range(3)]
    resp = client.post(
        f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/cancel",
        headers=auth_headers(night.owner),
    )
    assert resp.status_code == 200, resp.text
    assert [j.task_name for j in queued_jobs(session, task_name="refund_cancelled_event")] == [
        "refund_cancelled_event"
    ]
    run_jobs(session)
    from app.core import jobs
    from app.services import bookings as bookings_service

    # Run again (a resumed job): nothing more is done.
    assert bookings_service.refund_cancelled_event(jobs.task_session, event_id=night.event.id) == 0
    for booking in paid:
        assert booking_of_id(session, booking.id).status is BookingStatus.CANCELLED
        refunds = session.exec(
            select(Refund).join(Payment).where(Payment.booking_id == booking.id)
        ).all()
        assert [(r.amount_minor, r.reason, r.status) for r in refunds] == [
            (300_000, RefundReason.EVENT_CANCELLED, RefundStatus.PROCESSED)
        ]


def test_cancelling_the_event_gives_back_the_rest_to_who_had_cancelled(
    session: Session, client: TestClient, consumer: User
) -> None:
    night = make_night(session, price_minor=100_000, refund_percent=50)
    booking = _confirmed(client, session, night, consumer)
    kept = _confirmed(client, session, night, make_consumer(session))
    assert (
        client.post(
            f"/api/v1/bookings/{booking.id}/cancel", headers=auth_headers(consumer)
        ).status_code
        == 200
    )
    run_jobs(session)  # the policy's half goes back
    resp = client.post(
        f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/cancel",
        headers=auth_headers(night.owner),
    )
    assert resp.status_code == 200, resp.text
    run_jobs(session)
    from app.core import jobs
    from app.services import bookings as bookings_service

    assert bookings_service.refund_cancelled_event(jobs.task_session, event_id=night.event.id) == 0
    refunds = session.exec(
        select(Refund).join(Payment).where(Payment.booking_id == booking.id)
    ).all()
    assert sorted((r.amount_minor, r.reason) for r in refunds) == [
        (100_000, RefundReason.CONSUMER_CANCELLED),
        (100_000, RefundReason.EVENT_CANCELLED),
    ]
    payment = session.exec(select(Payment).where(Payment.booking_id == booking.id)).one()
    assert payment.refunded_minor == payment.amount_minor == 200_000
    other = session.exec(select(Refund).join(Payment).where(Payment.booking_id == kept.id)).all()
    assert [(r.amount_minor, r.reason) for r in other] == [(200_000, RefundReason.EVENT_CANCELLED)]


def test_a_payment_after_the_hold_expired_is_refunded_once_the_sale_has_ended(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    resp = post_booking(client, night, consumer)
    booking = booking_of(session, resp)
    booking.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    night.offering.sale_ends_at = datetime.now(UTC) - timedelta(seconds=30)
    session.add_all([booking, night.offering])
    session.flush()
    pay(client, session, resp)
    assert booking_of(session, resp).status is BookingStatus.EXPIRED
    run_jobs(session)
    refund = session.exec(
        select(Refund).join(Payment).where(Payment.booking_id == booking.id)
    ).one()
    assert (refund.reason, refund.status) == (
        RefundReason.CAPTURED_TOO_LATE,
        RefundStatus.PROCESSED,
    )


def test_a_second_offering_draws_from_the_same_pool(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    couple = make_offering(session, event=night.event, pools=[night.pool], guests_per_pass=2)
    resp = post_booking(
        client,
        night,
        consumer,
        [
            {"offering_id": str(night.offering.id), "quantity": 2},
            {"offering_id": str(couple.id), "quantity": 3},
        ],
    )
    assert resp.status_code == 201
    assert resp.json()["booking"]["guests"] == 8


def test_offerings_in_two_currencies_cannot_share_a_booking(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    dollars = make_offering(session, event=night.event, pools=[night.pool], currency="USD")
    resp = post_booking(
        client,
        night,
        consumer,
        [
            {"offering_id": str(night.offering.id), "quantity": 1},
            {"offering_id": str(dollars.id), "quantity": 1},
        ],
    )
    assert (resp.status_code, resp.json()["error"]) == (409, "mixed_currencies")


def test_a_gateway_outage_books_nothing(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    from app.services import payments
    from tests.fakes.razorpay import FakeRazorpay

    with FakeRazorpay() as gateway, payments.use_provider(gateway.provider()):
        gateway.mode = "crash"
        resp = post_booking(client, night, consumer)
        assert (resp.status_code, resp.json()["error"]) == (503, "payment_unavailable")
        gateway.mode = "ok"
        ok = post_booking(client, night, consumer)
        assert ok.status_code == 201
        checkout = ok.json()["checkout"]
        assert checkout["provider"] == "razorpay"
        assert checkout["key_id"] == FakeRazorpay.KEY_ID
        assert checkout["checkout_url"] is None
    assert len(session.exec(select(Booking).where(Booking.event_id == night.event.id)).all()) == 1


def test_the_checkout_page_of_an_unknown_order_is_a_friendly_404(client: TestClient) -> None:
    for path in ("/checkout/test/order_test_nope", "/checkout/test/<script>"):
        resp = client.get(path)
        assert resp.status_code == 404
        assert "No such order" in resp.text
    assert client.post("/checkout/test/order_test_nope/pay").status_code == 404
    assert client.post("/checkout/test/order_test_nope/steal").status_code == 404


def test_lists_load_in_a_fixed_number_of_queries(
    session: Session, client: TestClient, night: Night, queries: QueryCounter
) -> None:
    consumer = make_consumer(session)
    staff = auth_headers(night.owner)
    url = f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/bookings"

    def counts() -> tuple[int, int]:
        with queries.count() as mine:
            assert client.get("/api/v1/bookings", headers=auth_headers(consumer)).status_code == 200
        with queries.count() as theirs:
            assert client.get(url, headers=staff).status_code == 200
        return mine.total, theirs.total

    make_booking(session, consumer=consumer, items=[(night.offering, 1)])
    one = counts()
    for _ in range(4):
        make_booking(session, consumer=consumer, items=[(night.offering, 2)])
    assert counts() == one


def test_a_retried_booking_request_books_once_and_a_missing_key_books_nothing(
    session: Session, app: Any, client: TestClient, night: Night, consumer: User
) -> None:
    url = f"/api/v1/events/{night.event.id}/bookings"
    body = {"items": [{"offering_id": str(night.offering.id), "quantity": 1}]}
    headers = {**auth_headers(consumer), "Idempotency-Key": "retry-me-1"}

    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)  # a phone retrying after a timeout
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    other = client.post(url, json={"items": [{**body["items"][0], "quantity": 2}]}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"

    with TestClient(app, raise_server_exceptions=False) as plain:  # sends no key of its own
        missing = plain.post(url, json=body, headers=auth_headers(consumer))
    assert missing.status_code == 400
    assert missing.json()["error"] == "idempotency_key_required"

    mine = session.exec(select(Booking).where(Booking.consumer_id == consumer.id)).all()
    assert len(mine) == 1
    assert len(session.exec(select(Payment).where(Payment.payer_id == consumer.id)).all()) == 1


def test_a_consumer_cannot_hold_a_night_by_booking_again_and_again_without_paying(
    session: Session, client: TestClient, night: Night, consumer: User
) -> None:
    first, second = post_booking(client, night, consumer), post_booking(client, night, consumer)
    assert first.status_code == second.status_code == 201
    third = post_booking(client, night, consumer)
    assert third.status_code == 409
    assert third.json()["error"] == "too_many_holds"
    # The refused request had written its booking and payment before counting the
    # holds: they rolled back with it.
    mine = session.exec(select(Booking).where(Booking.consumer_id == consumer.id)).all()
    assert len(mine) == 2
    assert len(session.exec(select(Payment).where(Payment.payer_id == consumer.id)).all()) == 2
    assert post_booking(client, night, make_consumer(session)).status_code == 201  # others can


def test_an_unpaid_hold_stops_counting_once_paid_or_expired(
    session: Session, night: Night, consumer: User
) -> None:
    from app.core.errors import TooManyHolds
    from tests.factories.payments import book

    held = [book(session, night=night, consumer=consumer) for _ in range(2)]
    with pytest.raises(TooManyHolds), session.begin_nested():  # a request rolls back
        book(session, night=night, consumer=consumer)
    held[0].booking.hold_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(held[0].booking)
    session.flush()
    assert book(session, night=night, consumer=consumer).booking.status is BookingStatus.HELD


def test_a_full_refund_after_entry_takes_back_the_passs_unspent_cover_credit(
    session: Session, client: TestClient, consumer: User
) -> None:
    # Doors are open (the night started an hour ago) and the pass carries ₹500 credit.
    night = make_night(
        session, starts_in=timedelta(hours=-1), offering_fields={"cover_credit_minor": 50_000}
    )
    booking = _confirmed(client, session, night, consumer)
    tickets = session.exec(select(Ticket).where(Ticket.booking_id == booking.id)).all()
    assert len(tickets) == 2  # two stag passes
    door = client.post(
        f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/scans",
        json={
            "scans": [
                {
                    "token": ticket_token.encode_ticket_token(
                        ticket_id=ticket.id, version=ticket.token_version
                    ),
                    "direction": "entry",
                    "client_nonce": f"gate-1-{n}",
                    "scanned_at": datetime.now(UTC).isoformat(),
                }
                for n, ticket in enumerate(tickets)
            ]
        },
        headers=auth_headers(night.owner),
    )
    assert door.status_code == 200, door.text
    assert [r["outcome"] for r in door.json()["results"]] == ["ok", "ok"]
    mine = client.get("/api/v1/users/me/cover-credits", headers=auth_headers(consumer))
    credits = mine.json()["items"]
    assert [(c["balance_minor"], c["active"], c["revoked_at"]) for c in credits] == [
        (50_000, True, None)
    ] * 2

    refund = client.post(
        f"/api/v1/venues/{night.venue.id}/events/{night.event.id}/bookings/{booking.id}/refund",
        json={},
        headers=auth_headers(night.owner),
    )
    assert refund.status_code == 201, refund.text
    for listed in credits:
        credit = client.get(
            f"/api/v1/users/me/cover-credits/{listed['id']}", headers=auth_headers(consumer)
        ).json()
        assert (credit["balance_minor"], credit["active"]) == (0, False)
        assert credit["revoked_at"] is not None
        assert [(e["kind"], e["amount_minor"]) for e in credit["entries"]] == [
            ("granted", 50_000),
            ("revoked", -50_000),
        ]
