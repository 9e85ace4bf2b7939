"""Club visits over HTTP: a consumer's own nights with what they spent by tender and
who of their groups was there; a venue's night with its guests, curve and spend."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.timezones import night_of
from app.models import User, VenueKind
from app.models.group import Group, GroupMember, GroupRole, LeftReason
from app.models.order import BillShare, BillShareMethod, BillShareStatus, OrderStatus
from app.models.payment import WALLET_PROVIDER, Payment, PaymentPurpose, PaymentStatus
from app.models.venue import PaymentMode
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.bills import add_order, issue, make_tab
from tests.factories.visits import ClubNight, enter, leave, make_club_night, make_order, passes
from tests.utils import QueryCounter, assert_error


@dataclass
class Evening:
    night: ClubNight
    t0: datetime
    guest: User  # spends, has friends
    friend: User  # in the guest's group, came too
    former: User  # left the group before the guest came in
    stranger: User  # came, shares no group
    regular: User  # came on an earlier night too


def _group(session: Session, *, admin: User, members: list[User], left: list[User]) -> None:
    group = Group(name="Saturday crew", admin_id=admin.id, currency="INR")
    session.add(group)
    session.flush()
    long_ago = datetime.now(UTC) - timedelta(days=30)
    session.add(
        GroupMember(group_id=group.id, user_id=admin.id, role=GroupRole.ADMIN, joined_at=long_ago)
    )
    for member in members:
        session.add(GroupMember(group_id=group.id, user_id=member.id, joined_at=long_ago))
    for member in left:
        session.add(
            GroupMember(
                group_id=group.id,
                user_id=member.id,
                joined_at=long_ago,
                left_at=long_ago + timedelta(days=1),
                left_reason=LeftReason.LEFT,
            )
        )
    session.flush()


@pytest.fixture
def evening(session: Session) -> Evening:
    night = make_club_night(session, starts_in=-timedelta(hours=2))
    t0 = night.event.starts_at + timedelta(minutes=5)
    guest = make_consumer(session, full_name="Asha")
    friend = make_consumer(session, full_name="Bilal")
    former = make_consumer(session, full_name="Chitra")
    stranger = make_consumer(session, full_name="Dev")
    regular = make_consumer(session, full_name="Esha")
    _group(session, admin=guest, members=[friend], left=[former])
    earlier = make_club_night(session, venue=night.venue, starts_in=-timedelta(days=7, hours=1))
    [before] = passes(session, night=earlier, consumer=regular)
    enter(session, earlier, before, at=earlier.event.starts_at + timedelta(minutes=5))
    tickets = {p.id: passes(session, night=night, consumer=p)[0] for p in (guest, friend)}
    tickets |= {p.id: passes(session, night=night, consumer=p)[0] for p in (former, stranger)}
    tickets[regular.id] = passes(session, night=night, consumer=regular)[0]
    enter(session, night, tickets[guest.id], at=t0)
    enter(session, night, tickets[friend.id], at=t0 + timedelta(minutes=5))
    enter(session, night, tickets[former.id], tickets[stranger.id], at=t0 + timedelta(minutes=20))
    enter(session, night, tickets[regular.id], at=t0 + timedelta(minutes=21))
    leave(session, night, tickets[friend.id], at=t0 + timedelta(minutes=35))
    return Evening(night, t0, guest, friend, former, stranger, regular)


def _wallet_payment(session: Session, *, order_id: uuid.UUID, payer: User, amount: int) -> None:
    session.add(
        Payment(
            purpose=PaymentPurpose.ORDER,
            order_id=order_id,
            payer_id=payer.id,
            amount_minor=amount,
            currency="INR",
            provider=WALLET_PROVIDER,
            status=PaymentStatus.CAPTURED,
            captured_at=datetime.now(UTC),
        )
    )
    session.flush()


def _spend(session: Session, e: Evening) -> None:
    """Credit 25,000, wallet 30,000, gateway 60,000 in the window; the rest not."""
    venue, guest, now = e.night.venue, e.guest, datetime.now(UTC)
    wallet_paid = make_order(
        session, venue=venue, consumer=guest, total_minor=50_000, credit_minor=20_000
    )
    _wallet_payment(session, order_id=wallet_paid.id, payer=guest, amount=30_000)
    make_order(session, venue=venue, consumer=guest, total_minor=40_000)  # the gateway
    make_order(
        session, venue=venue, consumer=guest, total_minor=9_000, status=OrderStatus.CANCELLED
    )
    make_order(
        session,
        venue=venue,
        consumer=guest,
        total_minor=8_000,
        status=OrderStatus.AWAITING_PAYMENT,
    )
    make_order(  # before they came in
        session, venue=venue, consumer=guest, total_minor=7_000, placed_at=e.t0 - timedelta(hours=1)
    )
    elsewhere = make_venue(session, kind=VenueKind.RESTAURANT)
    make_order(session, venue=elsewhere, consumer=guest, total_minor=6_000)
    make_order(session, venue=venue, consumer=e.stranger, total_minor=5_000)  # not theirs
    # A tab at the club: its orders are paid by the bill's shares, counted once.
    tab = make_tab(session, venue=venue, members=1, payment_mode=PaymentMode.AT_END)
    add_order(session, tab=tab, lines=[(25_000, 1, 0)], by=guest)
    bill = issue(session, tab=tab)
    session.add(
        BillShare(
            bill_id=bill.id,
            payer_id=guest.id,
            method=BillShareMethod.CUSTOM,
            amount_minor=25_000,
            credit_minor=5_000,
            status=BillShareStatus.PAID,
            expires_at=now + timedelta(minutes=15),
            paid_at=now,
        )
    )
    session.flush()


def _my_visits(client: TestClient, user: User) -> list[dict[str, object]]:
    response = client.get("/api/v1/users/me/visits", headers=auth_headers(user))
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_a_consumer_sees_their_visit_with_spend_by_tender_and_friends(
    session: Session, client: TestClient, evening: Evening
) -> None:
    _spend(session, evening)
    [visit] = _my_visits(client, evening.guest)
    night = evening.night
    assert visit["venue_id"] == str(night.venue.id)
    assert visit["venue_name"] == night.venue.name
    assert visit["event_id"] == str(night.event.id)
    assert visit["event_title"] == night.event.title
    assert visit["night"] == night_of("Asia/Kolkata", night.event.starts_at).isoformat()
    assert visit["first_entry_at"] == evening.t0.isoformat().replace("+00:00", "Z")
    assert visit["last_exit_at"] is None
    assert (visit["entries"], visit["guests"], visit["inside"]) == (1, 2, True)
    assert visit["cover_charge_minor"] == 200_000
    assert visit["currency"] == "INR"
    assert visit["spend"] == {
        "credit_minor": 25_000,
        "wallet_minor": 30_000,
        "gateway_minor": 60_000,
        "total_minor": 115_000,
    }
    assert visit["group_members_there"] == ["Bilal"]


def test_a_friend_sees_the_guest_and_strangers_see_no_one(
    client: TestClient, evening: Evening
) -> None:
    [visit] = _my_visits(client, evening.friend)
    assert visit["group_members_there"] == ["Asha"]
    assert visit["inside"] is False
    assert visit["spend"] == {
        "credit_minor": 0,
        "wallet_minor": 0,
        "gateway_minor": 0,
        "total_minor": 0,
    }
    [visit] = _my_visits(client, evening.former)
    assert visit["group_members_there"] == []
    [visit] = _my_visits(client, evening.stranger)
    assert visit["group_members_there"] == []


def test_consumers_see_only_their_own_visits_newest_first(
    session: Session, client: TestClient, evening: Evening
) -> None:
    nights = [str(v["night"]) for v in _my_visits(client, evening.regular)]
    assert len(nights) == 2
    assert nights == sorted(nights, reverse=True)
    assert _my_visits(client, make_consumer(session)) == []
    ids = {v["id"] for v in _my_visits(client, evening.guest)}
    assert ids.isdisjoint(v["id"] for v in _my_visits(client, evening.friend))


def test_the_visits_page_reads_in_a_bounded_number_of_queries(
    session: Session, client: TestClient, evening: Evening, queries: QueryCounter
) -> None:
    _spend(session, evening)
    with queries.count() as counted:
        assert len(_my_visits(client, evening.regular)) == 2
    few = counted.total
    with queries.count() as counted:
        assert len(_my_visits(client, evening.guest)) == 1
    assert counted.total == few


def _night(client: TestClient, e: Evening, user: User, **params: str) -> dict[str, object]:
    response = client.get(
        f"/api/v1/venues/{e.night.venue.id}/visits", params=params, headers=auth_headers(user)
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_venue_sees_its_night(session: Session, client: TestClient, evening: Evening) -> None:
    _spend(session, evening)
    tonight = night_of("Asia/Kolkata", evening.night.event.starts_at).isoformat()
    body = _night(client, evening, evening.night.staff, night=tonight)
    assert body["night"] == tonight
    assert body["venue_id"] == str(evening.night.venue.id)
    assert body["currency"] == "INR"
    assert [e["id"] for e in body["events"]] == [str(evening.night.event.id)]  # type: ignore[attr-defined]
    assert (body["visits"], body["guests"]) == (5, 10)
    assert (body["new_visits"], body["returning_visits"]) == (4, 1)
    assert (body["new_guests"], body["returning_guests"]) == (8, 2)
    assert body["cover_charge_minor"] == 5 * 200_000
    assert body["spend"] == {
        "credit_minor": 25_000,
        "wallet_minor": 30_000,
        "gateway_minor": 65_000,  # the stranger's 5,000 too
        "total_minor": 120_000,
    }
    assert body["spend_per_head_minor"] == 12_000
    # Without `night`: tonight's (the event started two hours ago, so tonight's
    # night unless 06:00 fell in between: then the answer is a night with no visits).
    default = _night(client, evening, evening.night.owner)
    assert default["night"] in {tonight, night_of("Asia/Kolkata", datetime.now(UTC)).isoformat()}


def test_the_inside_curve_follows_the_door(
    session: Session, client: TestClient, evening: Evening
) -> None:
    tonight = night_of("Asia/Kolkata", evening.night.event.starts_at).isoformat()
    body = _night(client, evening, evening.night.manager, night=tonight)
    curve: list[dict[str, object]] = body["inside_curve"]  # type: ignore[assignment]
    t0 = evening.t0
    moves = [  # (when, guests in or out)
        (t0, 2),
        (t0 + timedelta(minutes=5), 2),
        (t0 + timedelta(minutes=20), 4),
        (t0 + timedelta(minutes=21), 2),
        (t0 + timedelta(minutes=35), -2),
    ]
    step = timedelta(minutes=15)
    start = datetime.fromisoformat(str(curve[0]["at"]))
    assert start <= evening.night.event.starts_at < start + step
    assert start.minute % 15 == 0
    assert start.second == 0
    for point, following in itertools.pairwise(curve):
        assert (
            datetime.fromisoformat(str(following["at"])) - datetime.fromisoformat(str(point["at"]))
            == step
        )
    last = datetime.fromisoformat(str(curve[-1]["at"]))
    assert last <= datetime.now(UTC) < last + step
    for point in curve:
        at = datetime.fromisoformat(str(point["at"]))
        assert point["entered"] == sum(g for w, g in moves if at <= w < at + step and g > 0)
        assert point["exited"] == -sum(g for w, g in moves if at <= w < at + step and g < 0)
        assert point["inside"] == sum(g for w, g in moves if w < at + step)
    assert curve[-1]["inside"] == 8


def test_a_night_with_nothing_is_empty(client: TestClient, evening: Evening) -> None:
    body = _night(client, evening, evening.night.staff, night="2020-01-01")
    assert (body["visits"], body["guests"], body["spend_per_head_minor"]) == (0, 0, 0)
    assert body["inside_curve"] == []
    assert body["events"] == []


def test_the_venue_lists_its_nights(client: TestClient, evening: Evening) -> None:
    response = client.get(
        f"/api/v1/venues/{evening.night.venue.id}/visits/nights",
        headers=auth_headers(evening.night.staff),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    latest, earlier = body["items"]
    assert latest["night"] > earlier["night"]
    assert (latest["visits"], latest["returning_visits"]) == (5, 1)
    assert (earlier["visits"], earlier["guests"], earlier["new_visits"]) == (1, 2, 1)


def test_staff_of_another_venue_and_consumers_get_404(
    session: Session, client: TestClient, evening: Evening
) -> None:
    other = make_club_night(session)
    url = f"/api/v1/venues/{evening.night.venue.id}/visits"
    for user in (other.staff, other.owner, evening.guest):
        assert_error(client.get(url, headers=auth_headers(user)), 404, "not_found")
        assert_error(client.get(url + "/nights", headers=auth_headers(user)), 404, "not_found")
    assert_error(client.get(url), 401)
    assert_error(client.get("/api/v1/users/me/visits"), 401)
    admin = make_user(session, is_superuser=True)
    assert client.get(url, headers=auth_headers(admin)).status_code == 200


def test_a_bad_night_is_a_422(client: TestClient, evening: Evening) -> None:
    response = client.get(
        f"/api/v1/venues/{evening.night.venue.id}/visits",
        params={"night": "yesterday"},
        headers=auth_headers(evening.night.staff),
    )
    assert_error(response, 422)
