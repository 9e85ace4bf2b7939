"""Identity helpers for tests: outboxes for SMS and email, sessions, codes, links.

The fixtures (`sms_outbox`, `mail_outbox`, `sms_gateway`) are registered for every
test by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.security import TokenType, encode_token
from app.models import User
from app.models.auth import OtpCode, RefreshToken
from app.providers import email as email_provider
from app.providers import sms
from app.schema.auth import TokenPair
from app.services import auth as auth_service
from tests.factories.core import DEFAULT_PASSWORD
from tests.fakes.sms_gateway import FakeSmsGateway

API = "/api/v1"


@pytest.fixture
def sms_outbox() -> Iterator[list[sms.SmsMessage]]:
    provider = sms.ConsoleSms()
    sms.set_provider(provider)
    yield provider.outbox
    sms.set_provider(None)


class MailOutbox(list[email_provider.EmailMessage]):
    """The emails sent so far. Emails are jobs: reading the outbox first runs the jobs
    queued in the test's transaction (`tests.factories.jobs.run_jobs`), as a worker
    would once the transaction commits."""

    def __init__(self, session: Session, backend: email_provider.ConsoleBackend) -> None:
        super().__init__()
        self._session = session
        self._backend = backend

    def _sync(self) -> None:
        from tests.factories.jobs import run_jobs

        run_jobs(self._session)
        new = self._backend.outbox[super().__len__() :]
        super().extend(new)

    def __len__(self) -> int:
        self._sync()
        return super().__len__()

    def __iter__(self) -> Iterator[email_provider.EmailMessage]:
        self._sync()
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        self._sync()
        return super().__getitem__(index)

    def __eq__(self, other: object) -> bool:
        self._sync()
        return super().__eq__(other)

    __hash__ = None

    def __repr__(self) -> str:
        self._sync()
        return super().__repr__()


@pytest.fixture
def mail_outbox(session: Session) -> Iterator[list[email_provider.EmailMessage]]:
    backend = email_provider.ConsoleBackend()
    email_provider.set_backend(backend)
    yield MailOutbox(session, backend)
    email_provider.set_backend(None)


@pytest.fixture
def smtp_down() -> Iterator[None]:
    """The SMTP backend pointed at a loopback port where nothing listens."""
    import socket

    from app.core.config import settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = settings.model_copy(update={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})
    email_provider.set_backend(email_provider.SMTPBackend(down))
    yield
    email_provider.set_backend(None)


@pytest.fixture
def sms_gateway() -> Iterator[FakeSmsGateway]:
    """A fake MSG91 gateway on loopback, wired in as the SMS provider."""
    with FakeSmsGateway() as gateway:
        sms.set_provider(
            sms.Msg91Sms(
                url=gateway.url,
                auth_key=FakeSmsGateway.AUTH_KEY,
                template_id="tmpl-1",
                sender_id="SOCIAA",
                timeout=5,
            )
        )
        yield gateway
        sms.set_provider(None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_session(session: Session, user: User) -> TokenPair:
    """A real session (refresh family) for the user, as a sign-in makes."""
    return auth_service.issue_tokens(session, user=user)


def login(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", data={"username": email, "password": password})


def request_code(client: TestClient, phone: str) -> Any:
    return client.post(f"{API}/auth/otp/request", json={"phone": phone})


def last_code(outbox: list[sms.SmsMessage], phone: str) -> str:
    return next(m.code for m in reversed(outbox) if m.to == phone)


def otp_rows(session: Session, phone: str) -> list[OtpCode]:
    return list(
        session.exec(
            select(OtpCode)
            .where(OtpCode.phone == phone)
            .order_by(col(OtpCode.created_at).desc())
            .execution_options(populate_existing=True)
        ).all()
    )


def age_code(session: Session, code: OtpCode, *, seconds: int) -> None:
    """Move a code back in time (instead of sleeping)."""
    code.created_at -= timedelta(seconds=seconds)
    code.expires_at -= timedelta(seconds=seconds)
    session.add(code)
    session.flush()


def refresh_rows(session: Session, user: User) -> list[RefreshToken]:
    return list(
        session.exec(
            select(RefreshToken)
            .where(RefreshToken.user_id == user.id)
            .execution_options(populate_existing=True)
        ).all()
    )


def link_token(message: email_provider.EmailMessage) -> str:
    link = str(message.meta["link"])
    match = re.search(r"token=([^&\s]+)", link)
    assert match, link
    return match.group(1)


def expired_access_token(user: User) -> str:
    return encode_token(user.id, TokenType.ACCESS, timedelta(seconds=-5)).token
