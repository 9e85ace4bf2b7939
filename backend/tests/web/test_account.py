"""The pages emailed links open (until the staff dashboard exists): each page renders,
and a link taken from a sent email completes its flow."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core import links
from app.core.config import settings
from app.core.security import TokenType, encode_token
from app.models import User, VenueRole
from app.providers.email import EmailMessage
from tests.factories import auth_headers, make_user, make_venue
from tests.factories.core import DEFAULT_PASSWORD
from tests.factories.identity import login

API = "/api/v1"
NEW_PASSWORD = "a-new-Passphrase-42"


def _link(message: EmailMessage) -> str:
    """The emailed link, as it appears in the email, made relative to this app."""
    link = str(message.meta["link"])
    assert link in message.html
    assert link in message.text
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    assert link.startswith(f"{base}/account/"), link
    return link.removeprefix(base)


def _token(path: str) -> str:
    return parse_qs(urlsplit(path).query)["token"][0]


def _hidden_token(html: str) -> str:
    match = re.search(r'<input type="hidden" name="token" value="([^"]+)">', html)
    assert match, html
    return match.group(1)


def _assert_safe_page(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    html = response.text
    assert "<script" not in html
    assert not re.search(r"""(src|action)=["']?https?:""", html)


# Emailed links


def test_every_emailed_link_is_built_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FRONTEND_HOST", None)
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    assert links.emailed_link(links.EmailedPage.VERIFY_EMAIL, "a b") == (
        f"{base}/account/verify-email?token=a+b"
    )
    # Once the dashboard exists, its pages.
    monkeypatch.setattr(settings, "FRONTEND_HOST", "https://staff.socia.app/")
    assert links.emailed_link(links.EmailedPage.RESET_PASSWORD, "t") == (
        "https://staff.socia.app/reset-password?token=t"
    )
    assert links.emailed_link(links.EmailedPage.VENUE_INVITE, "t") == (
        "https://staff.socia.app/invites/accept?token=t"
    )


# Confirming an email address


def test_a_verification_link_from_the_email_confirms_the_address(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    response = client.post(
        f"{API}/auth/register",
        json={"email": "new@example.com", "password": NEW_PASSWORD, "full_name": "New Owner"},
    )
    assert response.status_code == 202, response.text
    [message] = mail_outbox
    path = _link(message)
    # Opening the link shows a button and uses nothing up.
    for _ in range(2):
        opened = client.get(path)
        assert opened.status_code == 200, opened.text
        _assert_safe_page(opened)
        assert "Confirm my email" in opened.text
    user = session.exec(select(User).where(User.email == "new@example.com")).one()
    assert user.email_verified_at is None
    done = client.post("/account/verify-email", data={"token": _hidden_token(opened.text)})
    assert done.status_code == 200, done.text
    _assert_safe_page(done)
    assert "new@example.com is confirmed" in done.text
    session.refresh(user)
    assert user.email_verified_at is not None
    # Single use.
    again = client.post("/account/verify-email", data={"token": _token(path)})
    assert again.status_code == 400
    assert "doesn't work" in again.text


@pytest.mark.parametrize("query", ["", "?token=", "?token=garbage"])
def test_a_broken_verification_link_says_so(client: TestClient, query: str) -> None:
    response = client.get(f"/account/verify-email{query}")
    assert response.status_code == 400
    _assert_safe_page(response)
    assert "doesn't work" in response.text
    assert client.post("/account/verify-email", data={}).status_code == 400


def test_a_reset_link_is_not_a_verification_link(client: TestClient, session: Session) -> None:
    user = make_user(session)
    reset = encode_token(user.id, TokenType.PASSWORD_RESET, timedelta(minutes=5)).token
    assert client.get("/account/verify-email", params={"token": reset}).status_code == 400
    assert client.post("/account/verify-email", data={"token": reset}).status_code == 400


# Choosing a new password


def _forgot(client: TestClient, mail_outbox: list[EmailMessage], user: User) -> str:
    response = client.post(f"{API}/auth/password/forgot", json={"email": user.email})
    assert response.status_code == 202, response.text
    [message] = [m for m in mail_outbox if m.to == user.email]
    return _link(message)


def test_a_reset_link_from_the_email_sets_a_new_password(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    user = make_user(session, email="owner@example.com")
    path = _forgot(client, mail_outbox, user)
    opened = client.get(path)
    assert opened.status_code == 200, opened.text
    _assert_safe_page(opened)
    assert 'autocomplete="new-password"' in opened.text
    token = _hidden_token(opened.text)

    done = client.post(
        "/account/reset-password",
        data={"token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert done.status_code == 200, done.text
    _assert_safe_page(done)
    assert "Password changed" in done.text
    assert NEW_PASSWORD not in done.text
    assert login(client, "owner@example.com", NEW_PASSWORD).status_code == 200
    assert login(client, "owner@example.com", DEFAULT_PASSWORD).status_code == 401
    # Single use.
    again = client.post(
        "/account/reset-password",
        data={
            "token": token,
            "new_password": NEW_PASSWORD + "x",
            "confirm_password": NEW_PASSWORD + "x",
        },
    )
    assert again.status_code == 400
    assert "doesn't work" in again.text


@pytest.mark.parametrize(
    ("new", "confirm", "shown"),
    [
        ("short-1", "short-1", "at least 10 characters"),
        ("changethis", "changethis", "at least one digit or symbol"),
        ("abcdefghij1", "abcdefghij1", None),  # fine: only the mismatch below matters
        (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same"),
        ("", "", "at least 10 characters"),
    ],
)
def test_the_reset_page_shows_what_is_wrong_with_the_new_password(
    client: TestClient,
    session: Session,
    mail_outbox: list[EmailMessage],
    new: str,
    confirm: str,
    shown: str | None,
) -> None:
    user = make_user(session)
    token = _token(_forgot(client, mail_outbox, user))
    response = client.post(
        "/account/reset-password",
        data={"token": token, "new_password": new, "confirm_password": confirm},
    )
    if shown is None:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    _assert_safe_page(response)
    assert shown in response.text
    assert 'class="errors"' in response.text
    if new:
        assert new not in response.text  # never echoed
    # The form is shown again with the same link, which still works.
    assert _hidden_token(response.text) == token
    fixed = client.post(
        "/account/reset-password",
        data={"token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert fixed.status_code == 200, fixed.text


def test_an_expired_or_foreign_reset_link_says_so_before_asking_anything(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    expired = encode_token(user.id, TokenType.PASSWORD_RESET, timedelta(seconds=-5)).token
    verification = encode_token(user.id, TokenType.EMAIL_VERIFICATION, timedelta(hours=1)).token
    for token in (expired, verification, "garbage", ""):
        opened = client.get("/account/reset-password", params={"token": token})
        assert opened.status_code == 400
        assert "doesn't work" in opened.text
        posted = client.post(
            "/account/reset-password",
            data={"token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        )
        assert posted.status_code == 400
    assert login(client, str(user.email), DEFAULT_PASSWORD).status_code == 200


# Invitations


def test_an_invitation_link_from_the_email_leads_to_accepting_it(
    client: TestClient, session: Session, mail_outbox: list[EmailMessage]
) -> None:
    owner = make_user(session)
    venue = make_venue(session, owner=owner, name="Toit & Co")
    invitee = make_user(session, email="bartender@example.com")
    response = client.post(
        f"{API}/venues/{venue.id}/invites",
        json={"email": "bartender@example.com", "role": "staff"},
        headers=auth_headers(owner),
    )
    assert response.status_code == 201, response.text
    [message] = [m for m in mail_outbox if m.to == "bartender@example.com"]
    path = _link(message)
    opened = client.get(path)
    assert opened.status_code == 200, opened.text
    _assert_safe_page(opened)
    html = opened.text
    assert "Toit &amp; Co" in html
    assert "<strong>staff</strong>" in html
    assert "bartender@example.com" in html
    code = re.search(r"<code>([A-Za-z0-9_-]{20,})</code>", html)
    assert code
    assert code.group(1) == _token(path)
    # Signed in with the invited address, the person accepts with the code shown.
    accepted = client.post(
        f"{API}/invites/accept", json={"token": code.group(1)}, headers=auth_headers(invitee)
    )
    assert accepted.status_code in {200, 201}, accepted.text
    assert accepted.json()["role"] == VenueRole.STAFF.value
    after = client.get(path)
    assert after.status_code == 200
    assert "already been accepted" in after.text


@pytest.mark.parametrize("query", ["", "?token=nope"])
def test_an_unknown_invitation_says_so(client: TestClient, query: str) -> None:
    response = client.get(f"/account/invitation{query}")
    assert response.status_code == 400
    assert "doesn't work" in response.text


def test_the_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/account")]
