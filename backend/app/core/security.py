"""Passwords (argon2 via pwdlib) and signed tokens (PyJWT).

Tokens are signed with `SECRET_KEY`; `PREVIOUS_SECRET_KEYS` are still accepted
when verifying, so the key can be rotated without logging everybody out.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Environment, settings

ALGORITHM = "HS256"


def _password_hasher() -> PasswordHash:
    """pwdlib's recommended argon2id, except in the test suite.

    Tests hash hundreds of passwords; argon2's cheapest parameters keep them fast
    and still exercise the real hash and verify. No other environment gets them.
    """
    if settings.ENVIRONMENT == Environment.TEST:
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    return PasswordHash.recommended()


password_hash = _password_hasher()


@cache
def _dummy_hash() -> str:
    """A hash of a random password, checked when an account is unknown so that a wrong
    email and a wrong password take the same time. Made at first use, not at import:
    every process (a CLI command, a worker) would pay a full argon2 hash to start."""
    return password_hash.hash(secrets.token_urlsafe(16))


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_RESET = "password_reset"  # noqa: S105
    VENUE_INVITE = "venue_invite"
    TABLE_QR = "table_qr"
    TABLE_SHEET = "table_sheet"  # a short-lived link to a venue's printable QR sheet
    TICKET_QR = "ticket_qr"  # the key of a ticket's QR code (app.core.ticket_token)
    LIVE_STREAM = "live_stream"  # opens one live stream (app.core.live_token)
    GROUP_INVITE = "group_invite"  # a group's invitation link (app.core.group_invite_token)


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong type."""


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-ish time check; an account with no password never matches."""
    if hashed is None:
        password_hash.verify(password, _dummy_hash())
        return False
    return password_hash.verify(password, hashed)


def hash_token(token: str) -> str:
    """Store only digests of bearer secrets (refresh tokens, one-time codes, links)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class EncodedToken:
    token: str
    jti: str
    expires_at: datetime
    issued_at: datetime


def sign_token(
    subject: str | uuid.UUID,
    token_type: TokenType,
    *,
    jti: str,
    issued_at: datetime,
    expires_at: datetime,
    precise_iat: bool = False,
    **claims: Any,
) -> EncodedToken:
    """The signed token with exactly these claims: the same arguments (and key) give the
    same token, so a token can be issued again from what was stored about it (its id and
    times, never the token itself)."""
    iat: float = (
        math.floor(issued_at.timestamp() * 1000) / 1000
        if precise_iat
        else int(issued_at.timestamp())
    )
    payload: dict[str, Any] = {
        "sub": str(subject),
        "type": token_type.value,
        "iat": iat,
        "exp": int(expires_at.timestamp()),
        "jti": jti,
        **claims,
    }
    token = jwt.encode(payload, settings.SECRET_KEY.get_secret_value(), algorithm=ALGORITHM)
    return EncodedToken(token=token, jti=jti, expires_at=expires_at, issued_at=issued_at)


def encode_token(
    subject: str | uuid.UUID,
    token_type: TokenType,
    expires_delta: timedelta,
    *,
    precise_iat: bool = False,
    now: datetime | None = None,
    **claims: Any,
) -> EncodedToken:
    """A new signed token (a fresh `jti`); `precise_iat` writes `iat` to the millisecond
    (RFC 7519 allows fractional NumericDates) so it can be compared with a user's
    "sessions revoked at"."""
    now = now or datetime.now(UTC)
    return sign_token(
        subject,
        token_type,
        jti=uuid.uuid4().hex,
        issued_at=now,
        expires_at=now + expires_delta,
        precise_iat=precise_iat,
        **claims,
    )


def decode_token(token: str, expected_type: TokenType) -> dict[str, Any]:
    """Verify signature (current or previous keys), expiry and the `type` claim."""
    last_error: Exception | None = None
    for key in settings.verification_keys:
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "iat", "jti", "type"]},
            )
        except jwt.InvalidSignatureError as exc:
            last_error = exc
            continue
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if payload.get("type") != expected_type.value:
            raise InvalidToken("wrong token type")
        return payload
    raise InvalidToken(str(last_error) if last_error else "invalid token")


def create_access_token(
    user_id: uuid.UUID, *, now: datetime | None = None, **claims: Any
) -> EncodedToken:
    return encode_token(
        user_id,
        TokenType.ACCESS,
        timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES),
        precise_iat=True,
        now=now,
        **claims,
    )


def create_refresh_token(
    user_id: uuid.UUID, *, family_id: uuid.UUID, now: datetime | None = None
) -> EncodedToken:
    """A refresh token (a JWT of type `refresh`); only its `hash_token` digest is stored."""
    return encode_token(
        user_id,
        TokenType.REFRESH,
        timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
        now=now,
        fam=family_id.hex,
    )


def reissue_access_token(
    user_id: uuid.UUID, *, jti: str, issued_at: datetime, expires_at: datetime, sid: str
) -> EncodedToken:
    """The access token `create_access_token(user_id, now=issued_at, sid=sid)` made."""
    return sign_token(
        user_id,
        TokenType.ACCESS,
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
        precise_iat=True,
        sid=sid,
    )


def reissue_refresh_token(
    user_id: uuid.UUID,
    *,
    jti: str,
    issued_at: datetime,
    expires_at: datetime,
    family_id: uuid.UUID,
) -> EncodedToken:
    """The refresh token `create_refresh_token(user_id, now=issued_at, ...)` made."""
    return sign_token(
        user_id,
        TokenType.REFRESH,
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
        fam=family_id.hex,
    )


def issued_at_ms(payload: dict[str, Any]) -> int:
    """A decoded token's `iat` in whole milliseconds."""
    return round(float(payload["iat"]) * 1000)
