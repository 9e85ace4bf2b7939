"""Parallel guesses against one code, on real separate connections: the row lock keeps
the try limit exact."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from app.core.config import settings
from app.core.errors import AppError
from app.crud import auth as auth_crud
from app.models.auth import OtpCode, OtpPurpose
from app.services import otp as otp_service

pytestmark = pytest.mark.slow


def test_parallel_wrong_guesses_never_exceed_the_try_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "RATE_LIMIT_ENABLED", False)
    phone = f"+91987{secrets.randbelow(10**7):07d}"
    key = settings.SECRET_KEY.get_secret_value()
    with Session(engine) as setup:
        auth_crud.add_code(
            setup,
            phone=phone,
            purpose=OtpPurpose.SIGN_IN,
            code_hash=otp_service.hash_code(phone, "123456", key),
            ttl=timedelta(minutes=5),
        )
        setup.commit()

    def guess(n: int) -> AppError | None:
        with Session(engine) as session:
            error = otp_service.check_code(
                session, phone=phone, code=f"{n:06d}", purpose=OtpPurpose.SIGN_IN, ip="t"
            )
            session.commit()
            return error

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(guess, range(1, 17)))
        codes = [error.code if error else "ok" for error in results]
        assert codes.count("invalid_code") == settings.OTP_MAX_ATTEMPTS
        assert codes.count("otp_try_limit") == 16 - settings.OTP_MAX_ATTEMPTS
        with Session(engine) as check:
            [row] = check.exec(select(OtpCode).where(OtpCode.phone == phone)).all()
            assert row.attempts == settings.OTP_MAX_ATTEMPTS
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(OtpCode).where(col(OtpCode.phone) == phone))
            cleanup.commit()
