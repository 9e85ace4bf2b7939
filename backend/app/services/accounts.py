"""Account workflows that span several rules (first superuser, sign-up)."""

from __future__ import annotations

from sqlmodel import Session, func, select

from app.core.security import hash_password
from app.models import User


def ensure_superuser(
    session: Session, *, email: str, password: str, full_name: str | None = None
) -> User:
    """Create a platform admin with this email, or promote the existing account."""
    email = email.strip().lower()
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    if user is None:
        user = User(email=email, full_name=full_name or "Platform admin")
        session.add(user)
    user.password_hash = hash_password(password)
    user.is_superuser = True
    user.is_active = True
    session.flush()
    return user
