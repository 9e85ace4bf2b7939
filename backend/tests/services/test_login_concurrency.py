"""Parallel password guesses against one account, on real separate connections: each
attempt is counted before the password is checked, so the limits are exact (per
account from one address) or bounded (the account's ceiling) however the guesses
interleave."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete

from app.core import ratelimit
from app.core.config import settings
from app.core.errors import AppError
from app.core.security import verify_password
from app.models import User
from app.services import auth as auth_service
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.slow


@pytest.fixture
def account(engine: Engine) -> Iterator[str]:
    """A committed business account's email address (deleted afterwards)."""
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup)
        setup.commit()
    assert user.email is not None
    yield user.email
    with Session(engine) as cleanup:
        cleanup.execute(delete(User).where(col(User.id) == user.id))
        cleanup.commit()


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords that reached a password check."""
    seen: list[str] = []

    def counting_verify(password: str, password_hash: str | None) -> bool:
        seen.append(password)
        return verify_password(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", counting_verify)
    return seen


def _attempt(engine: Engine, email: str, password: str, ip: str) -> str:
    with Session(engine) as session:
        try:
            auth_service.login(session, email=email, password=password, ip=ip)
        except AppError as error:
            return error.code
        return "signed in"


def test_parallel_wrong_passwords_from_one_address_never_exceed_its_limit(
    engine: Engine, account: str, checked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "3/15minutes")
    ratelimit.reset()
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(lambda n: _attempt(engine, account, f"wrong-{n}", "6.6.6.6"), range(12))
        )
    assert codes.count("invalid_credentials") == 3
    assert codes.count("rate_limited") == 9
    assert len(checked) == 3
    # Another address is not locked out: the owner signs in.
    assert _attempt(engine, account, DEFAULT_PASSWORD, "1.2.3.4") == "signed in"


def test_parallel_guesses_from_many_addresses_stay_under_the_ceiling_and_the_owner_gets_in(
    engine: Engine, account: str, checked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_CEILING_PER_ACCOUNT", "4/15minutes")
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING", "1/15minutes")
    ratelimit.reset()
    addresses = [f"6.6.6.{n % 4}" for n in range(24)]  # 4 addresses, 6 guesses each
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(
                lambda pair: _attempt(engine, account, f"wrong-{pair[0]}", pair[1]),
                enumerate(addresses),
            )
        )
    # At most the ceiling, plus one guess per address over it, reached a password check.
    assert len(checked) == codes.count("invalid_credentials")
    assert 4 < len(checked) <= 4 + 4
    assert codes.count("rate_limited") == 24 - len(checked)
    assert _attempt(engine, account, DEFAULT_PASSWORD, "1.2.3.4") == "signed in"
