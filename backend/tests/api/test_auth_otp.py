"""Consumer sign-in by one-time code: POST /auth/otp/request and /auth/otp/verify."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import settings
from app.core.db import db_slots
from app.core.security import hash_token
from app.crud import user as user_crud
from app.models.base import utcnow
from app.providers.sms import SmsMessage
from tests.factories import make_consumer
from tests.factories.identity import (
    API,
    age_code,
    bearer,
    last_code,
    otp_rows,
    request_code,
)
from tests.fakes.sms_gateway import FakeSmsGateway
from tests.utils import assert_error

PHONE = "+919876543210"


def verify(client: TestClient, code: str, phone: str = PHONE) -> Any:
    return client.post(f"{API}/auth/otp/verify", json={"phone": phone, "code": code})


def test_request_sends_six_digits_and_stores_only_a_digest(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    resp = request_code(client, PHONE)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["phone"] == PHONE
    assert body["expires_in"] == 300
    assert body["resend_after"] == 30
    code = last_code(sms_outbox, PHONE)
    assert len(code) == 6
    assert code.isdigit()
    assert code in sms_outbox[-1].text
    [row] = otp_rows(session, PHONE)
    assert row.code_hash not in (code, hash_token(code))
    assert code not in row.code_hash
    assert row.attempts == 0
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_request_normalises_the_phone_number(
    client: TestClient, sms_outbox: list[SmsMessage]
) -> None:
    resp = request_code(client, "98765 43210")
    assert resp.status_code == 202, resp.text
    assert resp.json()["phone"] == PHONE
    assert sms_outbox[-1].to == PHONE


@pytest.mark.parametrize(
    "payload",
    [{"phone": "12"}, {"phone": "not a phone"}, {}, {"phone": PHONE, "extra": 1}, {"phone": ""}],
)
def test_request_rejects_bad_payloads(
    client: TestClient, sms_outbox: list[SmsMessage], payload: dict[str, object]
) -> None:
    assert_error(client.post(f"{API}/auth/otp/request", json=payload), 422, "invalid")
    assert sms_outbox == []


def test_resend_waits_30_seconds_then_kills_the_older_code(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    assert request_code(client, PHONE).status_code == 202
    first = last_code(sms_outbox, PHONE)
    resp = request_code(client, PHONE)
    assert_error(resp, 429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 30
    assert len(sms_outbox) == 1

    age_code(session, otp_rows(session, PHONE)[0], seconds=31)
    assert request_code(client, PHONE).status_code == 202
    second = last_code(sms_outbox, PHONE)
    if first != second:  # the older code no longer works
        assert_error(verify(client, first), 400, "invalid_code")
    resp = verify(client, second)
    assert resp.status_code == 200, resp.text


def test_requests_are_limited_per_phone(
    client: TestClient,
    session: Session,
    sms_outbox: list[SmsMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "OTP_REQUEST_LIMIT_PER_PHONE", "2/hour")
    for _ in range(2):
        assert request_code(client, PHONE).status_code == 202
        age_code(session, otp_rows(session, PHONE)[0], seconds=31)
    resp = request_code(client, PHONE)
    body = assert_error(resp, 429, "rate_limited")
    assert "this number" in body["detail"]
    assert int(resp.headers["Retry-After"]) > 60
    assert len(sms_outbox) == 2
    # Another number from the same client is still fine.
    assert request_code(client, "+919876543211").status_code == 202


def test_requests_are_limited_per_client_address(
    client: TestClient, sms_outbox: list[SmsMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "OTP_REQUEST_LIMIT_PER_IP", "3/hour")
    for n in range(3):
        assert request_code(client, f"+91987654320{n}").status_code == 202
    resp = request_code(client, "+919876543209")
    body = assert_error(resp, 429, "rate_limited")
    assert "network" in body["detail"]
    assert "Retry-After" in resp.headers


def test_first_verification_creates_the_account_and_signs_in(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    request_code(client, PHONE)
    resp = verify(client, last_code(sms_outbox, PHONE))
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["new_user"] is True
    assert tokens["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    me = client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["phone"] == PHONE
    assert me.json()["phone_verified_at"] is not None
    assert me.json()["has_password"] is False
    user = user_crud.get_by_phone(session, phone=PHONE)
    assert user is not None


def test_verification_signs_in_an_existing_consumer(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    consumer = make_consumer(session, phone=PHONE)
    request_code(client, PHONE)
    resp = verify(client, last_code(sms_outbox, PHONE))
    assert resp.status_code == 200, resp.text
    assert resp.json()["new_user"] is False
    me = client.get(f"{API}/users/me", headers=bearer(resp.json()["access_token"]))
    assert me.json()["id"] == str(consumer.id)


def test_a_code_works_only_once(client: TestClient, sms_outbox: list[SmsMessage]) -> None:
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    assert verify(client, code).status_code == 200
    assert_error(verify(client, code), 400, "code_expired")


def test_a_wrong_try_is_kept_although_the_answer_is_an_error(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    body = assert_error(verify(client, wrong), 400, "invalid_code")
    assert "4 tries left" in body["detail"]
    # Whatever was not committed by the route would vanish here.
    session.rollback()
    assert otp_rows(session, PHONE)[0].attempts == 1


def test_five_wrong_tries_kill_the_code(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:5]
    for n, attempt in enumerate(wrong, start=1):
        body = assert_error(verify(client, attempt), 400, "invalid_code")
        if n == 5:
            assert "no tries left" in body["detail"]
    # Even the right code is refused now: brute force gets 5 guesses in a million.
    assert_error(verify(client, code), 400, "otp_try_limit")
    assert otp_rows(session, PHONE)[0].attempts == 5


def test_an_expired_code_is_refused(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    row = otp_rows(session, PHONE)[0]
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert_error(verify(client, code), 400, "code_expired")
    assert user_crud.get_by_phone(session, phone=PHONE) is None


def test_a_code_just_before_expiry_still_works(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    age_code(session, otp_rows(session, PHONE)[0], seconds=290)
    assert verify(client, code).status_code == 200


def test_verify_without_a_code_asked_for(client: TestClient) -> None:
    assert_error(verify(client, "123456"), 400, "code_expired")


def test_a_code_is_bound_to_its_phone(client: TestClient, sms_outbox: list[SmsMessage]) -> None:
    request_code(client, PHONE)
    request_code(client, "+919876543211")
    code = last_code(sms_outbox, PHONE)
    other = last_code(sms_outbox, "+919876543211")
    if code != other:
        assert_error(verify(client, code, phone="+919876543211"), 400, "invalid_code")


@pytest.mark.parametrize(
    "payload",
    [
        {"phone": PHONE, "code": "12ab56"},
        {"phone": PHONE, "code": ""},
        {"phone": PHONE},
        {"phone": "12", "code": "123456"},
        {"phone": PHONE, "code": "123456", "extra": True},
    ],
)
def test_verify_rejects_bad_payloads(client: TestClient, payload: dict[str, object]) -> None:
    assert_error(client.post(f"{API}/auth/otp/verify", json=payload), 422, "invalid")


def test_verification_is_limited_per_client_address(
    client: TestClient, sms_outbox: list[SmsMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "OTP_VERIFY_LIMIT_PER_IP", "3/hour")
    for n in range(3):
        assert_error(verify(client, "123456", phone=f"+91987654320{n}"), 400, "code_expired")
    resp = verify(client, "123456", phone="+919876543209")
    assert_error(resp, 429, "rate_limited")
    assert "Retry-After" in resp.headers


def test_verification_is_limited_per_phone(
    client: TestClient, sms_outbox: list[SmsMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "OTP_VERIFY_LIMIT_PER_PHONE", "2/hour")
    request_code(client, PHONE)
    code = last_code(sms_outbox, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    assert_error(verify(client, wrong), 400, "invalid_code")
    assert_error(verify(client, wrong), 400, "invalid_code")
    assert_error(verify(client, code), 429, "rate_limited")


def test_a_deactivated_consumer_cannot_sign_in(
    client: TestClient, session: Session, sms_outbox: list[SmsMessage]
) -> None:
    make_consumer(session, phone=PHONE, is_active=False)
    request_code(client, PHONE)
    assert_error(verify(client, last_code(sms_outbox, PHONE)), 403, "account_disabled")


def test_gateway_failure_is_a_503_and_nothing_is_stored(
    client: TestClient, session: Session, sms_gateway: FakeSmsGateway
) -> None:
    sms_gateway.mode = "refuse"
    resp = request_code(client, PHONE)
    assert_error(resp, 503, "sms_unavailable")
    assert len(sms_gateway.requests) == 1
    assert otp_rows(session, PHONE) == []
    # Nothing counts as sent, so there is no resend wait either.
    sms_gateway.mode = "ok"
    assert request_code(client, PHONE).status_code == 202
    assert len(otp_rows(session, PHONE)) == 1


def test_sign_in_through_the_http_gateway(
    client: TestClient, session: Session, sms_gateway: FakeSmsGateway
) -> None:
    assert request_code(client, PHONE).status_code == 202
    [sent] = sms_gateway.requests
    code = sent.body["recipients"][0]["otp"]
    assert sent.body["recipients"][0]["mobiles"] == PHONE.lstrip("+")
    assert verify(client, code).status_code == 200


def test_a_slow_gateway_holds_no_database_slot(
    client: TestClient, session: Session, sms_gateway: FakeSmsGateway
) -> None:
    sms_gateway.release = threading.Event()
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(request_code(client, PHONE)))
    asking.start()
    try:
        assert sms_gateway.arrived.wait(30)
        # While the gateway thinks, the code is stored and the request holds no slot
        # (nor a session, a transaction or the phone's lock).
        assert db_slots.limiter.borrowed_tokens == 0
        assert len(otp_rows(session, PHONE)) == 1
    finally:
        sms_gateway.release.set()
        asking.join(30)
    [answer] = answers
    assert answer.status_code == 202, answer.text


def test_a_code_that_could_not_be_sent_leaves_the_previous_one_working(
    client: TestClient, session: Session, sms_gateway: FakeSmsGateway
) -> None:
    assert request_code(client, PHONE).status_code == 202
    [first] = otp_rows(session, PHONE)
    age_code(session, first, seconds=60)  # past the resend wait
    sms_gateway.mode = "crash"
    assert_error(request_code(client, PHONE), 503, "sms_unavailable")
    assert otp_rows(session, PHONE) == [first]
    code = sms_gateway.requests[0].body["recipients"][0]["otp"]
    assert verify(client, code).status_code == 200
