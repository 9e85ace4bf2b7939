"""A refresh racing "sign out everywhere", on real separate connections: the lock on
the user's row makes the revocation see the token the refresh adds."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, delete

from app.models import User
from app.models.auth import RefreshToken
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
