"""Parallel password guesses against one account, on real separate connections: each
attempt is counted before the password is checked, so the per-account limit is exact."""

from __future__ import annotations

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
from tests.factories import make_user

pytestmark = pytest.mark.slow


def test_parallel_wrong_passwords_never_exceed_the_account_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "LOGIN_LIMIT_PER_ACCOUNT", "3/15minutes")
    ratelimit.reset()
    # Count the password checks: only the attempts within the limit may reach one.
    checked: list[str] = []

    def counting_verify(password: str, password_hash: str | None) -> bool:
        checked.append(password)
        return verify_password(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", counting_verify)
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup)
        setup.commit()
    assert user.email is not None
    email = user.email

    def guess(n: int) -> str:
        with Session(engine) as session:
            try:
                auth_service.login(session, email=email, password=f"wrong-guess-{n}", ip=f"ip{n}")
            except AppError as error:
                return error.code
            return "signed in"

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(guess, range(12)))
        assert codes.count("invalid_credentials") == 3
        assert codes.count("rate_limited") == 9
        assert len(checked) == 3
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(User).where(col(User.id) == user.id))
            cleanup.commit()
