"""Refreshes on real separate connections: racing "sign out everywhere" (the lock on
the user's row makes the revocation see the token the refresh adds), and a client
that fires the same refresh ten times at once (one rotation, ten equal answers)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select, update

from app.core.config import settings
from app.core.errors import AppError
from app.models import User
from app.models.auth import RefreshToken
from app.models.base import utcnow
from app.schema.auth import TokenPair
from app.services import auth as auth_service
from tests.factories import make_user

pytestmark = pytest.mark.slow


def test_a_refresh_in_flight_cannot_outlive_ending_every_session(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup)
        first = auth_service.issue_tokens(setup, user=user)
        setup.commit()
    try:
        # A stolen refresh token is being rotated: the new pair is written, not committed.
        thief = Session(engine, expire_on_commit=False)
        stolen = auth_service.refresh_tokens(thief, token=first.refresh_token).unwrap()

        # Meanwhile the owner changes the password, which ends every session.
        def end_everything() -> None:
            with Session(engine) as owner:
                owner_user = owner.get(User, user.id)
                assert owner_user is not None
                auth_service.end_all_sessions(owner, user=owner_user)
                owner.commit()

        ending = threading.Thread(target=end_everything)
        ending.start()
        ending.join(timeout=1.0)
        assert ending.is_alive(), "ending the sessions must wait for the refresh in flight"
        thief.commit()
        thief.close()
        ending.join(timeout=30)
        assert not ending.is_alive()

        with Session(engine) as later:
            outcome = auth_service.refresh_tokens(later, token=stolen.refresh_token)
            later.commit()
            assert outcome.error is not None
            assert outcome.error.code == "invalid_refresh_token"
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(RefreshToken).where(col(RefreshToken.user_id) == user.id))
            cleanup.execute(delete(User).where(col(User.id) == user.id))
            cleanup.commit()


def test_ten_parallel_refreshes_with_one_token_get_one_new_pair(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup)
        first = auth_service.issue_tokens(setup, user=user)
        setup.commit()
    barrier = threading.Barrier(10)
    pairs: list[TokenPair] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with Session(engine) as session:
                barrier.wait(timeout=30)
                outcome = auth_service.refresh_tokens(session, token=first.refresh_token)
                session.commit()
                pairs.append(outcome.unwrap())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(10)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert len(pairs) == 10
        assert len({(p.access_token, p.refresh_token) for p in pairs}) == 1
        with Session(engine) as check:
            rows = check.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
            assert len(rows) == 2  # one rotation
            assert all(row.revoked_at is None for row in rows)
            # The new pair goes on working.
            third = auth_service.refresh_tokens(check, token=pairs[0].refresh_token).unwrap()
            check.commit()
        # A reuse of the first token after the window still ends the session.
        with Session(engine) as later:
            later.execute(
                update(RefreshToken)
                .where(col(RefreshToken.user_id) == user.id)
                .values(
                    used_at=utcnow() - timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS + 1)
                )
                .where(col(RefreshToken.used_at).is_not(None))
            )
            outcome = auth_service.refresh_tokens(later, token=first.refresh_token)
            later.commit()
            assert isinstance(outcome.error, AppError)
            assert outcome.error.code == "invalid_refresh_token"
        with Session(engine) as after:
            outcome = auth_service.refresh_tokens(after, token=third.refresh_token)
            assert outcome.error is not None
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(RefreshToken).where(col(RefreshToken.user_id) == user.id))
            cleanup.execute(delete(User).where(col(User.id) == user.id))
            cleanup.commit()
