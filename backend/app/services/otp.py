"""One-time codes by SMS: consumer sign-in, and proving a phone to attach it.

A code is 6 random digits, stored only as an HMAC (keyed with the secret key, so a
leaked table cannot be brute-forced offline), lives 5 minutes, survives 5 wrong
tries, and only the newest code of a phone is live. A new code may be asked for
30 s after the previous one. Requests and checks are rate limited per phone and
per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from app.core import ratelimit
from app.core.config import settings
from app.core.errors import (
    AccountDisabled,
    AppError,
    CodeExpired,
    InvalidCode,
    OtpTryLimit,
    PhoneAlreadySet,
    PhoneTaken,
    SmsUnavailable,
    TooManyRequests,
)
from app.crud import auth as auth_crud
from app.crud import user as user_crud
from app.models import User
from app.models.auth import OtpPurpose
from app.models.base import utcnow
from app.providers import sms
from app.schema.auth import OtpRequested, TokenPair
from app.services.auth import Outcome, issue_tokens

#: Opens a short session (a `with` block); see `app.api.deps.ShortSessions`.
SessionOpener = Callable[[], AbstractContextManager[Session]]


def hash_code(phone: str, code: str, key: str) -> str:
    return hmac.new(key.encode(), f"otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _matches(phone: str, code: str, stored: str) -> bool:
    # Every verification key, so a key rotation does not kill codes in flight.
    return any(
        hmac.compare_digest(hash_code(phone, code, key), stored)
        for key in settings.verification_keys
    )


def new_code() -> str:
    length = settings.OTP_LENGTH
    return f"{secrets.randbelow(10**length):0{length}d}"


@dataclass(frozen=True)
class IssuedCode:
    """A code stored but not sent yet."""

    id: uuid.UUID
    phone: str
    code: str
    answer: OtpRequested


def issue_code(
    session: Session,
    *,
    phone: str,
    purpose: OtpPurpose,
    ip: str,
    user_id: uuid.UUID | None = None,
) -> IssuedCode:
    """Store a new code (limits and resend wait checked under the phone's lock), unsent.
    Only the newest code of a phone is ever checked."""
    ratelimit.hit(
        "otp-request-ip",
        ip,
        settings.OTP_REQUEST_LIMIT_PER_IP,
        message="Too many codes asked for from this network; try again later",
    )
    auth_crud.lock_phone(session, phone=phone)
    latest = auth_crud.latest_code(session, phone=phone, purpose=purpose, user_id=user_id)
    now = utcnow()
    if latest is not None:
        wait = latest.created_at + timedelta(seconds=settings.OTP_RESEND_SECONDS) - now
        if wait.total_seconds() > 0:
            raise TooManyRequests(
                "A code was just sent; wait before asking for another one",
                retry_after=math.ceil(wait.total_seconds()),
            )
    ratelimit.hit(
        "otp-request-phone",
        phone,
        settings.OTP_REQUEST_LIMIT_PER_PHONE,
        message="Too many codes asked for this number; try again later",
    )
    code = new_code()
    ttl = settings.OTP_EXPIRE_SECONDS
    row = auth_crud.add_code(
        session,
        phone=phone,
        purpose=purpose,
        user_id=user_id,
        code_hash=hash_code(phone, code, settings.SECRET_KEY.get_secret_value()),
        ttl=timedelta(seconds=ttl),
    )
    answer = OtpRequested(
        message="A code has been sent by SMS",
        phone=phone,
        expires_in=ttl,
        resend_after=settings.OTP_RESEND_SECONDS,
    )
    return IssuedCode(id=row.id, phone=phone, code=code, answer=answer)


def send_code(issued: IssuedCode) -> None:
    """Send the code by SMS (outside any transaction: the gateway may be slow)."""
    ttl = settings.OTP_EXPIRE_SECONDS
    try:
        sms.get_provider().send_code(
            to=issued.phone, code=issued.code, ttl_minutes=max(1, ttl // 60)
        )
    except sms.SmsError as exc:
        raise SmsUnavailable() from exc


def request_code(
    sessions: SessionOpener,
    *,
    phone: str,
    purpose: OtpPurpose,
    ip: str,
    user_id: uuid.UUID | None = None,
) -> OtpRequested:
    """Store a new code and commit, then send it holding no session, transaction, lock
    or database slot (each `sessions()` block holds one only while open). When the
    gateway fails, the code is deleted in a new short transaction and the caller gets
    a 503: nothing counts as sent, so there is no resend wait either."""
    with sessions() as session:
        issued = issue_code(session, phone=phone, purpose=purpose, ip=ip, user_id=user_id)
        session.commit()
    try:
        send_code(issued)
    except SmsUnavailable:
        with sessions() as session:
            auth_crud.delete_code(session, code_id=issued.id)
            session.commit()
        raise
    return issued.answer


def check_code(
    session: Session,
    *,
    phone: str,
    code: str,
    purpose: OtpPurpose,
    ip: str,
    user_id: uuid.UUID | None = None,
) -> AppError | None:
    """Use up the live code if `code` is right; otherwise count a wrong try (kept even
    though the answer is an error) and say why."""
    ratelimit.hit(
        "otp-verify-ip",
        ip,
        settings.OTP_VERIFY_LIMIT_PER_IP,
        message="Too many codes tried from this network; try again later",
    )
    ratelimit.hit(
        "otp-verify-phone",
        phone,
        settings.OTP_VERIFY_LIMIT_PER_PHONE,
        message="Too many codes tried for this number; try again later",
    )
    row = auth_crud.latest_code(
        session, phone=phone, purpose=purpose, user_id=user_id, for_update=True
    )
    now = utcnow()
    max_attempts = settings.OTP_MAX_ATTEMPTS
    if row is None or row.consumed_at is not None or row.expires_at <= now:
        return CodeExpired()
    if row.attempts >= max_attempts:
        return OtpTryLimit()
    if not _matches(phone, code, row.code_hash):
        row.attempts += 1
        session.add(row)
        session.flush()
        left = max_attempts - row.attempts
        if left == 0:
            return InvalidCode("Wrong code, and no tries left; ask for a new code")
        return InvalidCode(f"Wrong code; {left} {'try' if left == 1 else 'tries'} left")
    row.consumed_at = now
    session.add(row)
    session.flush()
    return None


def sign_in(session: Session, *, phone: str, code: str, ip: str) -> Outcome[TokenPair]:
    """A verified code signs in, creating the consumer account the first time."""
    error = check_code(session, phone=phone, code=code, purpose=OtpPurpose.SIGN_IN, ip=ip)
    if error is not None:
        return Outcome(error=error)
    user = user_crud.get_by_phone(session, phone=phone)
    new_user = user is None
    if user is None:
        user = user_crud.create_with_phone(session, phone=phone)
    elif not user.is_active:
        return Outcome(error=AccountDisabled())
    elif user.phone_verified_at is None:
        user.phone_verified_at = utcnow()
        session.add(user)
    return Outcome(value=issue_tokens(session, user=user, new_user=new_user))


def limit_attach_attempts(*, user: User, ip: str) -> None:
    """Adding an email or a phone says whether it is taken: counted per account and per
    client address before anything is looked up."""
    message = "Too many attempts to add a phone or an email; try again later"
    ratelimit.hit("attach-user", str(user.id), settings.ATTACH_LIMIT_PER_USER, message=message)
    ratelimit.hit("attach-ip", ip, settings.ATTACH_LIMIT_PER_IP, message=message)


def request_attach_code(session: Session, *, user: User, phone: str, ip: str) -> OtpRequested:
    """Like `request_code`, on the request's session: its transaction is committed (and
    its connection returned to the pool) before the SMS is sent."""
    limit_attach_attempts(user=user, ip=ip)
    _check_attachable(session, user=user, phone=phone)
    return request_code(
        lambda: nullcontext(session),
        phone=phone,
        purpose=OtpPurpose.ATTACH_PHONE,
        ip=ip,
        user_id=user.id,
    )


def attach_phone(session: Session, *, user: User, phone: str, code: str, ip: str) -> Outcome[User]:
    limit_attach_attempts(user=user, ip=ip)
    _check_attachable(session, user=user, phone=phone)
    error = check_code(
        session, phone=phone, code=code, purpose=OtpPurpose.ATTACH_PHONE, ip=ip, user_id=user.id
    )
    if error is not None:
        return Outcome(error=error)
    return Outcome(value=user_crud.attach_phone(session, user=user, phone=phone))


def _check_attachable(session: Session, *, user: User, phone: str) -> None:
    if user.phone is not None:
        raise PhoneAlreadySet()
    other = user_crud.get_by_phone(session, phone=phone)
    if other is not None and other.id != user.id:
        raise PhoneTaken()
