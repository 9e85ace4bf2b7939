"""Platform admin: /admin/users (list, search, view, deactivate, reactivate, superuser)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from tests.factories import auth_headers, make_consumer, make_user
from tests.factories.identity import API, bearer, login, start_session
from tests.utils import QueryCounter, assert_error

USERS = f"{API}/admin/users"


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, email="root@example.com", is_superuser=True)


def test_list_users_is_paginated_newest_first(
    client: TestClient, session: Session, admin: User, queries: QueryCounter
) -> None:
    for n in range(5):
        make_user(session, email=f"member{n}@example.com")
    headers = auth_headers(admin)
    with queries.count() as counted:
        resp = client.get(USERS, headers=headers, params={"limit": 2, "offset": 1})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert page["total"] >= 6
    assert len(page["items"]) == 2
    assert counted.total <= 2  # one count, one page
    created = [item["created_at"] for item in page["items"]]
    assert created == sorted(created, reverse=True)


def test_search_and_filters(client: TestClient, session: Session, admin: User) -> None:
    make_user(session, email="priya.k@example.com", full_name="Priya K")
    make_consumer(session, phone="+919812345678", full_name="Rahul")
    make_user(session, email="inactive@example.com", is_active=False)
    headers = auth_headers(admin)

    def emails(**params: object) -> set[str | None]:
        resp = client.get(USERS, headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        return {item["email"] or item["phone"] for item in resp.json()["items"]}

    assert emails(q="PRIYA") == {"priya.k@example.com"}
    assert emails(q="98123") == {"+919812345678"}
    assert emails(q="%") == set()  # wildcards are searched literally
    assert "inactive@example.com" in emails(is_active=False)
    assert "inactive@example.com" not in emails(is_active=True)
    assert emails(is_superuser=True) == {"root@example.com"}


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"q": ""}, {"is_active": "maybe"}]
)
def test_list_rejects_bad_parameters(
    client: TestClient, admin: User, params: dict[str, object]
) -> None:
    assert_error(client.get(USERS, headers=auth_headers(admin), params=params), 422)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("GET", "/{id}"),
        ("POST", "/{id}/deactivate"),
        ("POST", "/{id}/reactivate"),
        ("POST", "/{id}/superuser"),
        ("DELETE", "/{id}/superuser"),
    ],
)
def test_only_platform_admins_get_in(
    client: TestClient, session: Session, method: str, path: str
) -> None:
    target = make_user(session)
    url = USERS + path.format(id=target.id)
    assert_error(client.request(method, url), 401, "not_authenticated")
    assert_error(client.request(method, url, headers=auth_headers(target)), 403)
    owner = make_user(session)
    assert_error(client.request(method, url, headers=auth_headers(owner)), 403)
    assert target.is_active is True
    assert target.is_superuser is False


def test_view_one_user(client: TestClient, session: Session, admin: User) -> None:
    target = make_consumer(session)
    resp = client.get(f"{USERS}/{target.id}", headers=auth_headers(admin))
    assert resp.status_code == 200, resp.text
    assert resp.json()["phone"] == target.phone
    assert "deleted_at" in resp.json()
    assert_error(client.get(f"{USERS}/{uuid.uuid4()}", headers=auth_headers(admin)), 404)
    assert_error(client.get(f"{USERS}/not-a-uuid", headers=auth_headers(admin)), 422)


def test_deactivation_ends_every_session_and_reactivation_restores_sign_in(
    client: TestClient, session: Session, admin: User
) -> None:
    target = make_user(session, email="staff@example.com")
    pair = start_session(session, target)
    resp = client.post(f"{USERS}/{target.id}/deactivate", headers=auth_headers(admin))
    assert resp.status_code == 200, resp.text
    assert resp.json()["is_active"] is False
    assert_error(client.get(f"{API}/users/me", headers=bearer(pair.access_token)), 401)
    assert_error(
        client.post(f"{API}/auth/refresh", json={"refresh_token": pair.refresh_token}), 401
    )
    assert_error(login(client, "staff@example.com"), 403, "account_disabled")

    resp = client.post(f"{USERS}/{target.id}/reactivate", headers=auth_headers(admin))
    assert resp.status_code == 200
    assert resp.json()["is_active"] is True
    # Old sessions stay ended; a new sign-in works.
    assert_error(client.get(f"{API}/users/me", headers=bearer(pair.access_token)), 401)
    assert login(client, "staff@example.com").status_code == 200


def test_deactivation_conflicts_and_unknown_users(
    client: TestClient, session: Session, admin: User
) -> None:
    headers = auth_headers(admin)
    assert_error(client.post(f"{USERS}/{admin.id}/deactivate", headers=headers), 409)
    assert_error(client.post(f"{USERS}/{uuid.uuid4()}/deactivate", headers=headers), 404)
    assert_error(client.post(f"{USERS}/{uuid.uuid4()}/reactivate", headers=headers), 404)


def test_a_deleted_account_cannot_be_reactivated_or_promoted(
    client: TestClient, session: Session, admin: User
) -> None:
    target = make_consumer(session)
    assert client.delete(f"{API}/users/me", headers=auth_headers(target)).status_code == 204
    headers = auth_headers(admin)
    assert_error(client.post(f"{USERS}/{target.id}/reactivate", headers=headers), 409)
    assert_error(client.post(f"{USERS}/{target.id}/superuser", headers=headers), 409)


def test_grant_and_revoke_superuser(client: TestClient, session: Session, admin: User) -> None:
    target = make_user(session)
    headers = auth_headers(admin)
    resp = client.post(f"{USERS}/{target.id}/superuser", headers=headers)
    assert resp.status_code == 200
    assert resp.json()["is_superuser"] is True
    assert client.get(USERS, headers=auth_headers(target)).status_code == 200
    resp = client.delete(f"{USERS}/{target.id}/superuser", headers=headers)
    assert resp.status_code == 200
    assert resp.json()["is_superuser"] is False
    assert_error(client.get(USERS, headers=auth_headers(target)), 403)
    # An admin cannot drop their own rights (there might be nobody left).
    assert_error(client.delete(f"{USERS}/{admin.id}/superuser", headers=headers), 409)
    assert_error(client.post(f"{USERS}/{uuid.uuid4()}/superuser", headers=headers), 404)
