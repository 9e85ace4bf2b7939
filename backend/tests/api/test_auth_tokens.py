"""Tokens: refresh rotation and theft detection, type confusion, logout, key rotation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, col

from app.core.config import settings
from app.core.security import (
    ALGORITHM,
    TokenType,
    create_access_token,
    decode_token,
    encode_token,
    hash_token,
)
from app.models.auth import RefreshToken
from app.models.base import utcnow
from tests.factories import auth_headers, make_user
from tests.factories.identity import (
    API,
    bearer,
    expired_access_token,
    refresh_rows,
    start_session,
)
from tests.utils import QueryCounter, assert_error

ME = f"{API}/users/me"


def refresh(client: TestClient, token: str) -> Any:
    return client.post(f"{API}/auth/refresh", json={"refresh_token": token})


def test_access_token_claims(session: Session) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    claims = decode_token(pair.access_token, TokenType.ACCESS)
    assert claims["sub"] == str(user.id)
    assert claims["type"] == "access"
    assert {"exp", "iat", "jti", "sid"} <= set(claims)
    assert claims["exp"] - claims["iat"] == pytest.approx(15 * 60, abs=1)
    [row] = refresh_rows(session, user)
    assert pair.refresh_token not in row.token_hash  # only a digest is stored
    assert len(row.token_hash) == 64


def test_refresh_rotates_the_pair(client: TestClient, session: Session) -> None:
    user = make_user(session)
    first = start_session(session, user)
    resp = refresh(client, first.refresh_token)
    assert resp.status_code == 200, resp.text
    second = resp.json()
    assert second["refresh_token"] != first.refresh_token
    assert client.get(ME, headers=bearer(second["access_token"])).status_code == 200
    # Same session (family), one more generation.
    rows = refresh_rows(session, user)
    assert len(rows) == 2
    assert len({r.family_id for r in rows}) == 1
    third = refresh(client, second["refresh_token"])
    assert third.status_code == 200


def used_long_ago(session: Session, token: str) -> None:
    """Move a used refresh token's use back past the reuse grace window."""
    session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.token_hash) == hash_token(token))
        .values(used_at=utcnow() - timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS + 1))
    )
    session.flush()


def test_reusing_a_used_refresh_token_revokes_the_whole_family(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    stolen = start_session(session, user)
    # The thief refreshes first...
    thief = refresh(client, stolen.refresh_token).json()
    used_long_ago(session, stolen.refresh_token)
    # ...then, after the grace window, the victim presents the same (now used) token:
    # theft detected.
    resp = refresh(client, stolen.refresh_token)
    body = assert_error(resp, 401, "invalid_refresh_token")
    assert "already used" in body["detail"]
    # Both branches of the family are dead: refresh and access tokens.
    assert_error(refresh(client, thief["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(client.get(ME, headers=bearer(thief["access_token"])), 401)
    assert_error(client.get(ME, headers=bearer(stolen.access_token)), 401)
    # Committed although the answer was an error.
    session.rollback()
    assert all(row.revoked_at is not None for row in refresh_rows(session, user))


def test_reuse_detection_leaves_other_sessions_alone(client: TestClient, session: Session) -> None:
    user = make_user(session)
    stolen = start_session(session, user)
    other = start_session(session, user)
    refresh(client, stolen.refresh_token)
    used_long_ago(session, stolen.refresh_token)
    assert_error(refresh(client, stolen.refresh_token), 401, "invalid_refresh_token")
    assert client.get(ME, headers=bearer(other.access_token)).status_code == 200
    assert refresh(client, other.refresh_token).status_code == 200


def test_a_refresh_sent_twice_within_the_grace_window_gets_the_same_pair(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    first = start_session(session, user)
    answers = [refresh(client, first.refresh_token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    second = answers[0].json()
    # One new generation, not three; the pair works.
    assert len(refresh_rows(session, user)) == 2
    assert client.get(ME, headers=bearer(second["access_token"])).status_code == 200
    # Once that pair is used in turn, the old token presented again is a copy: the
    # session ends, even within the window.
    third = refresh(client, second["refresh_token"]).json()
    assert_error(refresh(client, first.refresh_token), 401, "invalid_refresh_token")
    assert_error(refresh(client, third["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(client.get(ME, headers=bearer(third["access_token"])), 401)


def test_without_a_grace_window_a_second_refresh_ends_the_session(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "REFRESH_REUSE_GRACE_SECONDS", 0)
    user = make_user(session)
    first = start_session(session, user)
    second = refresh(client, first.refresh_token).json()
    used_long_ago(session, first.refresh_token)
    assert_error(refresh(client, first.refresh_token), 401, "invalid_refresh_token")
    assert_error(refresh(client, second["refresh_token"]), 401, "invalid_refresh_token")


def test_the_grace_window_answers_nothing_for_a_revoked_session(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    first = start_session(session, user)
    second = refresh(client, first.refresh_token).json()
    assert (
        client.post(f"{API}/auth/logout/all", headers=bearer(second["access_token"])).status_code
        == 204
    )
    assert_error(refresh(client, first.refresh_token), 401, "invalid_refresh_token")


def test_a_refresh_token_is_not_an_access_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    assert_error(client.get(ME, headers=bearer(pair.refresh_token)), 401, "not_authenticated")


def test_an_access_token_is_not_a_refresh_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    assert_error(refresh(client, pair.access_token), 401, "invalid_refresh_token")


def test_other_signed_tokens_are_not_access_tokens(client: TestClient, session: Session) -> None:
    user = make_user(session)
    for token_type in (TokenType.PASSWORD_RESET, TokenType.EMAIL_VERIFICATION):
        token = encode_token(user.id, token_type, timedelta(minutes=5)).token
        assert_error(client.get(ME, headers=bearer(token)), 401)


def test_a_refresh_token_unknown_to_the_database_is_refused(
    client: TestClient, session: Session
) -> None:
    from app.core.security import create_refresh_token

    user = make_user(session)
    import uuid

    forged = create_refresh_token(user.id, family_id=uuid.uuid4()).token
    assert_error(refresh(client, forged), 401, "invalid_refresh_token")
    assert_error(refresh(client, "garbage"), 401, "invalid_refresh_token")
    assert_error(client.post(f"{API}/auth/refresh", json={}), 422, "invalid")
    assert_error(client.post(f"{API}/auth/refresh", json={"refresh_token": ""}), 422)


def test_an_expired_refresh_token_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    monkey_key = settings.SECRET_KEY.get_secret_value()
    claims = decode_token(pair.refresh_token, TokenType.REFRESH)
    claims["exp"] = int((utcnow() - timedelta(seconds=1)).timestamp())
    expired = jwt.encode(claims, monkey_key, algorithm=ALGORITHM)
    assert_error(refresh(client, expired), 401, "invalid_refresh_token")


def test_expired_and_forged_access_tokens_are_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    assert_error(client.get(ME, headers=bearer(expired_access_token(user))), 401)
    forged = jwt.encode(
        {"sub": str(user.id), "type": "access", "iat": 1, "exp": 2**33, "jti": "x"},
        "not-our-key-not-our-key-not-our-key",
        algorithm=ALGORITHM,
    )
    assert_error(client.get(ME, headers=bearer(forged)), 401)
    unsigned = jwt.encode(
        {"sub": str(user.id), "type": "access", "iat": 1, "exp": 2**33, "jti": "x"},
        "",
        algorithm="none",
    )
    assert_error(client.get(ME, headers=bearer(unsigned)), 401)
    assert_error(client.get(ME), 401, "not_authenticated")


def test_logout_revokes_this_access_token_and_refresh_token(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    mine = start_session(session, user)
    other = start_session(session, user)
    resp = client.post(
        f"{API}/auth/logout",
        headers=bearer(mine.access_token),
        json={"refresh_token": mine.refresh_token},
    )
    assert resp.status_code == 204, resp.text
    # The access token is refused from now until it expires, the refresh token too.
    assert_error(client.get(ME, headers=bearer(mine.access_token)), 401)
    assert_error(refresh(client, mine.refresh_token), 401, "invalid_refresh_token")
    assert user.revoked_access_until is not None
    # Other devices stay signed in.
    assert client.get(ME, headers=bearer(other.access_token)).status_code == 200
    assert refresh(client, other.refresh_token).status_code == 200


def test_logout_without_a_body_ends_the_session_of_the_access_token(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    mine = start_session(session, user)
    assert client.post(f"{API}/auth/logout", headers=bearer(mine.access_token)).status_code == 204
    assert_error(refresh(client, mine.refresh_token), 401)


def test_logout_errors(client: TestClient, session: Session) -> None:
    assert_error(client.post(f"{API}/auth/logout"), 401, "not_authenticated")
    user = make_user(session)
    resp = client.post(f"{API}/auth/logout", headers=auth_headers(user), json={"nope": 1})
    assert_error(resp, 422, "invalid")
    # Another user's refresh token is not touched by my logout.
    victim = start_session(session, make_user(session))
    resp = client.post(
        f"{API}/auth/logout",
        headers=auth_headers(user),
        json={"refresh_token": victim.refresh_token},
    )
    assert resp.status_code == 204
    assert refresh(client, victim.refresh_token).status_code == 200


def test_logout_everywhere(client: TestClient, session: Session) -> None:
    user = make_user(session)
    sessions = [start_session(session, user) for _ in range(2)]
    resp = client.post(f"{API}/auth/logout/all", headers=bearer(sessions[0].access_token))
    assert resp.status_code == 204
    for pair in sessions:
        assert_error(client.get(ME, headers=bearer(pair.access_token)), 401)
        assert_error(refresh(client, pair.refresh_token), 401)
    assert_error(client.post(f"{API}/auth/logout/all"), 401)


def test_key_rotation_keeps_sessions_alive(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    old_key = settings.SECRET_KEY
    monkeypatch.setattr(settings, "SECRET_KEY", SecretStr("a-brand-new-key-" + "x" * 32))
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [old_key])
    assert client.get(ME, headers=bearer(pair.access_token)).status_code == 200
    resp = refresh(client, pair.refresh_token)
    assert resp.status_code == 200
    # New tokens are signed with the new key only.
    new_access = resp.json()["access_token"]
    jwt.decode(new_access, settings.SECRET_KEY.get_secret_value(), algorithms=[ALGORITHM])
    # Once the old key is dropped, tokens signed with it stop working.
    monkeypatch.setattr(settings, "PREVIOUS_SECRET_KEYS", [])
    assert_error(client.get(ME, headers=bearer(pair.access_token)), 401)
    assert client.get(ME, headers=bearer(new_access)).status_code == 200


def test_a_deactivated_user_is_signed_out_everywhere(client: TestClient, session: Session) -> None:
    user = make_user(session)
    pair = start_session(session, user)
    user.is_active = False
    session.add(user)
    session.flush()
    assert_error(client.get(ME, headers=bearer(pair.access_token)), 401)
    assert_error(refresh(client, pair.refresh_token), 401)


def test_the_deny_list_is_read_only_after_a_logout(
    client: TestClient, session: Session, queries: QueryCounter
) -> None:
    user = make_user(session)
    headers = auth_headers(user)
    with queries.count() as plain:
        assert client.get(ME, headers=headers).status_code == 200
    assert plain.total == 0  # the user is already in the session: no query at all
    pair = start_session(session, user)
    client.post(f"{API}/auth/logout", headers=bearer(pair.access_token))
    with queries.count() as after:
        assert client.get(ME, headers=headers).status_code == 200
    assert after.total <= 2


def test_auth_headers_tokens_are_plain_access_tokens(session: Session) -> None:
    user = make_user(session)
    token = auth_headers(user)["Authorization"].removeprefix("Bearer ")
    assert decode_token(token, TokenType.ACCESS)["sub"] == str(user.id)
    assert create_access_token(user.id).jti != create_access_token(user.id).jti
