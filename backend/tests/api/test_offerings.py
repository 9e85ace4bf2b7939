"""Offerings and capacity pools: a venue's team manages what an event sells; anyone
reads a public event's offerings with what is left."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Event, EventStatus, User, Venue, VenueKind
from app.models.booking import (
    BookingStatus,
    CapacityPool,
    Offering,
    OfferingKind,
    OfferingPool,
    OfferingStatus,
)
from app.schema.offering import MAX_POOLS_PER_EVENT
from tests.factories import auth_headers, make_consumer, make_user, make_venue
from tests.factories.bookings import make_booking, make_offering, make_pool
from tests.factories.places import make_event
from tests.utils import QueryCounter, assert_error


@dataclass
class Night:
    owner: User
    venue: Venue
    event: Event
    headers: dict[str, str]

    @property
    def base(self) -> str:
        return f"/api/v1/venues/{self.venue.id}/events/{self.event.id}"


@pytest.fixture
def night(session: Session) -> Night:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, kind=VenueKind.NIGHTCLUB)
    event = make_event(session, venue=venue, title="Techno Friday")
    return Night(owner=owner, venue=venue, event=event, headers=auth_headers(owner))


def _offering(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "  Couple entry ",
        "description": "Two guests, one drink each.",
        "kind": "couple",
        "price_minor": 300_000,
        "guests_per_pass": 2,
        "cover_credit_minor": 100_000,
        "max_per_booking": 4,
    }
    body.update(overrides)
    return body


def _count_offerings(session: Session, event: Event) -> int:
    return len(session.exec(select(Offering.id).where(Offering.event_id == event.id)).all())


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


# --- offerings: create, read -------------------------------------------------------------


def test_create_offering_with_its_pools(session: Session, client: TestClient, night: Night) -> None:
    guests = make_pool(session, event=night.event, size=300, name="Guests")
    tables = make_pool(session, event=night.event, size=12, name="Tables")
    body = _offering(
        kind="table_package",
        guests_per_pass=6,
        pools=[{"pool_id": str(guests.id)}, {"pool_id": str(tables.id), "places_per_pass": 1}],
    )
    resp = client.post(f"{night.base}/offerings", json=body, headers=night.headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert resp.headers["Location"] == f"{night.base}/offerings/{created['id']}"
    assert created["name"] == "Couple entry"
    assert (created["kind"], created["price_minor"], created["currency"]) == (
        "table_package",
        300_000,
        "INR",
    )
    assert (created["guests_per_pass"], created["cover_credit_minor"]) == (6, 100_000)
    assert (created["status"], created["position"], created["reentry_allowed"]) == (
        "active",
        0,
        True,
    )
    assert created["on_sale"] is True
    assert created["available"] == 12  # 300 // 6 = 50 by guests, 12 tables
    assert created["pools"] == [
        {
            "pool_id": str(guests.id),
            "name": "Guests",
            "places_per_pass": 6,  # defaults to the guests per pass
            "size": 300,
            "taken": 0,
            "left": 300,
        },
        {
            "pool_id": str(tables.id),
            "name": "Tables",
            "places_per_pass": 1,
            "size": 12,
            "taken": 0,
            "left": 12,
        },
    ]
    links = session.exec(
        select(OfferingPool).where(OfferingPool.offering_id == uuid.UUID(created["id"]))
    ).all()
    assert {(link.pool_id, link.places_per_pass) for link in links} == {
        (guests.id, 6),
        (tables.id, 1),
    }

    # The next one goes to the end; without pools it sells nothing.
    second = client.post(
        f"{night.base}/offerings", json=_offering(name="Stag", kind="stag"), headers=night.headers
    ).json()
    assert (second["position"], second["available"], second["pools"]) == (1, 0, [])
    one = client.get(f"{night.base}/offerings/{created['id']}", headers=night.headers)
    assert one.status_code == 200
    assert one.json() == created


BAD_OFFERINGS: list[dict[str, Any]] = [
    _offering(price_minor=10**9 + 1),
    _offering(price_minor=10**30),
    _offering(price_minor=-1),
    _offering(price_minor=1.5),
    _offering(price_minor=3000.5),
    _offering(price_minor="300000"),
    _offering(price_minor=True),
    _offering(price_minor=None),
    _offering(cover_credit_minor=-5),
    _offering(cover_credit_minor=10**12),
    _offering(currency="USD"),
    _offering(currency="inr"),
    _offering(currency=356),
    _offering(guests_per_pass=0),
    _offering(guests_per_pass=101),
    _offering(max_per_booking=0),
    _offering(max_per_booking=1000),
    _offering(kind="vip"),
    _offering(status="retired"),
    _offering(status="deleted"),
    _offering(reentry_allowed="yes"),
    _offering(reentry_allowed=1),
    _offering(name="   "),
    _offering(name="x" * 101),
    _offering(name="Null\x00byte"),
    _offering(description="d" * 1001),
    _offering(sale_starts_at="2099-01-01T20:00:00"),  # no offset
    _offering(sale_starts_at=1767225600),  # a number is not a date
    _offering(sale_starts_at=_at(timedelta(days=1)), sale_ends_at=_at(timedelta(hours=1))),
    _offering(pools=[{"pool_id": "not-a-uuid"}]),
    _offering(pools=[{"pool_id": "00000000-0000-4000-8000-000000000000", "places_per_pass": 0}]),
    _offering(pools={"pool_id": "00000000-0000-4000-8000-000000000000"}),
    _offering(pools=[{"pool_id": "00000000-0000-4000-8000-000000000000"}] * 2),
    _offering(event_id="00000000-0000-4000-8000-000000000000"),
    _offering(position=3),
    {"name": "No price", "kind": "stag"},
]


@pytest.mark.parametrize("body", BAD_OFFERINGS, ids=range(len(BAD_OFFERINGS)))
def test_create_refuses_bad_offerings(
    session: Session, client: TestClient, night: Night, body: dict[str, Any]
) -> None:
    assert_error(client.post(f"{night.base}/offerings", json=body, headers=night.headers), 422)
    assert _count_offerings(session, night.event) == 0


def test_non_json_numbers_and_bodies_are_clean_422s(client: TestClient, night: Night) -> None:
    headers = {**night.headers, "Content-Type": "application/json"}
    for text in (
        '{"name": "A", "kind": "stag", "price_minor": NaN}',
        '{"name": "A", "kind": "stag", "price_minor": Infinity}',
        '{"name": "A", "kind": "stag", "price_minor": 1e400}',
        "[1, 2, 3]",
        "not json",
    ):
        resp = client.post(f"{night.base}/offerings", content=text, headers=headers)
        assert_error(resp, 422)


def test_pools_of_another_event_are_a_422_naming_the_field(
    session: Session, client: TestClient, night: Night
) -> None:
    mine = make_pool(session, event=night.event)
    elsewhere = make_pool(session, event=make_event(session, venue=night.venue))
    other_venue = make_pool(session, event=make_event(session, venue=make_venue(session)))
    body = _offering(
        pools=[
            {"pool_id": str(mine.id)},
            {"pool_id": str(elsewhere.id)},
            {"pool_id": str(other_venue.id)},
            {"pool_id": "00000000-0000-4000-8000-000000000000"},
        ]
    )
    resp = client.post(f"{night.base}/offerings", json=body, headers=night.headers)
    detail = assert_error(resp, 422, "pool_not_of_event")["detail"]
    assert [e["loc"] for e in detail] == [["body", "pools", i, "pool_id"] for i in (1, 2, 3)]
    assert _count_offerings(session, night.event) == 0


def test_team_list_shows_every_offering_in_order_in_bounded_queries(
    session: Session, client: TestClient, night: Night, queries: QueryCounter
) -> None:
    pool = make_pool(session, event=night.event, size=100, name="Guests")
    make_offering(session, event=night.event, pools=[pool], name="A", position=0)
    url = f"{night.base}/offerings"

    def listed() -> tuple[list[dict[str, Any]], int]:
        session.expunge_all()
        with queries.count() as counted:
            resp = client.get(url, headers=night.headers)
        assert resp.status_code == 200, resp.text
        return resp.json(), counted.total

    one, few = listed()
    assert [o["name"] for o in one] == ["A"]
    event = session.merge(night.event)
    pool = session.merge(pool)
    consumer = make_consumer(session)
    for i in range(1, 9):
        status = OfferingStatus.HIDDEN if i % 2 else OfferingStatus.RETIRED
        offering = make_offering(
            session, event=event, pools=[pool], name=f"O{i}", position=10 - i, status=status
        )
        make_booking(session, consumer=consumer, items=[(offering, 1)])
    many, more = listed()
    assert [o["name"] for o in many] == ["A", *(f"O{i}" for i in range(8, 0, -1))]
    assert {o["status"] for o in many} == {"active", "hidden", "retired"}
    assert many[0]["pools"][0]["taken"] == 8
    assert more == few


# --- offerings: update, reorder, retire, delete -------------------------------------------


def test_update_offering_partially(session: Session, client: TestClient, night: Night) -> None:
    guests = make_pool(session, event=night.event, size=100, name="Guests")
    vip = make_pool(session, event=night.event, size=20, name="VIP")
    starts = datetime.now(UTC) + timedelta(hours=1)
    offering = make_offering(
        session, event=night.event, pools=[guests], name="Early", sale_starts_at=starts
    )
    url = f"{night.base}/offerings/{offering.id}"

    resp = client.patch(
        url, json={"price_minor": 99_000, "name": " Early bird "}, headers=night.headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["name"], body["price_minor"], body["kind"]) == ("Early bird", 99_000, "stag")
    assert body["on_sale"] is False  # its sale starts in an hour
    assert [p["pool_id"] for p in body["pools"]] == [str(guests.id)]

    # The window is checked against the stored start.
    resp = client.patch(
        url, json={"sale_ends_at": _at(timedelta(minutes=30))}, headers=night.headers
    )
    assert_error(resp, 422, "invalid_sale_window")
    resp = client.patch(
        url,
        json={"sale_starts_at": None, "sale_ends_at": _at(timedelta(minutes=30))},
        headers=night.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["on_sale"] is True

    # `pools` replaces the draws; a missing places_per_pass takes the guests per pass.
    resp = client.patch(
        url,
        json={"guests_per_pass": 2, "pools": [{"pool_id": str(vip.id)}]},
        headers=night.headers,
    )
    assert resp.status_code == 200, resp.text
    assert [(p["name"], p["places_per_pass"]) for p in resp.json()["pools"]] == [("VIP", 2)]
    assert resp.json()["available"] == 10

    # Hidden and back.
    assert (
        client.patch(url, json={"status": "hidden"}, headers=night.headers).json()["status"]
        == "hidden"
    )
    assert (
        client.patch(url, json={"status": "active"}, headers=night.headers).json()["status"]
        == "active"
    )

    for bad in (
        {"name": None},
        {"price_minor": None},
        {"pools": None},
        {"status": "retired"},
        {"status": None},
        {"price_minor": 10**10},
        {"currency": "EUR"},
        {"unknown": 1},
        {"pools": [{"pool_id": str(vip.id)}, {"pool_id": str(vip.id)}]},
    ):
        assert_error(client.patch(url, json=bad, headers=night.headers), 422)
    other = make_pool(session, event=make_event(session, venue=night.venue))
    resp = client.patch(url, json={"pools": [{"pool_id": str(other.id)}]}, headers=night.headers)
    assert_error(resp, 422, "pool_not_of_event")
    session.refresh(offering)
    assert offering.price_minor == 99_000


def test_changing_draws_of_a_booked_offering_cannot_overfill_a_pool(
    session: Session, client: TestClient, night: Night
) -> None:
    big = make_pool(session, event=night.event, size=100, name="Big")
    small = make_pool(session, event=night.event, size=5, name="Small")
    offering = make_offering(session, event=night.event, pools=[big])
    make_booking(
        session,
        consumer=make_consumer(session),
        items=[(offering, 6)],
        status=BookingStatus.CONFIRMED,
    )
    url = f"{night.base}/offerings/{offering.id}"
    resp = client.patch(url, json={"pools": [{"pool_id": str(small.id)}]}, headers=night.headers)
    body = assert_error(resp, 409, "pool_below_taken")
    assert (body["detail"]["size"], body["detail"]["taken"]) == (5, 6)
    assert session.get(OfferingPool, (offering.id, big.id)) is not None
    assert session.get(OfferingPool, (offering.id, small.id)) is None
    # Taking more places per pass of the big pool is fine while it fits.
    resp = client.patch(
        url, json={"pools": [{"pool_id": str(big.id), "places_per_pass": 2}]}, headers=night.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["pools"][0]["taken"] == 12


def test_reorder_offerings(session: Session, client: TestClient, night: Night) -> None:
    a, b, c = (
        make_offering(session, event=night.event, name=n, position=i) for i, n in enumerate("ABC")
    )
    url = f"{night.base}/offerings/order"
    resp = client.put(url, json={"ids": [str(c.id), str(a.id), str(b.id)]}, headers=night.headers)
    assert resp.status_code == 200, resp.text
    assert [(o["name"], o["position"]) for o in resp.json()] == [("C", 0), ("A", 1), ("B", 2)]
    listed = client.get(f"{night.base}/offerings", headers=night.headers).json()
    assert [o["name"] for o in listed] == ["C", "A", "B"]

    elsewhere = make_offering(session, event=make_event(session, venue=night.venue))
    body = assert_error(
        client.put(url, json={"ids": [str(a.id), str(elsewhere.id)]}, headers=night.headers),
        409,
        "order_mismatch",
    )
    assert set(body["detail"]["missing"]) == {str(b.id), str(c.id)}
    assert body["detail"]["unknown"] == [str(elsewhere.id)]
    bad_orders: list[dict[str, Any]] = [{"ids": []}, {"ids": [str(a.id)] * 2}, {"ids": "abc"}, {}]
    for bad in bad_orders:
        assert_error(client.put(url, json=bad, headers=night.headers), 422)


def test_retire_is_terminal(session: Session, client: TestClient, night: Night) -> None:
    offering = make_offering(session, event=night.event, status=OfferingStatus.HIDDEN)
    url = f"{night.base}/offerings/{offering.id}"
    resp = client.post(f"{url}/retire", headers=night.headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["on_sale"]) == ("retired", False)
    assert_error(client.post(f"{url}/retire", headers=night.headers), 409, "offering_retired")
    assert_error(
        client.patch(url, json={"status": "active"}, headers=night.headers), 409, "offering_retired"
    )
    assert_error(
        client.patch(url, json={"name": "Back"}, headers=night.headers), 409, "offering_retired"
    )
    assert client.get(url, headers=night.headers).json()["status"] == "retired"


def test_an_offering_with_sales_cannot_be_deleted_only_retired(
    session: Session, client: TestClient, night: Night
) -> None:
    pool = make_pool(session, event=night.event)
    sold = make_offering(session, event=night.event, pools=[pool])
    # Even a booking whose hold expired long ago is a sale record.
    make_booking(
        session,
        consumer=make_consumer(session),
        items=[(sold, 1)],
        status=BookingStatus.EXPIRED,
        hold_minutes=-60,
    )
    unsold = make_offering(session, event=night.event, pools=[pool])
    url = f"{night.base}/offerings"
    assert_error(
        client.delete(f"{url}/{sold.id}", headers=night.headers), 409, "offering_has_sales"
    )
    assert client.post(f"{url}/{sold.id}/retire", headers=night.headers).status_code == 200
    assert_error(
        client.delete(f"{url}/{sold.id}", headers=night.headers), 409, "offering_has_sales"
    )
    assert session.get(Offering, sold.id) is not None

    assert client.delete(f"{url}/{unsold.id}", headers=night.headers).status_code == 204
    session.expunge_all()
    assert session.get(Offering, unsold.id) is None
    assert session.get(OfferingPool, (unsold.id, pool.id)) is None
    assert_error(client.delete(f"{url}/{unsold.id}", headers=night.headers), 404, "not_found")


def test_offerings_of_another_event_are_not_found(
    session: Session, client: TestClient, night: Night
) -> None:
    other = make_offering(session, event=make_event(session, venue=night.venue))
    pool = make_pool(session, event=make_event(session, venue=night.venue))
    url = f"{night.base}/offerings/{other.id}"
    assert_error(client.get(url, headers=night.headers), 404, "not_found")
    assert_error(client.patch(url, json={"name": "X"}, headers=night.headers), 404, "not_found")
    assert_error(client.post(f"{url}/retire", headers=night.headers), 404, "not_found")
    assert_error(client.delete(url, headers=night.headers), 404, "not_found")
    pool_url = f"{night.base}/pools/{pool.id}"
    assert_error(client.get(pool_url, headers=night.headers), 404, "not_found")
    assert_error(client.patch(pool_url, json={"size": 1}, headers=night.headers), 404, "not_found")
    assert_error(client.delete(pool_url, headers=night.headers), 404, "not_found")
    assert_error(client.get(f"{night.base}/offerings/nope", headers=night.headers), 422)
    session.refresh(other)
    assert other.name != "X"


# --- pools ---------------------------------------------------------------------------------


def test_pools_create_list_and_taken_places(
    session: Session, client: TestClient, night: Night, queries: QueryCounter
) -> None:
    url = f"{night.base}/pools"
    resp = client.post(url, json={"name": " Guests ", "size": 300}, headers=night.headers)
    assert resp.status_code == 201, resp.text
    pool = resp.json()
    assert resp.headers["Location"] == f"{url}/{pool['id']}"
    assert (pool["name"], pool["size"], pool["taken"], pool["left"]) == ("Guests", 300, 0, 300)
    assert_error(
        client.post(url, json={"name": "Guests", "size": 10}, headers=night.headers),
        409,
        "pool_name_taken",
    )
    # Another event may have its own "Guests".
    other = f"/api/v1/venues/{night.venue.id}/events/{make_event(session, venue=night.venue).id}"
    assert (
        client.post(
            f"{other}/pools", json={"name": "Guests", "size": 1}, headers=night.headers
        ).status_code
        == 201
    )

    guests = session.get(CapacityPool, pool["id"])
    assert guests is not None
    tables = make_pool(session, event=night.event, size=12, name="Tables")
    couple = make_offering(session, event=night.event, pools=[guests], guests_per_pass=2)
    package = make_offering(
        session, event=night.event, pools=[guests, (tables, 1)], guests_per_pass=6
    )
    consumer = make_consumer(session)
    make_booking(session, consumer=consumer, items=[(couple, 3)], status=BookingStatus.CONFIRMED)
    make_booking(session, consumer=consumer, items=[(package, 2)])  # held
    make_booking(session, consumer=consumer, items=[(package, 5)], hold_minutes=-1)  # expired hold
    make_booking(session, consumer=consumer, items=[(couple, 9)], status=BookingStatus.FAILED)

    session.expunge_all()
    with queries.count() as counted:
        listed = client.get(url, headers=night.headers).json()
    assert counted.total <= 6
    assert [(p["name"], p["size"], p["taken"], p["left"]) for p in listed] == [
        ("Guests", 300, 18, 282),
        ("Tables", 12, 2, 10),
    ]
    one = client.get(f"{url}/{tables.id}", headers=night.headers).json()
    assert (one["taken"], one["left"]) == (2, 10)

    for bad in (
        {"name": "X", "size": -1},
        {"name": "X", "size": 1_000_001},
        {"name": "X", "size": 10**20},
        {"name": "X", "size": 1.5},
        {"name": "X", "size": "10"},
        {"name": "X"},
        {"name": "", "size": 1},
        {"name": "X", "size": 1, "event_id": str(night.event.id)},
    ):
        assert_error(client.post(url, json=bad, headers=night.headers), 422)


def test_a_pool_cannot_shrink_below_what_is_taken(
    session: Session, client: TestClient, night: Night
) -> None:
    pool = make_pool(session, event=night.event, size=10, name="Guests")
    offering = make_offering(session, event=night.event, pools=[pool], guests_per_pass=2)
    make_booking(
        session,
        consumer=make_consumer(session),
        items=[(offering, 3)],
        status=BookingStatus.CONFIRMED,
    )
    url = f"{night.base}/pools/{pool.id}"
    body = assert_error(
        client.patch(url, json={"size": 5}, headers=night.headers), 409, "pool_below_taken"
    )
    assert (body["detail"]["size"], body["detail"]["taken"]) == (5, 6)
    resp = client.patch(url, json={"size": 6, "name": "Floor"}, headers=night.headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["name"], resp.json()["size"], resp.json()["left"]) == ("Floor", 6, 0)
    assert (
        client.patch(url, json={"size": 1_000_000}, headers=night.headers).json()["left"] == 999_994
    )
    for bad in (
        {"size": None},
        {"name": None},
        {"size": -1},
        {"size": "5"},
        {"size": 999.5},
        {"size": True},
    ):
        assert_error(client.patch(url, json=bad, headers=night.headers), 422)
    make_pool(session, event=night.event, name="Tables")
    assert_error(
        client.patch(url, json={"name": "Tables"}, headers=night.headers), 409, "pool_name_taken"
    )


def test_a_pool_drawn_from_cannot_be_deleted(
    session: Session, client: TestClient, night: Night
) -> None:
    pool = make_pool(session, event=night.event)
    offering = make_offering(session, event=night.event, pools=[pool])
    url = f"{night.base}/pools/{pool.id}"
    assert_error(client.delete(url, headers=night.headers), 409, "pool_in_use")
    resp = client.patch(
        f"{night.base}/offerings/{offering.id}", json={"pools": []}, headers=night.headers
    )
    assert resp.status_code == 200, resp.text
    assert client.delete(url, headers=night.headers).status_code == 204
    session.expunge_all()
    assert session.get(CapacityPool, pool.id) is None


def test_a_draft_venue_with_offerings_and_pools_can_be_deleted(
    session: Session, client: TestClient
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, kind=VenueKind.NIGHTCLUB, verified=False)
    event = make_event(session, venue=venue)
    pool = make_pool(session, event=event)
    make_offering(session, event=event, pools=[pool])
    resp = client.delete(f"/api/v1/venues/{venue.id}", headers=auth_headers(owner))
    assert resp.status_code == 204, resp.text
    session.expunge_all()
    assert session.get(CapacityPool, pool.id) is None


def test_an_event_has_a_bounded_number_of_pools(
    session: Session, client: TestClient, night: Night
) -> None:
    for i in range(MAX_POOLS_PER_EVENT):
        make_pool(session, event=night.event, name=f"P{i}")
    resp = client.post(
        f"{night.base}/pools", json={"name": "One more", "size": 1}, headers=night.headers
    )
    assert_error(resp, 409, "pool_limit")


# --- cancelled and finished events --------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "code"), [("cancelled", "event_cancelled"), ("over", "event_over")]
)
def test_a_cancelled_or_finished_event_refuses_changes(
    session: Session, client: TestClient, night: Night, state: str, code: str
) -> None:
    pool = make_pool(session, event=night.event)
    offering = make_offering(session, event=night.event, pools=[pool])
    if state == "cancelled":
        night.event.status = EventStatus.CANCELLED
        night.event.cancelled_at = datetime.now(UTC)
    else:
        night.event.starts_at = datetime.now(UTC) - timedelta(days=2)
        night.event.ends_at = datetime.now(UTC) - timedelta(days=1, hours=18)
    session.add(night.event)
    session.flush()
    one = f"{night.base}/offerings/{offering.id}"
    pool_url = f"{night.base}/pools/{pool.id}"
    calls = [
        ("POST", f"{night.base}/offerings", _offering()),
        ("PATCH", one, {"name": "New"}),
        ("PUT", f"{night.base}/offerings/order", {"ids": [str(offering.id)]}),
        ("POST", f"{one}/retire", None),
        ("DELETE", one, None),
        ("POST", f"{night.base}/pools", {"name": "More", "size": 5}),
        ("PATCH", pool_url, {"size": 1}),
        ("DELETE", pool_url, None),
    ]
    for method, url, body in calls:
        resp = client.request(method, url, json=body, headers=night.headers)
        assert_error(resp, 409, code)
    # The team still reads them.
    listed = client.get(f"{night.base}/offerings", headers=night.headers).json()
    assert [(o["name"], o["on_sale"]) for o in listed] == [(offering.name, False)]
    assert client.get(f"{night.base}/pools", headers=night.headers).status_code == 200


# --- public --------------------------------------------------------------------------------


def test_public_offerings_of_an_event(
    session: Session, client: TestClient, night: Night, queries: QueryCounter
) -> None:
    guests = make_pool(session, event=night.event, size=10, name="Guests")
    tables = make_pool(session, event=night.event, size=2, name="Tables")
    stag = make_offering(session, event=night.event, pools=[guests], name="Stag", position=1)
    couple = make_offering(
        session,
        event=night.event,
        pools=[guests],
        name="Couple",
        kind=OfferingKind.COUPLE,
        guests_per_pass=2,
        position=0,
        cover_credit_minor=50_000,
        sale_ends_at=datetime.now(UTC) + timedelta(days=1),
    )
    package = make_offering(
        session,
        event=night.event,
        pools=[guests, (tables, 1)],
        name="Table",
        kind=OfferingKind.TABLE_PACKAGE,
        guests_per_pass=4,
        position=2,
    )
    later = make_offering(
        session,
        event=night.event,
        pools=[guests],
        name="Later",
        position=3,
        sale_starts_at=datetime.now(UTC) + timedelta(days=1),
    )
    gone = make_offering(
        session,
        event=night.event,
        name="Closed",
        position=4,
        sale_starts_at=datetime.now(UTC) - timedelta(days=2),
        sale_ends_at=datetime.now(UTC) - timedelta(days=1),
    )
    make_offering(
        session, event=night.event, pools=[guests], name="Hidden", status=OfferingStatus.HIDDEN
    )
    make_offering(
        session, event=night.event, pools=[guests], name="Retired", status=OfferingStatus.RETIRED
    )
    make_booking(
        session,
        consumer=make_consumer(session),
        items=[(package, 1)],
        status=BookingStatus.CONFIRMED,
    )

    url = f"/api/v1/events/{night.event.id}/offerings"
    session.expunge_all()
    with queries.count() as counted:
        resp = client.get(url)  # no sign-in
    assert resp.status_code == 200, resp.text
    assert counted.total <= 8
    body = resp.json()
    assert [o["name"] for o in body] == ["Couple", "Stag", "Table", "Later", "Closed"]
    by_name = {o["name"]: o for o in body}
    # 6 guests left of 10, 1 table of 2.
    assert {n: o["available"] for n, o in by_name.items()} == {
        "Couple": 3,
        "Stag": 6,
        "Table": 1,
        "Later": 6,
        "Closed": 0,  # draws from no pool
    }
    assert {n: o["on_sale"] for n, o in by_name.items()} == {
        "Couple": True,
        "Stag": True,
        "Table": True,
        "Later": False,
        "Closed": False,
    }
    couple_body = by_name["Couple"]
    assert (
        couple_body["price_minor"],
        couple_body["currency"],
        couple_body["guests_per_pass"],
    ) == (
        150_000,
        "INR",
        2,
    )
    assert couple_body["cover_credit_minor"] == 50_000
    assert couple_body["sale_ends_at"] is not None
    assert "pools" not in couple_body
    assert "status" not in couple_body
    assert {o["id"] for o in body} == {str(o.id) for o in (stag, couple, package, later, gone)}

    # Oversold on paper (a pool shrunk by hand): never negative.
    session.get(CapacityPool, tables.id).size = 0  # type: ignore[union-attr]
    session.flush()
    assert {o["name"]: o["available"] for o in client.get(url).json()}["Table"] == 0

    # Signed in works too, and the answer is the same.
    assert client.get(url, headers=auth_headers(make_consumer(session))).status_code == 200


def test_public_offerings_follow_the_event_visibility(session: Session, client: TestClient) -> None:
    for venue in (
        make_venue(session, kind=VenueKind.NIGHTCLUB, verified=False),
        make_venue(session, kind=VenueKind.NIGHTCLUB, is_active=False),
    ):
        event = make_event(session, venue=venue)
        make_offering(session, event=event)
        assert_error(client.get(f"/api/v1/events/{event.id}/offerings"), 404, "not_found")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(client.get(f"/api/v1/events/{unknown}/offerings"), 404, "not_found")
    assert_error(client.get("/api/v1/events/not-a-uuid/offerings"), 422)

    # A cancelled event stays readable (like the event itself), nothing on sale.
    venue = make_venue(session, kind=VenueKind.NIGHTCLUB)
    cancelled = make_event(session, venue=venue, status=EventStatus.CANCELLED)
    make_offering(session, event=cancelled, pools=[make_pool(session, event=cancelled)])
    body = client.get(f"/api/v1/events/{cancelled.id}/offerings").json()
    assert [o["on_sale"] for o in body] == [False]
