"""Demo data: venues."""

from __future__ import annotations

from sqlmodel import Session


def seed(session: Session) -> None:
    """Idempotent: adds what is missing."""
    del session
