"""The authorization matrix of the booking and payment routes.

The world's consumer is the booking's consumer; every other signed-in actor is
"another consumer" to a consumer's own booking (a 404, a platform admin too: these
are a person's own bookings, not a venue's). The venue's routes follow the venue
roles.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from app.models.booking import BookingStatus, Offering
from app.models.payment import Payment, PaymentPurpose, PaymentStatus
from tests.authz import Actor, Case, World, check, expect
from tests.authz import world as world  # the fixture
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event

E = "/api/v1/venues/{venue_id}/events/{event_id}"

OWN = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=200, anonymous=401, admin=404
)
SIGNED_IN = expect(owner=200, manager=200, staff=200, other_owner=200, consumer=200, anonymous=401)
BOOK = expect(owner=201, manager=201, staff=201, other_owner=201, consumer=201, anonymous=401)
STAFF_READ = expect(owner=200, manager=200, staff=200, other_owner=404, consumer=404, anonymous=401)
MANAGER_REFUND = expect(
    owner=201, manager=201, staff=403, other_owner=404, consumer=404, anonymous=401
)
VERIFY = expect(
    owner=404, manager=404, staff=404, other_owner=404, consumer=400, anonymous=401, admin=404
)
WEBHOOK_FORGED = expect(
    owner=400, manager=400, staff=400, other_owner=400, consumer=400, anonymous=400
)


def _event(world: World) -> None:
    event = make_event(world.session, venue=world.venue)
    pool = make_pool(world.session, event=event, size=100)
    offering = make_offering(world.session, event=event, pools=[pool])
    world.ids.update(event_id=event.id, offering_id=offering.id)


def _paid_booking(world: World) -> None:
    _event(world)
    offering = world.session.get(Offering, world.ids["offering_id"])
    consumer = world.users[Actor.CONSUMER]
    assert offering is not None
    assert consumer is not None
    booking = make_booking(
        world.session, consumer=consumer, items=[(offering, 1)], status=BookingStatus.CONFIRMED
    )
    payment = Payment(
        purpose=PaymentPurpose.BOOKING,
        booking_id=booking.id,
        payer_id=consumer.id,
        amount_minor=booking.total_minor,
        currency="INR",
        provider="test",
        provider_order_id="order_test_" + secrets.token_hex(8),
        provider_payment_id="pay_test_" + secrets.token_hex(8),
        status=PaymentStatus.CAPTURED,
        captured_at=datetime.now(UTC),
    )
    world.session.add(payment)
    world.session.flush()
    world.ids.update(booking_id=booking.id, payment_id=payment.id)


def _book_body(world: World) -> dict[str, object]:
    return {"items": [{"offering_id": str(world.ids["offering_id"]), "quantity": 1}]}


CASES = [
    Case("POST", "/api/v1/events/{event_id}/bookings", BOOK, body=_book_body, setup=_event),
    Case("GET", "/api/v1/bookings", SIGNED_IN),
    Case("GET", "/api/v1/bookings/{booking_id}", OWN, setup=_paid_booking),
    Case("POST", "/api/v1/bookings/{booking_id}/cancel", OWN, setup=_paid_booking),
    Case("GET", "/api/v1/payments/{payment_id}", OWN, setup=_paid_booking),
    Case(
        "POST",
        "/api/v1/payments/{payment_id}/verify",
        VERIFY,
        body={"provider_payment_id": "pay_test_x", "signature": "0" * 64},
        setup=_paid_booking,
    ),
    Case("POST", "/api/v1/payments/webhooks/test", WEBHOOK_FORGED, body={"event": "x"}),
    Case("GET", E + "/bookings", STAFF_READ, setup=_event),
    Case("GET", E + "/bookings?status=confirmed", STAFF_READ, setup=_event),
    Case("POST", E + "/bookings/{booking_id}/refund", MANAGER_REFUND, body={}, setup=_paid_booking),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_matrix(world: World, client: TestClient, case: Case, actor: Actor) -> None:
    check(client, world, case, actor)


def _booking_of_another_event(world: World) -> None:
    _paid_booking(world)
    event = make_event(world.session, venue=world.venue)
    world.ids["event_id"] = event.id  # the venue's other event: not this booking's


NOT_THIS_EVENT = expect(
    owner=404, manager=404, staff=403, other_owner=404, consumer=404, anonymous=401
)


@pytest.mark.parametrize("actor", list(Actor), ids=str)
def test_a_booking_of_another_event_is_404(world: World, client: TestClient, actor: Actor) -> None:
    case = Case(
        "POST",
        E + "/bookings/{booking_id}/refund",
        NOT_THIS_EVENT,
        body={},
        setup=_booking_of_another_event,
    )
    check(client, world, case, actor)
