"""Business sign-in: register, verify email, login (OAuth2 form), forgotten and
changed passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.api.routes.auth import REGISTERED
from app.core.config import settings
from app.core.security import create_access_token
from app.crud import user as user_crud
from app.models.auth import EmailToken
from app.models.base import utcnow
from app.providers import email as email_provider
from app.providers.email import EmailMessage
from tests.factories import DEFAULT_PASSWORD, auth_headers, make_consumer, make_user
from tests.factories.identity import (
    API,
    bearer,
    link_token,
    login,
    refresh_rows,
    start_session,
)
from tests.factories.jobs import last_error, make_due, queued_jobs, run_jobs
from tests.utils import assert_error

NEW_PASSWORD = "another-Strong-pass-7"


def register(client: TestClient, **overrides: object) -> Any:
    payload: dict[str, object] = {
        "email": "Owner@Example.com",
        "password": "a-long-Passphrase-42",
        "full_name": "Asha",
    }
    payload.update(overrides)
    return client.post(f"{API}/auth/register", json=payload)


# --- register ---------------------------------------------------------------------------


def test_register_creates_an_unverified_account_and_emails_a_link(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    resp = register(client)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"message": REGISTERED}
    user = user_crud.get_by_email(session, email="owner@example.com")
    assert user is not None
    assert user.email == "owner@example.com"
    assert user.email_verified_at is None
    assert user.password_hash is not None
    assert "a-long-Passphrase-42" not in resp.text
    [message] = mail_outbox
    assert message.to == "owner@example.com"
    assert "Confirm" in message.subject
    assert "/verify-email?token=" in message.html


def test_registering_a_taken_address_answers_the_same_and_tells_its_owner(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="owner@example.com", full_name="Asha Rao")
    fresh = register(client, email="someone-new@example.com")
    taken = register(client, email="OWNER@example.com", password="an-Attacker-pass-99")
    # Nothing in the answer tells a taken address from a free one.
    assert taken.status_code == fresh.status_code == 202
    assert taken.json() == fresh.json()
    assert set(taken.headers) == set(fresh.headers)
    # The owner is told someone tried; nothing else changed (no link, same password).
    notice = mail_outbox[-1]
    assert notice.to == "owner@example.com"
    assert "tried to sign up" in notice.subject
    assert "token=" not in notice.html
    assert "Asha Rao" in notice.text
    assert login(client, "owner@example.com").status_code == 200
    assert_error(login(client, "owner@example.com", "an-Attacker-pass-99"), 401)


def test_a_taken_address_counts_against_the_same_email_limit_as_a_free_one(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "EMAIL_LINK_LIMIT_PER_ADDRESS", "1/hour")
    make_user(session, email="owner@example.com")
    assert register(client, email="owner@example.com").status_code == 202
    assert register(client, email="free@example.com").status_code == 202
    # A second attempt at either address is refused alike.
    assert_error(register(client, email="owner@example.com"), 429, "rate_limited")
    assert_error(register(client, email="free@example.com"), 429, "rate_limited")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "at least 10 characters"),
        ("abcdefghijkl", "digit or symbol"),
        ("1234567890123", "at least one letter"),
        ("aaaaaaaaaa11", "too few different characters"),
        ("password1234", "too common"),
        (" leading-space-1", "space"),
    ],
)
def test_register_refuses_weak_passwords_with_a_clear_422(
    client: TestClient, password: str, message: str
) -> None:
    body = assert_error(register(client, password=password), 422, "invalid")
    assert message in str(body["detail"])


@pytest.mark.parametrize(
    "overrides",
    [{"email": "not-an-email"}, {"full_name": ""}, {"full_name": "x" * 201}, {"role": "admin"}],
)
def test_register_rejects_bad_payloads(client: TestClient, overrides: dict[str, object]) -> None:
    assert_error(register(client, **overrides), 422, "invalid")


def test_register_is_rate_limited_per_address(
    client: TestClient, mail_outbox: list[EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "REGISTER_LIMIT_PER_IP", "2/hour")
    assert register(client, email="a1@example.com").status_code == 202
    assert register(client, email="a2@example.com").status_code == 202
    resp = register(client, email="a3@example.com")
    assert_error(resp, 429, "rate_limited")
    assert "Retry-After" in resp.headers


@pytest.mark.usefixtures("smtp_down")
def test_a_mail_server_that_is_down_never_fails_the_sign_up(
    client: TestClient, session: Session
) -> None:
    resp = register(client, email="while-down@example.com")
    assert resp.status_code == 202, resp.text
    # The email is a job: its send fails, and it waits for a retry.
    assert run_jobs(session) == 1
    [job] = queued_jobs(session, task_name="send_email")
    assert (job.status, job.attempts) == ("todo", 1)
    assert job.scheduled_at is not None
    assert "Email could not be sent right now" in (last_error(session, job.id) or "")
    # The account is there.
    tokens = login(client, "while-down@example.com", "a-long-Passphrase-42")
    assert tokens.status_code == 200
    # Once the server is back, the retry sends it (and the finished job is gone).
    back = email_provider.ConsoleBackend()
    email_provider.set_backend(back)
    make_due(session)
    assert run_jobs(session) == 1
    assert [m.to for m in back.outbox] == ["while-down@example.com"]
    assert queued_jobs(session) == []


def test_reset_links_asked_for_an_address_do_not_block_signing_up_with_it(
    client: TestClient, mail_outbox: list[EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "EMAIL_LINK_LIMIT_PER_ADDRESS", "2/hour")
    forgot = f"{API}/auth/password/forgot"
    for _ in range(2):
        client.post(forgot, json={"email": "victim@example.com"})
    assert_error(client.post(forgot, json={"email": "victim@example.com"}), 429, "rate_limited")
    assert register(client, email="victim@example.com").status_code == 202
    assert [m.to for m in mail_outbox] == ["victim@example.com"]


# --- email verification -------------------------------------------------------------------


def test_the_emailed_link_verifies_the_address_once(
    client: TestClient, mail_outbox: list[EmailMessage]
) -> None:
    register(client)
    token = link_token(mail_outbox[-1])
    resp = client.post(f"{API}/auth/email/verify", json={"token": token})
    assert resp.status_code == 200, resp.text
    assert resp.json()["email_verified_at"] is not None
    assert_error(
        client.post(f"{API}/auth/email/verify", json={"token": token}), 400, "invalid_link"
    )


def test_an_expired_verification_link_is_refused(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    register(client)
    token = link_token(mail_outbox[-1])
    row = session.exec(select(EmailToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert_error(
        client.post(f"{API}/auth/email/verify", json={"token": token}), 400, "invalid_link"
    )


@pytest.mark.parametrize("token", ["garbage-token-value", "x" * 300])
def test_forged_links_are_refused(client: TestClient, token: str) -> None:
    assert_error(
        client.post(f"{API}/auth/email/verify", json={"token": token}), 400, "invalid_link"
    )


def test_an_access_token_is_not_a_verification_link(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = create_access_token(user.id).token
    assert_error(
        client.post(f"{API}/auth/email/verify", json={"token": token}), 400, "invalid_link"
    )


def test_verify_rejects_bad_payloads(client: TestClient) -> None:
    assert_error(client.post(f"{API}/auth/email/verify", json={}), 422, "invalid")


def test_resend_verification_replaces_the_earlier_link(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    register(client)
    first = link_token(mail_outbox[-1])
    user_resp = login(client, "owner@example.com", "a-long-Passphrase-42")
    headers = bearer(user_resp.json()["access_token"])
    resp = client.post(f"{API}/auth/email/verify/resend", headers=headers)
    assert resp.status_code == 202, resp.text
    second = link_token(mail_outbox[-1])
    assert_error(
        client.post(f"{API}/auth/email/verify", json={"token": first}), 400, "invalid_link"
    )
    assert client.post(f"{API}/auth/email/verify", json={"token": second}).status_code == 200
    # Verified now: nothing to resend.
    resp = client.post(f"{API}/auth/email/verify/resend", headers=headers)
    assert_error(resp, 409, "email_already_verified")


def test_resend_verification_needs_a_signed_in_user_with_an_email(
    client: TestClient, session: Session
) -> None:
    assert_error(client.post(f"{API}/auth/email/verify/resend"), 401, "not_authenticated")
    consumer = make_consumer(session)
    resp = client.post(f"{API}/auth/email/verify/resend", headers=auth_headers(consumer))
    assert_error(resp, 409, "no_email")


def test_resend_verification_is_rate_limited(
    client: TestClient,
    session: Session,
    mail_outbox: list[EmailMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "EMAIL_LINK_LIMIT_PER_ADDRESS", "2/hour")
    user = make_user(session)
    headers = auth_headers(user)
    for _ in range(2):
        assert client.post(f"{API}/auth/email/verify/resend", headers=headers).status_code == 202
    assert_error(client.post(f"{API}/auth/email/verify/resend", headers=headers), 429)


# --- login ------------------------------------------------------------------------------


def test_login_with_the_oauth2_form_returns_a_token_pair(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, email="boss@example.com")
    resp = login(client, "  BOSS@example.com ")
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["refresh_token"] != tokens["access_token"]
    me = client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))
    assert me.json()["id"] == str(user.id)


def test_swagger_authorize_uses_the_login_route(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    flows = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/login"
    assert "/api/v1/auth/login" in spec["paths"]
    # Consumers paste the token from the one-time code instead: either scheme will do.
    pasted = spec["components"]["securitySchemes"]["AccessToken"]
    assert (pasted["type"], pasted["scheme"]) == ("http", "bearer")
    me = spec["paths"]["/api/v1/users/me"]["get"]["security"]
    assert {"OAuth2PasswordBearer": []} in me
    assert {"AccessToken": []} in me


def test_wrong_email_and_wrong_password_get_the_same_answer(
    client: TestClient, session: Session
) -> None:
    make_user(session, email="boss@example.com")
    wrong_password = login(client, "boss@example.com", "not-the-password-1")
    unknown_email = login(client, "nobody@example.com", "not-the-password-1")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"] == "invalid_credentials"


def test_a_phone_only_account_cannot_log_in_with_a_password(
    client: TestClient, session: Session
) -> None:
    assert_error(login(client, "", "anything-at-all-1"), 422)
    make_consumer(session)
    assert_error(login(client, "+919800000001", "anything-at-all-1"), 401, "invalid_credentials")


def test_login_needs_both_form_fields(client: TestClient) -> None:
    assert_error(client.post(f"{API}/auth/login", data={"username": "a@b.c"}), 422, "invalid")
    assert_error(client.post(f"{API}/auth/login", json={"username": "a", "password": "b"}), 422)


def login_from(
    client: TestClient, address: str, email: str, password: str = DEFAULT_PASSWORD
) -> Any:
    """Sign in from a client address (we sit behind one trusted proxy in these tests)."""
    return client.post(
        f"{API}/auth/login",
        data={"username": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def test_login_failures_are_limited_per_account_and_client_address(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "3/15minutes")
    make_user(session, email="boss@example.com")
    for _ in range(3):
        assert_error(login_from(client, "6.6.6.6", "boss@example.com", "wrong-password-1"), 401)
    # That address is locked out of this account now, even with the right password...
    resp = login_from(client, "6.6.6.6", "boss@example.com")
    assert_error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) > 0
    # ... and not of other accounts, nor is the owner signing in from elsewhere.
    assert_error(login_from(client, "6.6.6.6", "other@example.com", "wrong-password-1"), 401)
    assert login_from(client, "1.2.3.4", "boss@example.com").status_code == 200
    # Unknown accounts are limited the same way (nothing tells them apart).
    for _ in range(3):
        assert_error(login_from(client, "6.6.6.6", "ghost@example.com", "wrong-password-1"), 401)
    assert_error(login_from(client, "6.6.6.6", "ghost@example.com", "wrong-password-1"), 429)


def test_guesses_from_many_addresses_slow_an_account_but_never_lock_its_owner_out(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setattr(settings, "LOGIN_CEILING_PER_ACCOUNT", "4/15minutes")
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING", "1/15minutes")
    make_user(session, email="boss@example.com")
    wrong = "wrong-password-1"
    # Four addresses use up the account's ceiling (each far below its own limit).
    for n in range(4):
        assert_error(login_from(client, f"6.6.6.{n}", "boss@example.com", wrong), 401)
    # Over the ceiling, each address gets one more guess at this account, then 429.
    assert_error(login_from(client, "6.6.6.0", "boss@example.com", wrong), 401)
    assert_error(login_from(client, "6.6.6.0", "boss@example.com", wrong), 429, "rate_limited")
    assert_error(login_from(client, "6.6.6.9", "boss@example.com", wrong), 401)
    assert_error(login_from(client, "6.6.6.9", "boss@example.com", wrong), 429, "rate_limited")
    # Other accounts are not slowed.
    assert_error(login_from(client, "6.6.6.0", "other@example.com", wrong), 401)
    assert_error(login_from(client, "6.6.6.0", "other@example.com", wrong), 401)
    # The owner, from an address that has not been guessing, signs in with the right password.
    assert login_from(client, "1.2.3.4", "boss@example.com").status_code == 200


def test_a_successful_login_clears_the_failures(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "3/15minutes")
    make_user(session, email="boss@example.com")
    for _ in range(2):
        login(client, "boss@example.com", "wrong-password-1")
    assert login(client, "boss@example.com").status_code == 200
    for _ in range(2):
        login(client, "boss@example.com", "wrong-password-1")
    assert login(client, "boss@example.com").status_code == 200


def test_login_attempts_are_limited_per_client_address(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_IP", "3/15minutes")
    for n in range(3):
        assert_error(login(client, f"user{n}@example.com", "wrong-password-1"), 401)
    assert_error(login(client, "user9@example.com", "wrong-password-1"), 429, "rate_limited")


def test_a_deactivated_account_cannot_log_in(client: TestClient, session: Session) -> None:
    make_user(session, email="gone@example.com", is_active=False)
    assert_error(login(client, "gone@example.com"), 403, "account_disabled")
    # Without the right password nothing tells that the account exists.
    assert_error(login(client, "gone@example.com", "wrong-password-1"), 401, "invalid_credentials")


# --- forgotten password -----------------------------------------------------------------


def forgot(client: TestClient, email: str) -> Any:
    return client.post(f"{API}/auth/password/forgot", json={"email": email})


def reset(client: TestClient, token: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(
        f"{API}/auth/password/reset", json={"token": token, "new_password": password}
    )


def test_forgot_password_answers_the_same_for_unknown_addresses(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="boss@example.com")
    known = forgot(client, "boss@example.com")
    unknown = forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m.to for m in mail_outbox] == ["boss@example.com"]
    assert "/reset-password?token=" in mail_outbox[0].html


def test_reset_link_sets_the_password_once_and_ends_every_session(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    user = make_user(session, email="boss@example.com")
    old = start_session(session, user)
    forgot(client, "boss@example.com")
    token = link_token(mail_outbox[-1])
    resp = reset(client, token)
    assert resp.status_code == 200, resp.text
    assert login(client, "boss@example.com", NEW_PASSWORD).status_code == 200
    assert_error(login(client, "boss@example.com"), 401)
    # The link is single-use.
    assert_error(reset(client, token, "yet-another-Pass-9"), 400, "invalid_link")
    # Sessions from before the reset are over.
    assert_error(client.get(f"{API}/users/me", headers=bearer(old.access_token)), 401)
    resp = client.post(f"{API}/auth/refresh", json={"refresh_token": old.refresh_token})
    assert_error(resp, 401, "invalid_refresh_token")
    assert user.email_verified_at is not None


def test_an_expired_reset_link_is_refused(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="boss@example.com")
    forgot(client, "boss@example.com")
    row = session.exec(select(EmailToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert_error(reset(client, link_token(mail_outbox[-1])), 400, "invalid_link")


def test_a_new_reset_link_kills_the_previous_one(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="boss@example.com")
    forgot(client, "boss@example.com")
    first = link_token(mail_outbox[-1])
    forgot(client, "boss@example.com")
    assert_error(reset(client, first), 400, "invalid_link")
    assert reset(client, link_token(mail_outbox[-1])).status_code == 200


def test_a_verification_link_cannot_reset_a_password(
    client: TestClient, mail_outbox: list[EmailMessage]
) -> None:
    register(client)
    assert_error(reset(client, link_token(mail_outbox[-1])), 400, "invalid_link")


def test_reset_refuses_weak_passwords_and_bad_payloads(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="boss@example.com")
    forgot(client, "boss@example.com")
    token = link_token(mail_outbox[-1])
    assert_error(reset(client, token, "weak"), 422, "invalid")
    assert_error(client.post(f"{API}/auth/password/reset", json={"token": token}), 422)
    # The refused attempts did not spend the link.
    assert reset(client, token).status_code == 200


def test_forgot_password_is_rate_limited(
    client: TestClient, mail_outbox: list[EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "EMAIL_LINK_LIMIT_PER_ADDRESS", "2/hour")
    assert forgot(client, "x@example.com").status_code == 202
    assert forgot(client, "x@example.com").status_code == 202
    assert_error(forgot(client, "x@example.com"), 429, "rate_limited")
    assert_error(client.post(f"{API}/auth/password/forgot", json={"email": "nope"}), 422)


def test_a_deactivated_account_gets_no_reset_link(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="gone@example.com", is_active=False)
    assert forgot(client, "gone@example.com").status_code == 202
    assert mail_outbox == []


# --- change password --------------------------------------------------------------------


def change(client: TestClient, headers: dict[str, str], current: str, new: str) -> Any:
    return client.post(
        f"{API}/auth/password/change",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


def test_change_password_ends_every_other_session(client: TestClient, session: Session) -> None:
    user = make_user(session, email="boss@example.com")
    mine = start_session(session, user)
    other = start_session(session, user)
    stateless = auth_headers(user)
    resp = change(client, bearer(mine.access_token), DEFAULT_PASSWORD, NEW_PASSWORD)
    assert resp.status_code == 200, resp.text
    fresh = resp.json()
    # This device continues with the new pair.
    assert client.get(f"{API}/users/me", headers=bearer(fresh["access_token"])).status_code == 200
    refreshed = client.post(f"{API}/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert refreshed.status_code == 200
    # Every session from before is over: access and refresh tokens.
    for old in (mine, other):
        assert_error(client.get(f"{API}/users/me", headers=bearer(old.access_token)), 401)
        resp = client.post(f"{API}/auth/refresh", json={"refresh_token": old.refresh_token})
        assert_error(resp, 401)
    assert_error(client.get(f"{API}/users/me", headers=stateless), 401)
    assert login(client, "boss@example.com", NEW_PASSWORD).status_code == 200


def test_change_password_needs_the_current_one(client: TestClient, session: Session) -> None:
    user = make_user(session)
    resp = change(client, auth_headers(user), "not-the-password-1", NEW_PASSWORD)
    assert_error(resp, 400, "wrong_password")
    resp = change(client, auth_headers(user), DEFAULT_PASSWORD, DEFAULT_PASSWORD)
    body = assert_error(resp, 422, "password_unchanged")
    assert body["detail"][0]["loc"] == ["body", "new_password"]


def test_change_password_errors(client: TestClient, session: Session) -> None:
    assert_error(change(client, {}, DEFAULT_PASSWORD, NEW_PASSWORD), 401, "not_authenticated")
    user = make_user(session)
    assert_error(change(client, auth_headers(user), DEFAULT_PASSWORD, "weak"), 422, "invalid")
    consumer = make_consumer(session)
    resp = change(client, auth_headers(consumer), "whatever-it-is-1", NEW_PASSWORD)
    assert_error(resp, 409, "no_password")


def test_wrong_current_passwords_are_rate_limited(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "2/15minutes")
    user = make_user(session)
    headers = auth_headers(user)
    for _ in range(2):
        assert_error(change(client, headers, "not-the-password-1", NEW_PASSWORD), 400)
    assert_error(change(client, headers, DEFAULT_PASSWORD, NEW_PASSWORD), 429, "rate_limited")
    assert refresh_rows(session, user) == []
