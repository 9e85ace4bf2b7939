"""The staff dashboard's cookie session: the refresh token in an httpOnly, SameSite=Strict
cookie scoped to the cookie routes, a signed double-submit CSRF check, rotation, logout.

The test client keeps cookies as a browser does (by path), so these tests send what the
dashboard sends: the cookies the server set, and `X-CSRF-Token` read from `socia_csrf`.
"""

from __future__ import annotations

from http.cookies import Morsel, SimpleCookie
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from app.core.config import Environment, settings
from app.core.csrf import csrf_token_for
from app.core.security import hash_token
from tests.api.test_auth_tokens import used_long_ago
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.factories.identity import API, bearer, refresh_rows, start_session
from tests.utils import assert_error

ME = f"{API}/users/me"
COOKIE = f"{API}/auth/cookie"
DAY = 86400


def set_cookies(resp: Any) -> dict[str, Morsel[str]]:
    """The cookies an answer sets, by name, with their attributes."""
    jar: dict[str, Morsel[str]] = {}
    for header in resp.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        jar.update(parsed)
    return jar


def assert_removed(cookie: Morsel[str], path: str) -> None:
    """A `Set-Cookie` that deletes the cookie at `path`."""
    assert cookie.value == ""
    assert int(cookie["max-age"]) == 0
    assert cookie["path"] == path


def cookie_login(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> Any:
    return client.post(f"{COOKIE}/login", json={"email": email, "password": password})


def csrf(client: TestClient) -> dict[str, str]:
    """The header the dashboard sends: the value of the readable `socia_csrf` cookie."""
    return {"X-CSRF-Token": client.cookies["socia_csrf"]}


def cookie_refresh(client: TestClient, headers: dict[str, str] | None = None) -> Any:
    return client.post(f"{COOKIE}/refresh", headers=csrf(client) if headers is None else headers)


def refresh_cookie(client: TestClient) -> str:
    return next(str(c.value) for c in client.cookies.jar if c.name == "socia_refresh")


def signed_in(client: TestClient, session: Session) -> tuple[Any, str]:
    """A user signed in through the cookie route, and their access token."""
    user = make_user(session)
    resp = cookie_login(client, user.email or "")
    assert resp.status_code == 200, resp.text
    return user, resp.json()["access_token"]


# --- sign-in ---------------------------------------------------------------------------


def test_sign_in_sets_the_refresh_token_as_an_httponly_strict_cookie_of_the_cookie_routes(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    resp = cookie_login(client, user.email or "")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_expires_in"}
    assert resp.headers["cache-control"] == "no-store"
    cookies = set_cookies(resp)
    refresh = cookies["socia_refresh"]
    assert refresh["httponly"] is True
    assert refresh["samesite"].lower() == "strict"
    assert refresh["path"] == "/api/v1/auth/cookie"
    assert int(refresh["max-age"]) == settings.REFRESH_TOKEN_EXPIRE_DAYS * DAY
    assert not refresh["secure"]  # local runs are plain HTTP; production: below
    [row] = refresh_rows(session, user)
    assert row.token_hash == hash_token(refresh.value)
    # The CSRF cookie is for scripts to read, everywhere on the site, and goes with
    # this refresh token.
    token = cookies["socia_csrf"]
    assert not token["httponly"]
    assert token["samesite"].lower() == "strict"
    assert token["path"] == "/"
    assert token.value == csrf_token_for(refresh.value)
    # The access token is in the body only, and works.
    assert client.get(ME, headers=bearer(body["access_token"])).json()["id"] == str(user.id)


def test_in_production_both_cookies_are_secure(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ENVIRONMENT", Environment.PRODUCTION)
    user = make_user(session)
    cookies = set_cookies(cookie_login(client, user.email or ""))
    assert cookies["socia_refresh"]["secure"] is True
    assert cookies["socia_csrf"]["secure"] is True


def test_sign_in_errors(client: TestClient, session: Session) -> None:
    user = make_user(session)
    resp = cookie_login(client, user.email or "", "not-the-password-1")
    assert_error(resp, 401, "invalid_credentials")
    assert set_cookies(resp) == {}
    body = assert_error(cookie_login(client, "not-an-email"), 422, "invalid")
    assert [e["loc"] for e in body["detail"]] == [["body", "email"]]
    # JSON only: a cross-site HTML form (urlencoded) cannot sign anyone in.
    resp = client.post(
        f"{COOKIE}/login", data={"email": user.email or "", "password": DEFAULT_PASSWORD}
    )
    assert_error(resp, 422, "invalid")
    assert set_cookies(resp) == {}


def test_a_disabled_account_cannot_sign_in(client: TestClient, session: Session) -> None:
    user = make_user(session)
    user.is_active = False
    session.flush()
    assert_error(cookie_login(client, user.email or ""), 403, "account_disabled")


# --- refresh ---------------------------------------------------------------------------


def test_refresh_rotates_both_cookies(client: TestClient, session: Session) -> None:
    user, _ = signed_in(client, session)
    first = refresh_cookie(client)
    resp = cookie_refresh(client)
    assert resp.status_code == 200, resp.text
    cookies = set_cookies(resp)
    second = cookies["socia_refresh"].value
    assert second != first
    assert cookies["socia_refresh"]["httponly"] is True
    assert cookies["socia_refresh"]["path"] == "/api/v1/auth/cookie"
    assert cookies["socia_csrf"].value == csrf_token_for(second)
    assert client.get(ME, headers=bearer(resp.json()["access_token"])).status_code == 200
    # The old token is used up: one session (family), one more generation.
    rows = refresh_rows(session, user)
    assert len(rows) == 2
    assert len({r.family_id for r in rows}) == 1
    assert next(r for r in rows if r.token_hash == hash_token(first)).used_at is not None
    # The browser now holds the new cookies, and they work in turn.
    assert refresh_cookie(client) == second
    assert cookie_refresh(client).status_code == 200


def test_refresh_without_the_csrf_header_is_refused_and_uses_nothing_up(
    client: TestClient, session: Session
) -> None:
    user, _ = signed_in(client, session)
    resp = cookie_refresh(client, headers={})
    assert_error(resp, 403, "csrf_token_invalid")
    assert set_cookies(resp) == {}
    assert all(row.used_at is None for row in refresh_rows(session, user))
    # The session is intact: the dashboard's own request (with the header) works.
    assert cookie_refresh(client).status_code == 200


def test_refresh_with_a_wrong_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    signed_in(client, session)
    mine = refresh_cookie(client)
    # A plain double submit would accept any value equal to the csrf cookie (which a
    # sibling subdomain could plant); here the token must be signed for this session.
    planted = "a" * 43
    client.cookies.set("socia_csrf", planted, path="/")
    assert_error(cookie_refresh(client, {"X-CSRF-Token": planted}), 403, "csrf_token_invalid")
    other = start_session(session, make_user(session))
    theirs = {"X-CSRF-Token": csrf_token_for(other.refresh_token)}
    assert_error(cookie_refresh(client, theirs), 403, "csrf_token_invalid")
    assert cookie_refresh(client, {"X-CSRF-Token": csrf_token_for(mine)}).status_code == 200


def test_refresh_without_the_cookie_is_a_401(client: TestClient) -> None:
    resp = client.post(f"{COOKIE}/refresh", headers={"X-CSRF-Token": "anything"})
    body = assert_error(resp, 401, "invalid_refresh_token")
    assert "sign in" in body["detail"]
    assert resp.headers["www-authenticate"] == "Bearer"


def test_a_dead_session_answers_401_and_removes_the_refresh_cookie(
    client: TestClient, session: Session
) -> None:
    _, access = signed_in(client, session)
    assert client.post(f"{API}/auth/logout/all", headers=bearer(access)).status_code == 204
    resp = cookie_refresh(client)
    assert_error(resp, 401, "invalid_refresh_token")
    assert_removed(set_cookies(resp)["socia_refresh"], "/api/v1/auth/cookie")
    assert "socia_refresh" not in {c.name for c in client.cookies.jar}


def test_a_copied_refresh_cookie_used_after_the_grace_window_ends_the_session(
    client: TestClient, session: Session
) -> None:
    user, _ = signed_in(client, session)
    stolen = refresh_cookie(client)
    stolen_csrf = csrf(client)
    assert cookie_refresh(client).status_code == 200  # the owner's browser rotates
    used_long_ago(session, stolen)
    client.cookies.set("socia_refresh", stolen, path="/api/v1/auth/cookie")
    body = assert_error(cookie_refresh(client, stolen_csrf), 401, "invalid_refresh_token")
    assert "already used" in body["detail"]
    session.rollback()
    assert all(row.revoked_at is not None for row in refresh_rows(session, user))


def test_a_refresh_sent_twice_within_the_grace_window_gets_the_same_answer(
    client: TestClient, session: Session
) -> None:
    # Two tabs reloading at once send the same cookie: both stay signed in.
    signed_in(client, session)
    cookie, header = refresh_cookie(client), csrf(client)
    first = cookie_refresh(client, header)
    client.cookies.set("socia_refresh", cookie, path="/api/v1/auth/cookie")
    second = cookie_refresh(client, header)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert set_cookies(first)["socia_refresh"].value == set_cookies(second)["socia_refresh"].value


def test_csrf_tokens_survive_a_key_rotation(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, session)
    old_key = settings.SECRET_KEY
    monkeypatch.setattr(settings, "SECRET_KEY", SecretStr("a-brand-new-key-" + "x" * 32))
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [old_key])
    resp = cookie_refresh(client)
    assert resp.status_code == 200, resp.text
    new = set_cookies(resp)
    assert new["socia_csrf"].value == csrf_token_for(new["socia_refresh"].value)


def test_the_token_routes_do_not_read_the_cookie(client: TestClient, session: Session) -> None:
    # The mobile app's routes are unchanged: the refresh token comes in the body.
    signed_in(client, session)
    resp = client.post(f"{API}/auth/refresh", json={})
    assert_error(resp, 422, "invalid")


# --- sign-out --------------------------------------------------------------------------


def test_logout_ends_this_session_and_removes_both_cookies(
    client: TestClient, session: Session
) -> None:
    user, access = signed_in(client, session)
    elsewhere = start_session(session, user)
    cookie = refresh_cookie(client)
    resp = client.post(f"{COOKIE}/logout", headers={**bearer(access), **csrf(client)})
    assert resp.status_code == 204, resp.text
    cookies = set_cookies(resp)
    assert_removed(cookies["socia_refresh"], "/api/v1/auth/cookie")
    assert_removed(cookies["socia_csrf"], "/")
    assert list(client.cookies.jar) == []
    # The access token stops now, the refresh token too (even replayed by hand).
    assert_error(client.get(ME, headers=bearer(access)), 401)
    client.cookies.set("socia_refresh", cookie, path="/api/v1/auth/cookie")
    replay = {"X-CSRF-Token": csrf_token_for(cookie)}
    assert_error(cookie_refresh(client, replay), 401, "invalid_refresh_token")
    # Other devices stay signed in.
    assert client.get(ME, headers=bearer(elsewhere.access_token)).status_code == 200


def test_logout_errors(client: TestClient, session: Session) -> None:
    _, access = signed_in(client, session)
    # Signed-in action: without the access token, 401 and the session goes on.
    assert_error(client.post(f"{COOKIE}/logout", headers=csrf(client)), 401, "not_authenticated")
    # With the cookie, the CSRF header is required like everywhere the cookie is read.
    assert_error(client.post(f"{COOKIE}/logout", headers=bearer(access)), 403, "csrf_token_invalid")
    assert client.get(ME, headers=bearer(access)).status_code == 200
    assert cookie_refresh(client).status_code == 200


def test_logout_without_the_cookie_ends_the_session_of_the_access_token(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    resp = client.post(f"{COOKIE}/logout", headers=bearer(pair.access_token))
    assert resp.status_code == 204, resp.text
    assert_error(
        client.post(f"{API}/auth/refresh", json={"refresh_token": pair.refresh_token}), 401
    )


def test_logout_everywhere_ends_every_session_and_removes_the_cookies(
    client: TestClient, session: Session
) -> None:
    user, access = signed_in(client, session)
    phone = start_session(session, user)
    cookie, header = refresh_cookie(client), csrf(client)
    resp = client.post(f"{COOKIE}/logout/all", headers=bearer(access))
    assert resp.status_code == 204, resp.text
    assert set(set_cookies(resp)) == {"socia_refresh", "socia_csrf"}
    assert list(client.cookies.jar) == []
    for token in (access, phone.access_token):
        assert_error(client.get(ME, headers=bearer(token)), 401)
    client.cookies.set("socia_refresh", cookie, path="/api/v1/auth/cookie")
    assert_error(cookie_refresh(client, header), 401, "invalid_refresh_token")
    assert_error(client.post(f"{COOKIE}/logout/all"), 401, "not_authenticated")
