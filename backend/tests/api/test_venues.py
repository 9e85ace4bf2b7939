"""Venues: creation and validation, reading, updates, verification, activation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Venue, VenueKind, VenueMembership, VenueRole, VenueStatus
from app.models.venue import VenueOpeningHours
from tests.factories import add_member, auth_headers, make_consumer, make_user, make_venue
from tests.utils import assert_error

URL = "/api/v1/venues"


def club_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "nightclub",
        "name": "  Skyline Club ",
        "address": "12 Residency Road, Bengaluru",
        "latitude": 12.9698,
        "longitude": 77.6050,
        "phone": "080 4123 4567",
        "email": "Hello@Skyline.example",
        "instagram_handle": "@Skyline.blr",
        "google_maps_url": "https://maps.google.com/?q=skyline",
        "avg_cost_for_two_minor": 300_000,
        "capacity": 400,
        "min_age": 21,
        "cover_charge_minor": 150_000,
        "dress_code": "Smart casual",
        "photos": ["https://cdn.example.com/skyline.jpg"],
        "opening_hours": [
            {"weekday": "friday", "opens": "21:00", "closes": "02:00"},
            {"weekday": "saturday", "opens": "21:00", "closes": "02:00"},
        ],
    }
    body.update(overrides)
    return body


def test_business_user_creates_a_draft_venue_and_becomes_owner(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    response = client.post(URL, json=club_payload(), headers=auth_headers(owner))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft"
    assert body["name"] == "Skyline Club"
    assert body["phone"] == "+918041234567"
    assert body["email"] == "hello@skyline.example"
    assert body["instagram_handle"] == "skyline.blr"
    assert body["timezone"] == "Asia/Kolkata"
    assert body["currency"] == "INR"
    assert body["min_age"] == 21
    assert [h["weekday"] for h in body["opening_hours"]] == ["friday", "saturday"]
    assert body["opening_hours"][0]["closes"] == "02:00"

    venue = session.get(Venue, body["id"])
    assert venue is not None
    role = session.exec(
        select(VenueMembership.role).where(
            VenueMembership.venue_id == venue.id, VenueMembership.user_id == owner.id
        )
    ).one()
    assert role == VenueRole.OWNER


def test_create_needs_a_signed_in_business_user(client: TestClient, session: Session) -> None:
    assert_error(client.post(URL, json=club_payload()), 401, "not_authenticated")
    consumer = make_consumer(session)
    assert_error(
        client.post(URL, json=club_payload(), headers=auth_headers(consumer)),
        403,
        "business_account_required",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"google_maps_url": "ftp://maps.example.com"}, "google_maps_url"),
        ({"zomato_url": "javascript:alert(1)"}, "zomato_url"),
        ({"instagram_handle": "bad handle!"}, "instagram_handle"),
        ({"instagram_handle": "double..dot"}, "instagram_handle"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"currency": "inr"}, "currency"),
        ({"avg_cost_for_two_minor": -1}, "avg_cost_for_two_minor"),
        ({"name": "   "}, "name"),
        ({"opening_hours": [{"weekday": "funday", "opens": "10:00", "closes": "11:00"}]}, None),
        ({"opening_hours": [{"weekday": "monday", "opens": "25:00", "closes": "11:00"}]}, None),
        ({"unknown_field": 1}, None),
        ({"description": "nul \x00 byte"}, None),
        ({"google_maps_url": "https://" + "a" * 2100 + ".com"}, "google_maps_url"),
    ],
)
def test_create_rejects_bad_fields(
    client: TestClient, session: Session, overrides: dict[str, Any], field: str | None
) -> None:
    owner = make_user(session)
    body = assert_error(
        client.post(URL, json=club_payload(**overrides), headers=auth_headers(owner)),
        422,
        "invalid",
    )
    if field is not None:
        assert any(field in map(str, e["loc"]) for e in body["detail"]), body


def test_overlapping_hours_are_refused_including_past_midnight(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    hours = [
        {"weekday": "friday", "opens": "21:00", "closes": "03:00"},
        {"weekday": "saturday", "opens": "02:00", "closes": "05:00"},
    ]
    body = assert_error(
        client.post(URL, json=club_payload(opening_hours=hours), headers=auth_headers(owner)),
        422,
    )
    assert "overlap" in str(body["detail"])
    # Sunday night into Monday morning wraps around the week.
    hours = [
        {"weekday": "sunday", "opens": "22:00", "closes": "04:00"},
        {"weekday": "monday", "opens": "03:00", "closes": "05:00"},
    ]
    assert_error(
        client.post(URL, json=club_payload(opening_hours=hours), headers=auth_headers(owner)), 422
    )
    # Lunch and dinner on one day are fine.
    hours = [
        {"weekday": "monday", "opens": "12:00", "closes": "15:00"},
        {"weekday": "monday", "opens": "19:00", "closes": "23:30"},
    ]
    response = client.post(URL, json=club_payload(opening_hours=hours), headers=auth_headers(owner))
    assert response.status_code == 201, response.text


def test_kind_fields_belong_to_their_kind(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    body = club_payload(kind="restaurant", cuisines=["North Indian"])
    response = client.post(URL, json=body, headers=auth_headers(owner))
    detail = assert_error(response, 422)["detail"]
    assert "min_age" in str(detail)

    restaurant = {
        k: v for k, v in body.items() if k not in {"min_age", "cover_charge_minor", "dress_code"}
    }
    response = client.post(URL, json=restaurant, headers=auth_headers(owner))
    assert response.status_code == 201, response.text
    assert response.json()["cuisines"] == ["north indian"]

    qsr = {**restaurant, "kind": "qsr", "drive_thru": True}
    assert client.post(URL, json=qsr, headers=auth_headers(owner)).status_code == 201
    court = {**restaurant, "kind": "food_court", "cuisines": ["thai"]}
    assert_error(client.post(URL, json=court, headers=auth_headers(owner)), 422)


def test_kind_cannot_change(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, kind=VenueKind.RESTAURANT)
    response = client.patch(
        f"{URL}/{venue.id}", json={"kind": "nightclub"}, headers=auth_headers(owner)
    )
    body = assert_error(response, 409, "venue_kind_unchangeable")
    assert "kind" in body["detail"]
    # The same kind is accepted (a no-op), along with other changes.
    response = client.patch(
        f"{URL}/{venue.id}",
        json={"kind": "restaurant", "name": "Renamed"},
        headers=auth_headers(owner),
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed"


def test_update_checks_kind_fields_and_nulls(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, kind=VenueKind.RESTAURANT)
    url = f"{URL}/{venue.id}"
    assert_error(client.patch(url, json={"min_age": 18}, headers=auth_headers(owner)), 422)
    assert_error(client.patch(url, json={"name": None}, headers=auth_headers(owner)), 422)
    assert_error(
        client.patch(url, json={"food_court_id": str(venue.id)}, headers=auth_headers(owner)),
        422,
    )


def test_manager_updates_details_hours_and_location(client: TestClient, session: Session) -> None:
    owner, manager = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    response = client.patch(
        f"{URL}/{venue.id}",
        json={
            "latitude": 12.9352,
            "longitude": 77.6245,
            "opening_hours": [{"weekday": 0, "opens": "11:00", "closes": "23:00"}],
            "cuisines": ["Cafe", " South  Indian "],
        },
        headers=auth_headers(manager),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["opening_hours"] == [{"weekday": "monday", "opens": "11:00", "closes": "23:00"}]
    assert body["cuisines"] == ["cafe", "south indian"]
    session.refresh(venue)
    assert (venue.latitude, venue.longitude) == (12.9352, 77.6245)
    rows = session.exec(
        select(VenueOpeningHours).where(VenueOpeningHours.venue_id == venue.id)
    ).all()
    assert len(rows) == 1


def test_staff_cannot_update(client: TestClient, session: Session) -> None:
    owner, staff = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=staff, role=VenueRole.STAFF)
    response = client.patch(f"{URL}/{venue.id}", json={"name": "X"}, headers=auth_headers(staff))
    assert_error(response, 403, "venue_role_required")


def test_consumers_see_only_verified_active_venues(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    consumer = make_consumer(session)
    draft = make_venue(session, owner=owner, verified=False)
    live = make_venue(session, owner=owner)
    closed = make_venue(session, owner=owner, is_active=False)
    assert client.get(f"{URL}/{live.id}").status_code == 200
    for venue in (draft, closed):
        assert_error(client.get(f"{URL}/{venue.id}"), 404, "not_found")
        assert_error(client.get(f"{URL}/{venue.id}", headers=auth_headers(consumer)), 404)
        # Members still see their own venue.
        assert client.get(f"{URL}/{venue.id}", headers=auth_headers(owner)).status_code == 200


def test_read_includes_hours_and_open_now(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    allday = [{"weekday": d, "opens": "00:00", "closes": "00:00"} for d in range(7)]
    created = client.post(
        URL,
        json=club_payload(opening_hours=allday),
        headers=auth_headers(owner),
    ).json()
    body = client.get(f"{URL}/{created['id']}", headers=auth_headers(owner)).json()
    assert len(body["opening_hours"]) == 7
    assert body["open_now"] is True
    assert body["dress_code"] == "Smart casual"


def test_platform_admin_verifies(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    admin = make_user(session, is_superuser=True)
    venue = make_venue(session, owner=owner, verified=False)
    url = f"{URL}/{venue.id}/verify"
    assert_error(client.post(url), 401)
    assert_error(client.post(url, headers=auth_headers(owner)), 403)
    response = client.post(url, headers=auth_headers(admin))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    assert response.json()["verified_at"] is not None
    assert client.get(f"{URL}/{venue.id}").status_code == 200
    assert_error(
        client.post(
            f"{URL}/00000000-0000-0000-0000-000000000000/verify", headers=auth_headers(admin)
        ),
        404,
    )


def test_owner_deactivates_and_reactivates(client: TestClient, session: Session) -> None:
    owner, manager = make_user(session), make_user(session)
    venue = make_venue(session, owner=owner)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    assert_error(client.post(f"{URL}/{venue.id}/deactivate", headers=auth_headers(manager)), 403)
    response = client.post(f"{URL}/{venue.id}/deactivate", headers=auth_headers(owner))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_error(client.get(f"{URL}/{venue.id}"), 404)
    response = client.post(f"{URL}/{venue.id}/activate", headers=auth_headers(owner))
    assert response.json()["is_active"] is True
    assert client.get(f"{URL}/{venue.id}").status_code == 200


def test_only_draft_venues_can_be_deleted(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    live = make_venue(session, owner=owner)
    draft = make_venue(session, owner=owner, verified=False)
    assert_error(client.delete(f"{URL}/{live.id}", headers=auth_headers(owner)), 409)
    assert client.delete(f"{URL}/{draft.id}", headers=auth_headers(owner)).status_code == 204
    assert session.get(Venue, draft.id) is None


def test_my_venues_lists_roles(client: TestClient, session: Session) -> None:
    user = make_user(session)
    other = make_user(session)
    mine = make_venue(session, owner=user, name="A mine")
    managed = make_venue(session, owner=other, verified=False, name="B managed")
    add_member(session, venue=managed, user=user, role=VenueRole.MANAGER)
    make_venue(session, owner=other, name="C not mine")
    assert_error(client.get(f"{URL}/mine"), 401)
    body = client.get(f"{URL}/mine", headers=auth_headers(user)).json()
    assert body["total"] == 2
    assert [(i["venue"]["id"], i["role"]) for i in body["items"]] == [
        (str(mine.id), "owner"),
        (str(managed.id), "manager"),
    ]
    assert body["items"][1]["venue"]["status"] == VenueStatus.DRAFT


def test_unknown_venue_is_404(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    assert_error(client.get(f"{URL}/00000000-0000-0000-0000-000000000000"), 404)
    assert_error(client.get(f"{URL}/not-a-uuid", headers=auth_headers(owner)), 422)


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "Mars/Olympus_Mons"])
def test_time_zones_that_are_not_places_are_refused(
    client: TestClient, session: Session, zone: str
) -> None:
    owner = make_user(session)
    response = client.post(URL, json=club_payload(timezone=zone), headers=auth_headers(owner))
    assert_error(response, 422, "invalid")


def test_a_zone_the_database_does_not_know_is_refused_with_nothing_written(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python's tz data can be newer than the server's; open_now is worked out in SQL.
    from app.schema import venue as venue_schema

    unknown = "Mars/Olympus_Mons"
    monkeypatch.setattr(venue_schema, "_time_zones", lambda: frozenset({"Asia/Kolkata", unknown}))
    owner = make_user(session)
    headers = auth_headers(owner)
    response = client.post(URL, json=club_payload(timezone=unknown), headers=headers)
    body = assert_error(response, 422, "unknown_timezone")
    assert body["detail"][0]["loc"] == ["body", "timezone"]
    assert unknown in body["detail"][0]["msg"]
    assert session.exec(select(Venue).where(Venue.timezone == unknown)).first() is None

    venue = make_venue(session, owner=owner)
    response = client.patch(f"{URL}/{venue.id}", json={"timezone": unknown}, headers=headers)
    assert_error(response, 422)
    session.refresh(venue)
    assert venue.timezone == "Asia/Kolkata"
