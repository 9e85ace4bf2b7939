"""Managing a venue's tables: create, list, read, change, deactivate, delete, rotate."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import settings
from app.models import User, Venue, VenueRole
from app.models.table import VenueTable
from tests.factories import add_member, auth_headers, make_user, make_venue
from tests.factories.places import make_table
from tests.utils import QueryCounter, assert_error


def _url(venue: Venue, suffix: str = "") -> str:
    return f"/api/v1/venues/{venue.id}/tables{suffix}"


def _token(qr_url: str) -> str:
    return qr_url.rsplit("/", 1)[1]


def _owner_venue(session: Session) -> tuple[User, Venue]:
    owner = make_user(session)
    return owner, make_venue(session, owner=owner)


def test_create_table(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    resp = client.post(
        _url(venue),
        json={"label": "  T1 ", "seats": 4, "area": "Terrace"},
        headers=auth_headers(owner),
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    assert body["label"] == "T1"
    assert body["seats"] == 4
    assert body["area"] == "Terrace"
    assert body["is_active"] is True
    assert body["venue_id"] == str(venue.id)
    assert body["token_version"] == 1
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    assert body["qr_url"].startswith(f"{base}/q/")
    assert len(_token(body["qr_url"])) < 70
    assert session.get(VenueTable, body["id"]) is not None


def test_manager_creates_a_table(session: Session, client: TestClient) -> None:
    _, venue = _owner_venue(session)
    manager = make_user(session)
    add_member(session, venue=venue, user=manager, role=VenueRole.MANAGER)
    resp = client.post(
        _url(venue), json={"label": "Bar 1", "seats": 2}, headers=auth_headers(manager)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["area"] is None


def test_duplicate_label_is_a_conflict(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    make_table(session, venue=venue, label="T1")
    resp = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=auth_headers(owner))
    assert_error(resp, 409, "table_label_taken")
    # The same label at another venue is fine.
    other = make_venue(session, owner=owner)
    resp = client.post(_url(other), json={"label": "T1", "seats": 2}, headers=auth_headers(owner))
    assert resp.status_code == 201, resp.text


def test_create_rejects_bad_payloads(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    for payload in (
        {"label": "T1", "seats": 0},
        {"label": "T1", "seats": 101},
        {"label": "   ", "seats": 2},
        {"label": "x" * 51, "seats": 2},
        {"label": "T1"},
        {"seats": 2},
        {"label": "T1", "seats": 2, "token_version": 9},
        {"label": "T1", "seats": 2, "area": "y" * 101},
    ):
        assert_error(client.post(_url(venue), json=payload, headers=headers), 422, "invalid")
    assert session.get(Venue, venue.id) is not None


def test_list_tables_in_natural_order_with_pages(
    session: Session, client: TestClient, queries: QueryCounter
) -> None:
    owner, venue = _owner_venue(session)
    for label in ("T10", "T2", "Bar", "T1", "Patio 3"):
        make_table(session, venue=venue, label=label)
    make_table(session, venue=venue, label="T3", is_active=False)
    make_table(session, venue=make_venue(session), label="Elsewhere")
    headers = auth_headers(owner)

    with queries.count() as counted:
        resp = client.get(_url(venue), headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [t["label"] for t in body["items"]] == ["Bar", "Patio 3", "T1", "T2", "T3", "T10"]
    assert body["total"] == 6
    assert counted.total <= 5  # user, membership, count, page (no per-row queries)

    page = client.get(_url(venue), params={"limit": 2, "offset": 2}, headers=headers).json()
    assert [t["label"] for t in page["items"]] == ["T1", "T2"]
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 2)

    inactive = client.get(_url(venue), params={"is_active": False}, headers=headers).json()
    assert [t["label"] for t in inactive["items"]] == ["T3"]
    assert_error(client.get(_url(venue), params={"limit": 0}, headers=headers), 422)


def test_labels_with_long_numbers_still_sort(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    for label in ("Table 123456789012345678901234567890", "Table 2", "Table 99999999999"):
        body = {"label": label, "seats": 4}
        assert client.post(_url(venue), json=body, headers=headers).status_code == 201
    listed = client.get(_url(venue), headers=headers)
    assert listed.status_code == 200, listed.text
    assert [t["label"] for t in listed.json()["items"]] == [
        "Table 2",
        "Table 99999999999",
        "Table 123456789012345678901234567890",
    ]
    sheet = client.get(_url(venue, "/qr-sheet"), headers=headers)
    assert sheet.status_code == 200
    assert client.get(_url(venue, "/scans"), headers=headers).status_code == 200


def test_read_table(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    table = make_table(session, venue=venue, label="T7", seats=6, area="Main floor")
    resp = client.get(_url(venue, f"/{table.id}"), headers=auth_headers(owner))
    assert resp.status_code == 200, resp.text
    assert resp.json()["label"] == "T7"
    assert resp.json()["seats"] == 6


def test_table_of_another_venue_is_not_found(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    _, other_venue = _owner_venue(session)
    foreign = make_table(session, venue=other_venue)
    headers = auth_headers(owner)
    path = _url(venue, f"/{foreign.id}")
    assert_error(client.get(path, headers=headers), 404, "not_found")
    assert_error(client.patch(path, json={"seats": 2}, headers=headers), 404, "not_found")
    assert_error(client.delete(path, headers=headers), 404, "not_found")
    assert_error(client.post(path + "/rotate-token", headers=headers), 404, "not_found")
    assert_error(client.get(path + "/qr.png", headers=headers), 404, "not_found")
    session.refresh(foreign)
    assert foreign.seats == 4
    assert foreign.token_version == 1
    assert_error(client.get(_url(venue, "/not-a-uuid"), headers=headers), 422)


def test_update_table(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    table = make_table(session, venue=venue, label="T1")
    make_table(session, venue=venue, label="T2")
    headers = auth_headers(owner)
    path = _url(venue, f"/{table.id}")

    resp = client.patch(path, json={"label": "VIP 1", "seats": 8, "area": "VIP"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["label"], resp.json()["seats"], resp.json()["area"]) == ("VIP 1", 8, "VIP")
    assert resp.json()["token_version"] == 1  # a new label keeps the printed code

    resp = client.patch(path, json={"area": None}, headers=headers)
    assert resp.json()["area"] is None
    assert_error(
        client.patch(path, json={"label": "T2"}, headers=headers), 409, "table_label_taken"
    )
    assert_error(client.patch(path, json={"label": None}, headers=headers), 422)
    assert_error(client.patch(path, json={"seats": 0}, headers=headers), 422)
    assert_error(client.patch(path, json={"venue_id": str(venue.id)}, headers=headers), 422)
    # Same label as its own: not a conflict.
    assert client.patch(path, json={"label": "VIP 1"}, headers=headers).status_code == 200
    session.refresh(table)
    assert table.label == "VIP 1"


def test_deactivating_revokes_the_code_for_good(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    created = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=headers).json()
    old_token = _token(created["qr_url"])
    assert client.get(f"/api/v1/tables/resolve/{old_token}").status_code == 200

    path = _url(venue, f"/{created['id']}")
    resp = client.patch(path, json={"is_active": False}, headers=headers)
    assert resp.json()["is_active"] is False
    assert resp.json()["token_version"] == 2
    assert_error(client.get(f"/api/v1/tables/resolve/{old_token}"), 404, "not_found")
    new_token = _token(resp.json()["qr_url"])
    assert_error(client.get(f"/api/v1/tables/resolve/{new_token}"), 404, "not_found")

    # Reactivated: the newest code works, the code printed before deactivation does not.
    resp = client.patch(path, json={"is_active": True}, headers=headers)
    assert resp.json()["token_version"] == 2
    assert client.get(f"/api/v1/tables/resolve/{new_token}").status_code == 200
    assert_error(client.get(f"/api/v1/tables/resolve/{old_token}"), 404)
    # Deactivating an inactive table again does not bump anything.
    client.patch(path, json={"is_active": False}, headers=headers)
    assert (
        client.patch(path, json={"is_active": False}, headers=headers).json()["token_version"] == 3
    )


def test_rotate_token(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    created = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=headers).json()
    old_token = _token(created["qr_url"])

    resp = client.post(_url(venue, f"/{created['id']}/rotate-token"), headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_version"] == 2
    new_token = _token(resp.json()["qr_url"])
    assert new_token != old_token
    assert_error(client.get(f"/api/v1/tables/resolve/{old_token}"), 404, "not_found")
    assert client.get(f"/api/v1/tables/resolve/{new_token}").status_code == 200
    assert client.get(f"/q/{old_token}").status_code == 404
    assert client.get(f"/q/{new_token}").status_code == 200


def test_delete_table(session: Session, client: TestClient) -> None:
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    created = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=headers).json()
    token = _token(created["qr_url"])
    client.get(f"/q/{token}")  # a scan row that goes with the table

    resp = client.delete(_url(venue, f"/{created['id']}"), headers=headers)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert_error(client.get(_url(venue, f"/{created['id']}"), headers=headers), 404)
    assert_error(client.get(f"/api/v1/tables/resolve/{token}"), 404)
    assert client.get(f"/q/{token}").status_code == 404
    assert_error(client.delete(_url(venue, f"/{created['id']}"), headers=headers), 404)
    # The label is free again.
    resp = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=headers)
    assert resp.status_code == 201


def test_deleting_or_deactivating_the_venue_revokes_its_codes(
    session: Session, client: TestClient
) -> None:
    """A closed venue's codes stop working; reopening it (a refit, a season) brings
    the printed codes back, unlike a deactivated table's, which are revoked for good."""
    owner, venue = _owner_venue(session)
    headers = auth_headers(owner)
    created = client.post(_url(venue), json={"label": "T1", "seats": 2}, headers=headers).json()
    token = _token(created["qr_url"])
    assert client.get(f"/api/v1/tables/resolve/{token}").status_code == 200

    venue.is_active = False
    session.add(venue)
    session.flush()
    assert_error(client.get(f"/api/v1/tables/resolve/{token}"), 404)
    assert client.get(f"/q/{token}").status_code == 404

    venue.is_active = True
    session.add(venue)
    session.flush()
    assert client.get(f"/api/v1/tables/resolve/{token}").status_code == 200

    session.delete(venue)
    session.flush()
    session.expunge_all()
    assert session.get(VenueTable, created["id"]) is None
    assert_error(client.get(f"/api/v1/tables/resolve/{token}"), 404)
    assert client.get(f"/q/{token}").status_code == 404
