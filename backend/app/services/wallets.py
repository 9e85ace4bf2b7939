"""Placeholder: the lead's wallet module replaces this."""

from __future__ import annotations

from sqlmodel import Session

from app.models import User
from app.models.group import Group


def close_wallet(session: Session, *, group: Group, by: User) -> None:
    """Placeholder: the lead's wallet module replaces this."""
