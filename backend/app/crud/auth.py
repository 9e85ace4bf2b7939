"""Auth rows: one-time codes, refresh tokens, revoked access tokens, emailed links.

Every secret is stored as a digest; look-ups that change state lock their row.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func as sa_func
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, delete, select

from app.core.security import EncodedToken, hash_token, issued_at_ms
from app.models import User
from app.models.auth import (
    EmailToken,
    EmailTokenPurpose,
    OtpCode,
    OtpPurpose,
    RefreshToken,
    RevokedAccessToken,
)
from app.models.base import utcnow


def _floor_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


# --- one-time codes -------------------------------------------------------------------


def lock_phone(session: Session, *, phone: str) -> None:
    """Serialise code requests for one phone number until the transaction ends."""
    session.execute(
        select(sa_func.pg_advisory_xact_lock(sa_func.hashtextextended(f"otp:{phone}", 0)))
    )


def latest_code(
    session: Session,
    *,
    phone: str,
    purpose: OtpPurpose,
    user_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> OtpCode | None:
    """The newest code of a phone and purpose (and requesting user), consumed or not."""
    query = (
        select(OtpCode)
        .where(OtpCode.phone == phone, OtpCode.purpose == purpose)
        .order_by(col(OtpCode.created_at).desc())
        .limit(1)
    )
    if purpose is OtpPurpose.ATTACH_PHONE:
        query = query.where(OtpCode.user_id == user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def add_code(
    session: Session,
    *,
    phone: str,
    purpose: OtpPurpose,
    code_hash: str,
    ttl: timedelta,
    user_id: uuid.UUID | None = None,
) -> OtpCode:
    """Store a new code. Older codes of the same phone and purpose (and, to attach a
    phone, of the same requesting user) are never checked again: only the newest is
    (`latest_code`); deleting this one (an SMS that could not be sent) brings the
    previous one back, as if nothing had been asked."""
    now = utcnow()
    code = OtpCode(
        phone=phone,
        purpose=purpose,
        user_id=user_id,
        code_hash=code_hash,
        expires_at=now + ttl,
        created_at=now,
    )
    session.add(code)
    session.flush()
    return code


def delete_code(session: Session, *, code_id: uuid.UUID) -> None:
    session.execute(delete(OtpCode).where(col(OtpCode.id) == code_id))


def delete_codes_for_phone(session: Session, *, phone: str) -> None:
    session.execute(delete(OtpCode).where(col(OtpCode.phone) == phone))


# --- refresh tokens -------------------------------------------------------------------


def lock_sessions(session: Session, *, user_id: uuid.UUID) -> None:
    """Serialise what changes one user's sessions (refresh, logout, ending them all) on
    the user's row until the transaction ends. Without it, a refresh committing while
    a logout or password change runs could add a token the revocation never sees."""
    session.execute(select(User.id).where(col(User.id) == user_id).with_for_update())


def add_refresh_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    refresh: EncodedToken,
    access: EncodedToken,
) -> RefreshToken:
    """Record a refresh token and its access token, issued together at one moment (kept
    as `created_at`, from which `reissue` signs them again)."""
    assert refresh.issued_at == access.issued_at, "issue the pair at one moment"
    row = RefreshToken(
        id=uuid.UUID(refresh.jti),
        user_id=user_id,
        family_id=family_id,
        token_hash=hash_token(refresh.token),
        access_jti=access.jti,
        access_expires_at=access.expires_at,
        expires_at=refresh.expires_at,
        created_at=refresh.issued_at,
    )
    session.add(row)
    session.flush()
    return row


def get_refresh_token_for_update(session: Session, *, token: str) -> RefreshToken | None:
    return session.exec(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(token))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def mark_used(session: Session, *, row: RefreshToken, replaced_by: RefreshToken) -> None:
    row.used_at = utcnow()
    row.replaced_by_id = replaced_by.id
    session.add(row)
    session.flush()


def get_refresh_token_by_id_for_update(
    session: Session, *, token_id: uuid.UUID
) -> RefreshToken | None:
    return session.exec(
        select(RefreshToken)
        .where(RefreshToken.id == token_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def revoke_families(
    session: Session,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID | None = None,
    except_family: uuid.UUID | None = None,
) -> int:
    """Revoke the refresh tokens of one family (or all of a user's, but `except_family`),
    and deny the access tokens issued with them until they expire. Returns how many
    live refresh tokens died."""
    lock_sessions(session, user_id=user_id)
    now = utcnow()
    conditions: list[Any] = [col(RefreshToken.user_id) == user_id]
    if family_id is not None:
        conditions.append(col(RefreshToken.family_id) == family_id)
    if except_family is not None:
        conditions.append(col(RefreshToken.family_id) != except_family)
    live_access = session.exec(
        select(RefreshToken.access_jti, RefreshToken.access_expires_at).where(
            *conditions, col(RefreshToken.access_expires_at) > now
        )
    ).all()
    for jti, expires_at in live_access:
        revoke_access_token(session, user_id=user_id, jti=jti, expires_at=expires_at)
    result = session.execute(
        update(RefreshToken)
        .where(*conditions, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# --- access tokens --------------------------------------------------------------------


def revoke_access_token(
    session: Session, *, user_id: uuid.UUID, jti: str, expires_at: datetime
) -> None:
    """Deny one access token until it expires; the user row remembers until when the
    deny-list must be consulted for them."""
    session.execute(
        insert(RevokedAccessToken)
        .values(jti=jti, user_id=user_id, expires_at=expires_at, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["jti"])
    )
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(
            revoked_access_until=sa_func.greatest(
                sa_func.coalesce(col(User.revoked_access_until), expires_at), expires_at
            )
        )
        .execution_options(synchronize_session=False)
    )
    loaded = session.identity_map.get(session.identity_key(User, user_id))
    if loaded is not None:
        session.expire(loaded, ["revoked_access_until"])


def purge_expired(session: Session) -> None:
    """Drop deny-list entries whose tokens have expired anyway."""
    session.execute(delete(RevokedAccessToken).where(col(RevokedAccessToken.expires_at) < utcnow()))


def is_access_token_revoked(session: Session, *, jti: str) -> bool:
    return session.get(RevokedAccessToken, jti) is not None


def end_sessions(session: Session, *, user: User, except_family: uuid.UUID | None = None) -> None:
    """Every session of the user ends: refresh tokens revoked, and access tokens issued
    until now refused (`sessions_revoked_at`)."""
    revoke_families(session, user_id=user.id, except_family=except_family)
    user.sessions_revoked_at = _floor_ms(utcnow())
    session.add(user)
    session.flush()


def access_token_is_live(session: Session, *, user: User, payload: dict[str, Any]) -> bool:
    """Not issued before the user's sessions were ended, and not on the deny-list."""
    revoked_at = user.sessions_revoked_at
    if revoked_at is not None and issued_at_ms(payload) < math.floor(
        revoked_at.timestamp() * 1000 + 0.5
    ):
        return False
    until = user.revoked_access_until
    if until is not None and until > utcnow():
        return not is_access_token_revoked(session, jti=str(payload["jti"]))
    return True


# --- emailed links --------------------------------------------------------------------


def add_email_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    purpose: EmailTokenPurpose,
    email: str,
    token: EncodedToken,
) -> EmailToken:
    """Record a link just signed; earlier unused links of the same purpose die."""
    now = utcnow()
    session.execute(
        update(EmailToken)
        .where(
            col(EmailToken.user_id) == user_id,
            col(EmailToken.purpose) == purpose,
            col(EmailToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    row = EmailToken(
        id=uuid.UUID(token.jti),
        user_id=user_id,
        purpose=purpose,
        email=email,
        expires_at=token.expires_at,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def use_email_token(
    session: Session, *, token_id: uuid.UUID, purpose: EmailTokenPurpose
) -> EmailToken | None:
    """Spend a link atomically: None when unknown, expired or already used."""
    now = utcnow()
    used_id = session.execute(
        update(EmailToken)
        .where(
            col(EmailToken.id) == token_id,
            col(EmailToken.purpose) == purpose,
            col(EmailToken.used_at).is_(None),
            col(EmailToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(EmailToken.id))
    ).scalar_one_or_none()
    if used_id is None:
        return None
    row = session.get(EmailToken, used_id, populate_existing=True)
    return row


def delete_email_tokens(session: Session, *, user_id: uuid.UUID) -> None:
    session.execute(delete(EmailToken).where(col(EmailToken.user_id) == user_id))
