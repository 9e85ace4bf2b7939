"""The signed-in user's own account: /users/me."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import settings
from app.models import VenueMembership, VenueRole
from app.models.auth import OtpCode
from app.providers.email import EmailMessage
from app.providers.sms import SmsMessage
from tests.factories import (
    DEFAULT_PASSWORD,
    add_member,
    auth_headers,
    make_consumer,
    make_user,
    make_venue,
)
from tests.factories.identity import (
    API,
    bearer,
    last_code,
    login,
    request_code,
    start_session,
)
from tests.utils import assert_error

ME = f"{API}/users/me"
PHONE = "+919876543210"


def test_read_me(client: TestClient, session: Session) -> None:
    user = make_user(session, email="me@example.com", full_name="Me")
    resp = client.get(ME, headers=auth_headers(user))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == str(user.id)
    assert body["email"] == "me@example.com"
    assert body["is_superuser"] is False
    assert "password_hash" not in body
    assert_error(client.get(ME), 401, "not_authenticated")


def test_update_me_changes_only_what_is_sent(client: TestClient, session: Session) -> None:
    user = make_consumer(session, full_name="Old Name")
    resp = client.patch(
        ME,
        headers=auth_headers(user),
        json={
            "date_of_birth": "1998-05-04",
            "gender": "non_binary",
            "avatar_url": "https://cdn.example.com/a.png",
            "preferences": {"music": ["techno"], "veg": True},
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["full_name"] == "Old Name"
    assert body["date_of_birth"] == "1998-05-04"
    assert body["gender"] == "non_binary"
    assert body["avatar_url"] == "https://cdn.example.com/a.png"
    assert body["preferences"] == {"music": ["techno"], "veg": True}
    resp = client.patch(
        ME, headers=auth_headers(user), json={"avatar_url": None, "preferences": None}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["avatar_url"] is None
    assert resp.json()["preferences"] == {}
    assert resp.json()["gender"] == "non_binary"


@pytest.mark.parametrize(
    "payload",
    [
        {"gender": "other"},
        {"date_of_birth": (date.today() + timedelta(days=1)).isoformat()},
        {"date_of_birth": "1850-01-01"},
        {"avatar_url": "not a url"},
        {"avatar_url": "https://cdn.example.com/" + "a" * 2048},
        {"full_name": ""},
        {"email": "x@example.com"},
        {"is_superuser": True},
        {"preferences": {"blob": "x" * 9000}},
    ],
)
def test_update_me_rejects_bad_payloads(
    client: TestClient, session: Session, payload: dict[str, object]
) -> None:
    user = make_consumer(session)
    assert_error(client.patch(ME, headers=auth_headers(user), json=payload), 422, "invalid")
    assert user.is_superuser is False


def test_update_me_needs_a_user(client: TestClient) -> None:
    assert_error(client.patch(ME, json={"full_name": "x"}), 401)


def test_delete_me_anonymises_and_signs_out(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    user = make_user(session, email="me@example.com", phone=PHONE, full_name="Priya")
    user.preferences = {"music": "jazz"}
    venue = make_venue(session, owner=make_user(session))
    add_member(session, venue=venue, user=user, role=VenueRole.STAFF)
    pair = start_session(session, user)
    resp = client.delete(ME, headers=bearer(pair.access_token))
    assert resp.status_code == 204, resp.text
    session.refresh(user)
    assert user.deleted_at is not None
    assert user.is_active is False
    assert (user.email, user.phone, user.full_name, user.password_hash) == (None,) * 4
    assert user.preferences == {}
    # The row stays (orders and payments keep their buyer); the memberships go.
    memberships = session.exec(
        select(VenueMembership).where(VenueMembership.user_id == user.id)
    ).all()
    assert memberships == []
    # Signed out everywhere, and the credentials are gone.
    assert_error(client.get(ME, headers=bearer(pair.access_token)), 401)
    assert_error(
        client.post(f"{API}/auth/refresh", json={"refresh_token": pair.refresh_token}), 401
    )
    assert_error(login(client, "me@example.com"), 401)
    # The number is free again: signing in with it makes a new account.
    request_code(client, PHONE)
    resp = client.post(
        f"{API}/auth/otp/verify", json={"phone": PHONE, "code": last_code(sms_outbox, PHONE)}
    )
    assert resp.json()["new_user"] is True


def test_the_only_owner_of_a_venue_cannot_delete_the_account(
    client: TestClient, session: Session
) -> None:
    owner = make_user(session)
    make_venue(session, owner=owner)
    assert_error(client.delete(ME, headers=auth_headers(owner)), 409, "sole_venue_owner")
    assert owner.deleted_at is None
    # With a second owner it works.
    [venue_id] = session.exec(
        select(VenueMembership.venue_id).where(VenueMembership.user_id == owner.id)
    ).all()
    session.add(
        VenueMembership(venue_id=venue_id, user_id=make_user(session).id, role=VenueRole.OWNER)
    )
    session.flush()
    assert client.delete(ME, headers=auth_headers(owner)).status_code == 204


def test_delete_me_needs_a_user(client: TestClient) -> None:
    assert_error(client.delete(ME), 401)


# --- attach email and password to a phone account ---------------------------------------


def attach_email(client: TestClient, headers: dict[str, str], **payload: object) -> Any:
    body = {"email": "Biz@Example.com", "password": "a-long-Passphrase-42", **payload}
    return client.post(f"{ME}/email", headers=headers, json=body)


def test_a_phone_account_adds_email_and_password(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    consumer = make_consumer(session)
    resp = attach_email(client, auth_headers(consumer))
    assert resp.status_code == 200, resp.text
    assert resp.json()["email"] == "biz@example.com"
    assert resp.json()["has_password"] is True
    assert resp.json()["email_verified_at"] is None
    assert mail_outbox[-1].to == "biz@example.com"
    # Both ways of signing in now lead to the same account.
    tokens = login(client, "biz@example.com", "a-long-Passphrase-42").json()
    me = client.get(ME, headers=bearer(tokens["access_token"])).json()
    assert me["id"] == str(consumer.id)
    assert me["phone"] == consumer.phone


def test_attach_email_conflicts(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    make_user(session, email="biz@example.com")
    consumer = make_consumer(session)
    assert_error(attach_email(client, auth_headers(consumer)), 409, "email_taken")
    has_email = make_user(session)
    resp = attach_email(client, auth_headers(has_email), email="new@example.com")
    assert_error(resp, 409, "email_already_set")


def test_attach_email_validation(client: TestClient, session: Session) -> None:
    consumer = make_consumer(session)
    headers = auth_headers(consumer)
    assert_error(attach_email(client, headers, password="weak"), 422, "invalid")
    assert_error(attach_email(client, headers, email="nope"), 422, "invalid")
    assert_error(attach_email(client, {}), 401)


# --- attach a phone (by code) to an email account ---------------------------------------


def test_an_email_account_adds_a_phone_by_code(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    user = make_user(session)
    headers = auth_headers(user)
    resp = client.post(f"{ME}/phone/code", headers=headers, json={"phone": "98765 43210"})
    assert resp.status_code == 202, resp.text
    code = last_code(sms_outbox, PHONE)
    resp = client.post(f"{ME}/phone", headers=headers, json={"phone": PHONE, "code": code})
    assert resp.status_code == 200, resp.text
    assert resp.json()["phone"] == PHONE
    assert resp.json()["phone_verified_at"] is not None
    # Signing in by code now reaches the same account.
    request_code(client, PHONE)
    resp = client.post(
        f"{API}/auth/otp/verify", json={"phone": PHONE, "code": last_code(sms_outbox, PHONE)}
    )
    me = client.get(ME, headers=bearer(resp.json()["access_token"])).json()
    assert me["id"] == str(user.id)


def test_attach_phone_wrong_code_is_counted(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    user = make_user(session)
    headers = auth_headers(user)
    client.post(f"{ME}/phone/code", headers=headers, json={"phone": PHONE})
    code = last_code(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    resp = client.post(f"{ME}/phone", headers=headers, json={"phone": PHONE, "code": wrong})
    assert_error(resp, 400, "invalid_code")
    session.rollback()
    row = session.exec(select(OtpCode).where(OtpCode.phone == PHONE)).one()
    assert row.attempts == 1


def test_a_sign_in_code_cannot_attach_a_phone(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    user = make_user(session)
    request_code(client, PHONE)  # someone asks a sign-in code for this number
    code = last_code(sms_outbox, PHONE)
    resp = client.post(
        f"{ME}/phone", headers=auth_headers(user), json={"phone": PHONE, "code": code}
    )
    assert_error(resp, 400, "code_expired")
    # And another account's attach code is not mine either.
    other = make_user(session)
    client.post(f"{ME}/phone/code", headers=auth_headers(other), json={"phone": PHONE})
    resp = client.post(
        f"{ME}/phone",
        headers=auth_headers(user),
        json={"phone": PHONE, "code": last_code(sms_outbox, PHONE)},
    )
    assert_error(resp, 400, "code_expired")


def test_attach_phone_conflicts(client: TestClient, session: Session) -> None:
    make_consumer(session, phone=PHONE)
    user = make_user(session)
    resp = client.post(f"{ME}/phone/code", headers=auth_headers(user), json={"phone": PHONE})
    assert_error(resp, 409, "phone_taken")
    resp = client.post(
        f"{ME}/phone", headers=auth_headers(user), json={"phone": PHONE, "code": "123456"}
    )
    assert_error(resp, 409, "phone_taken")
    has_phone = make_consumer(session)
    resp = client.post(
        f"{ME}/phone/code", headers=auth_headers(has_phone), json={"phone": "+919876543219"}
    )
    assert_error(resp, 409, "phone_already_set")


def test_attach_codes_of_two_accounts_for_one_number_do_not_cancel_each_other(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    first, second = make_user(session), make_user(session)
    client.post(f"{ME}/phone/code", headers=auth_headers(first), json={"phone": PHONE})
    first_code = last_code(sms_outbox, PHONE)
    client.post(f"{ME}/phone/code", headers=auth_headers(second), json={"phone": PHONE})
    resp = client.post(
        f"{ME}/phone", headers=auth_headers(first), json={"phone": PHONE, "code": first_code}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["phone"] == PHONE


def test_adding_a_phone_or_email_is_limited_before_anything_is_looked_up(
    client: TestClient,
    session: Session,
    sms_outbox: list[SmsMessage],
    mail_outbox: list[EmailMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each answer says whether a number or an address has an account: the count runs
    # before the look-up, so nobody can sweep numbers through it.
    monkeypatch.setattr(settings, "ATTACH_LIMIT_PER_USER", "3/hour")
    make_consumer(session, phone=PHONE)
    make_user(session, email="taken@example.com")
    prober = make_user(session)
    headers = auth_headers(prober)
    taken = client.post(f"{ME}/phone/code", headers=headers, json={"phone": PHONE})
    assert_error(taken, 409, "phone_taken")
    free = client.post(f"{ME}/phone/code", headers=headers, json={"phone": "+919876543211"})
    assert free.status_code == 202, free.text
    resp = client.post(f"{ME}/phone", headers=headers, json={"phone": PHONE, "code": "123456"})
    assert_error(resp, 409, "phone_taken")
    for attempt in (
        client.post(f"{ME}/phone/code", headers=headers, json={"phone": "+919876543212"}),
        client.post(f"{ME}/phone", headers=headers, json={"phone": PHONE, "code": "123456"}),
    ):
        assert_error(attempt, 429, "rate_limited")
        assert int(attempt.headers["Retry-After"]) >= 1
    # Per account: another signed-in user is not affected, and a phone account adding
    # an email is counted the same way.
    consumer = make_consumer(session)
    consumer_headers = auth_headers(consumer)
    for _ in range(3):
        taken = attach_email(client, consumer_headers, email="taken@example.com")
        assert_error(taken, 409, "email_taken")
    assert_error(attach_email(client, consumer_headers, email="free@example.com"), 429)
    assert mail_outbox == []


def test_attach_email_is_limited_per_client_address(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ATTACH_LIMIT_PER_IP", "1/hour")
    make_user(session, email="taken@example.com")
    first, second = make_consumer(session), make_consumer(session)
    taken = attach_email(client, auth_headers(first), email="taken@example.com")
    assert_error(taken, 409, "email_taken")
    assert_error(attach_email(client, auth_headers(second)), 429, "rate_limited")


def test_attach_phone_validation_and_auth(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = auth_headers(user)
    assert_error(client.post(f"{ME}/phone/code", headers=headers, json={"phone": "1"}), 422)
    resp = client.post(f"{ME}/phone", headers=headers, json={"phone": PHONE, "code": "abc"})
    assert_error(resp, 422)
    assert_error(client.post(f"{ME}/phone/code", json={"phone": PHONE}), 401)
    assert_error(client.post(f"{ME}/phone", json={"phone": PHONE, "code": "123456"}), 401)


def test_attach_phone_codes_are_rate_limited(
    client: TestClient,
    session: Session,
    sms_outbox: list[SmsMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "OTP_REQUEST_LIMIT_PER_IP", "1/hour")
    user = make_user(session)
    headers = auth_headers(user)
    assert (
        client.post(f"{ME}/phone/code", headers=headers, json={"phone": PHONE}).status_code == 202
    )
    resp = client.post(f"{ME}/phone/code", headers=headers, json={"phone": "+919876543211"})
    assert_error(resp, 429, "rate_limited")


def test_the_seeded_password_is_the_factory_default(session: Session) -> None:
    # Guard for the tests above that log in with DEFAULT_PASSWORD.
    from app.core.security import verify_password

    user = make_user(session)
    assert verify_password(DEFAULT_PASSWORD, user.password_hash)


@pytest.mark.parametrize(
    "body",
    [
        {"full_name": "Asha\u0000"},
        {"preferences": {"theme": "dark\u0000"}},
        {"preferences": {"bad\u0000key": 1}},
    ],
)
def test_values_the_database_cannot_store_are_422_and_change_nothing(
    client: TestClient, session: Session, body: dict[str, Any]
) -> None:
    user = make_consumer(session, full_name="Asha")
    session.commit()  # a savepoint of the test's transaction: the failed request's
    response = client.patch("/api/v1/users/me", json=body, headers=auth_headers(user))
    assert_error(response, 422, "invalid")
    session.rollback()  # rollback (as its own session's would) returns to it
    session.refresh(user)
    assert user.full_name == "Asha"
    assert user.preferences == {}
