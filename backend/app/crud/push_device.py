"""Push devices of signed-in users (`push_device`)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, delete, select

from app.core.errors import NotFound
from app.models.base import utcnow
from app.models.push import PushDevice, PushPlatform
from app.models.user import User


def register(
    session: Session, *, user: User, token: str, platform: PushPlatform
) -> tuple[PushDevice, bool]:
    """Register `token` for `user` (moved from whoever had it); whether it is new.

    One statement (`INSERT ... ON CONFLICT (token) DO UPDATE`), so two registrations of
    the same token at once do not collide."""
    now = utcnow()
    statement: Any = (
        insert(PushDevice)
        .values(id=uuid.uuid4(), user_id=user.id, token=token, platform=platform.value)
        .on_conflict_do_update(
            index_elements=[col(PushDevice.token)],
            set_={"user_id": user.id, "platform": platform.value, "last_seen_at": now},
        )
        .returning(col(PushDevice.id), sa.literal_column("xmax = 0").label("inserted"))
    )
    row = session.execute(statement).one()
    device = session.get(PushDevice, row.id, populate_existing=True)
    assert device is not None
    return device, bool(row.inserted)


def remove(session: Session, *, user: User, token: str) -> None:
    """Forget one of `user`'s devices (404 if it is not one of theirs)."""
    result = session.exec(
        delete(PushDevice).where(col(PushDevice.user_id) == user.id, col(PushDevice.token) == token)
    )
    if not result.rowcount:
        raise NotFound("push device")


def drop_token(session: Session, *, token: str) -> None:
    """Forget a token the push service no longer knows (whoever had it)."""
    session.exec(delete(PushDevice).where(col(PushDevice.token) == token))


def tokens_of(session: Session, *, user_id: uuid.UUID) -> list[str]:
    return list(
        session.exec(
            select(PushDevice.token)
            .where(col(PushDevice.user_id) == user_id)
            .order_by(col(PushDevice.created_at))
        ).all()
    )


def list_for(session: Session, *, user: User) -> list[PushDevice]:
    return list(
        session.exec(
            select(PushDevice)
            .where(col(PushDevice.user_id) == user.id)
            .order_by(col(PushDevice.created_at))
        ).all()
    )
