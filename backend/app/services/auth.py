"""Sign-in workflows: sessions (token pairs), password login, emailed links.

A session is a family of refresh tokens: each refresh uses one up and issues the
next; the access tokens carry the family id as `sid`. Presenting a used refresh
token again means it was copied: the whole family is revoked.

Some refusals must keep what the workflow wrote (a wrong code's try, a theft
detection). Those workflows return an `Outcome`; the route commits, then
`unwrap()` raises the refusal.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from app.core import ratelimit
from app.core.config import settings
from app.core.errors import (
    AccountDisabled,
    AppError,
    EmailAlreadyVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidLink,
    InvalidRefreshToken,
    NoEmail,
    NoPassword,
    PasswordUnchanged,
    WrongPassword,
)
from app.core.links import EmailedPage, emailed_link
from app.core.security import (
    InvalidToken,
    TokenType,
    create_access_token,
    create_refresh_token,
    decode_token,
    encode_token,
    hash_password,
    reissue_access_token,
    reissue_refresh_token,
    verify_password,
)
from app.crud import auth as auth_crud
from app.crud import user as user_crud
from app.models import User
from app.models.auth import EmailTokenPurpose, RefreshToken
from app.models.base import utcnow
from app.schema.auth import TokenPair
from app.services import tasks

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A workflow's result, or the refusal to raise once its writes are committed."""

    value: T | None = None
    error: AppError | None = None

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


# --- sessions -------------------------------------------------------------------------


def _issue(
    session: Session, *, user: User, family_id: uuid.UUID | None = None, new_user: bool = False
) -> tuple[TokenPair, RefreshToken]:
    family_id = family_id or uuid.uuid4()
    now = datetime.now(UTC)
    access = create_access_token(user.id, now=now, sid=family_id.hex)
    refresh = create_refresh_token(user.id, family_id=family_id, now=now)
    row = auth_crud.add_refresh_token(
        session, user_id=user.id, family_id=family_id, refresh=refresh, access=access
    )
    return _pair(access.token, refresh.token, new_user=new_user), row


def _pair(access: str, refresh: str, *, new_user: bool = False) -> TokenPair:
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
        refresh_expires_in=settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400,
        new_user=new_user,
    )


def issue_tokens(
    session: Session, *, user: User, family_id: uuid.UUID | None = None, new_user: bool = False
) -> TokenPair:
    """A new access token and refresh token (a new session unless `family_id`)."""
    return _issue(session, user=user, family_id=family_id, new_user=new_user)[0]


def _reissue(row: RefreshToken) -> TokenPair:
    """The pair issued as `row` (its refresh token and that token's access token), signed
    again from what the row keeps: ids and times, never the tokens. HS256 is
    deterministic, so the same claims give the very same tokens."""
    access = reissue_access_token(
        row.user_id,
        jti=row.access_jti,
        issued_at=row.created_at,
        expires_at=row.access_expires_at,
        sid=row.family_id.hex,
    )
    refresh = reissue_refresh_token(
        row.user_id,
        jti=row.id.hex,
        issued_at=row.created_at,
        expires_at=row.expires_at,
        family_id=row.family_id,
    )
    return _pair(access.token, refresh.token)


def _answer_again(session: Session, *, row: RefreshToken) -> TokenPair | None:
    """The pair this used token was exchanged for, when it is presented again within the
    grace window and that pair is still untouched (not used, not revoked): a client that
    sent the same refresh twice gets the same answer twice."""
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    now = utcnow()
    if row.used_at is None or row.replaced_by_id is None or row.used_at + grace < now:
        return None
    successor = auth_crud.get_refresh_token_by_id_for_update(session, token_id=row.replaced_by_id)
    if (
        successor is None
        or successor.used_at is not None
        or successor.revoked_at is not None
        or successor.expires_at <= now
    ):
        return None
    return _reissue(successor)


def refresh_tokens(session: Session, *, token: str) -> Outcome[TokenPair]:
    """Rotate: use up this refresh token and issue the next pair of its family.

    A used token presented again within `REFRESH_REUSE_GRACE_SECONDS` (a client that
    fired the same refresh twice, or retried after losing the answer) gets the same new
    pair again, re-signed from the stored ids and times (no token is kept at rest);
    later, or once that pair has been used in turn, it means the token was copied and
    the whole family is revoked. Refreshes of one user are serialised (`lock_sessions`),
    so parallel duplicates see the first one's result."""
    try:
        payload = decode_token(token, TokenType.REFRESH)
        auth_crud.lock_sessions(session, user_id=uuid.UUID(str(payload["sub"])))
    except (InvalidToken, ValueError):
        return Outcome(error=InvalidRefreshToken())
    row = auth_crud.get_refresh_token_for_update(session, token=token)
    if row is None or str(row.user_id) != payload["sub"] or row.revoked_at is not None:
        return Outcome(error=InvalidRefreshToken())
    user = user_crud.get(session, row.user_id)
    live = user is not None and user.is_active and user.deleted_at is None
    if row.used_at is not None:
        again = _answer_again(session, row=row) if live else None
        if again is not None:
            return Outcome(value=again)
        logger.warning(
            "refresh token reused: revoking session %s of user %s", row.family_id, row.user_id
        )
        auth_crud.revoke_families(session, user_id=row.user_id, family_id=row.family_id)
        return Outcome(
            error=InvalidRefreshToken(
                "This refresh token was already used, so the session has been ended; sign in again"
            )
        )
    if user is None or not live:
        return Outcome(error=InvalidRefreshToken())
    pair, successor = _issue(session, user=user, family_id=row.family_id)
    auth_crud.mark_used(session, row=row, replaced_by=successor)
    return Outcome(value=pair)


def logout(
    session: Session, *, user: User, claims: dict[str, Any], refresh_token: str | None
) -> None:
    """End this session: its access token (until it expires) and its refresh tokens."""
    auth_crud.lock_sessions(session, user_id=user.id)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    auth_crud.revoke_access_token(
        session, user_id=user.id, jti=str(claims["jti"]), expires_at=expires_at
    )
    families: set[uuid.UUID] = set()
    sid = claims.get("sid")
    if isinstance(sid, str):
        with contextlib.suppress(ValueError):
            families.add(uuid.UUID(sid))
    if refresh_token:
        row = auth_crud.get_refresh_token_for_update(session, token=refresh_token)
        if row is not None and row.user_id == user.id:
            families.add(row.family_id)
    for family_id in families:
        auth_crud.revoke_families(session, user_id=user.id, family_id=family_id)
    auth_crud.purge_expired(session)


def end_all_sessions(session: Session, *, user: User) -> None:
    auth_crud.end_sessions(session, user=user)


# --- passwords ------------------------------------------------------------------------

MAX_LOGIN_NAME = 320


def login(session: Session, *, email: str, password: str, ip: str) -> TokenPair:
    """Email and password. A wrong email and a wrong password get the same answer, in
    about the same time.

    Guesses are limited per client address (`LOGIN_LIMIT_PER_IP`, every account) and
    per account from one address (`LOGIN_LIMIT_PER_ACCOUNT_AND_IP`): guessing from one
    place locks that place out, not the owner signing in from elsewhere. Guesses at
    one account from everywhere together have a generous ceiling
    (`LOGIN_CEILING_PER_ACCOUNT`) that only slows: over it each address may try that
    account only `LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING`, so a crowd of addresses
    gets few guesses each, and the owner's right password from an address that has not
    been guessing still works. Every attempt is counted before the password is checked,
    so parallel guesses cannot all slip in before the first failure is counted.
    """
    email = email.strip().lower()[:MAX_LOGIN_NAME]
    message = "Too many sign-in attempts; try again later"
    ratelimit.hit("login-ip", ip, settings.LOGIN_LIMIT_PER_IP, message=message)
    here = f"{email}|{ip}"
    ratelimit.hit(
        "login-account-ip", here, settings.LOGIN_LIMIT_PER_ACCOUNT_AND_IP, message=message
    )
    if not ratelimit.allow("login-account", email, settings.LOGIN_CEILING_PER_ACCOUNT):
        ratelimit.hit(
            "login-account-ip-over-ceiling",
            here,
            settings.LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING,
            message=message,
        )
    user = user_crud.get_by_email(session, email=email) if email else None
    if user is None or not verify_password(password, user.password_hash):
        if user is None:
            verify_password(password, None)  # same work as for a known account
        raise InvalidCredentials()
    # The failures from this address are forgiven; the account's ceiling is not (it
    # counts everyone's guesses, and the owner signing in does not stop them).
    ratelimit.clear("login-account-ip", here, settings.LOGIN_LIMIT_PER_ACCOUNT_AND_IP)
    ratelimit.clear(
        "login-account-ip-over-ceiling", here, settings.LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING
    )
    if not user.is_active or user.deleted_at is not None:
        raise AccountDisabled()
    return issue_tokens(session, user=user)


def register(
    session: Session, *, email: str, password: str, full_name: str, ip: str
) -> PendingEmail:
    """A new business account and its verification email, to send once committed (a
    mail server that is down never fails the sign-up; the link can be asked again).

    Whether an address has an account is never told to anyone who asks without
    signing in: registration, like password recovery (`request_password_reset`) and
    sign-in (`login`), answers the same either way. When the address is taken, nothing
    changes, and its owner gets an email saying someone tried to sign up with it
    (instead of the verification email the address would get otherwise). Both branches
    do the same work (a password hash) and count against the same limits (per client
    address, and emails per address), so neither the answer, its time nor a 429 tells
    them apart.
    """
    ratelimit.hit(
        "register-ip",
        ip,
        settings.REGISTER_LIMIT_PER_IP,
        message="Too many sign-ups from this network; try again later",
    )
    owner = user_crud.get_by_email(session, email=email)
    if owner is None:
        try:
            user = user_crud.create_with_email(
                session, email=email, password=password, full_name=full_name
            )
        except EmailTaken:  # signed up meanwhile by a concurrent request
            owner = user_crud.get_by_email(session, email=email)
        else:
            return verification_email(session, user=user)
    hash_password(password)  # the same work as creating the account
    address = owner.email if owner is not None and owner.email else email.lower()
    _email_rate_limits(EmailTokenPurpose.VERIFY_EMAIL, address, None)
    return PendingEmail(
        to=address,
        template="registration_attempt",
        context={"full_name": (owner.full_name or "") if owner is not None else ""},
    )


def change_password(session: Session, *, user: User, current: str, new: str) -> TokenPair:
    """Checks the current password, ends every session, and starts a new one."""
    message = "Too many wrong passwords; try again later"
    key = str(user.id)
    if user.password_hash is None:
        raise NoPassword()
    limit = settings.LOGIN_LIMIT_PER_ACCOUNT_AND_IP  # the caller is signed in: per account
    ratelimit.hit("password-change", key, limit, message=message)
    if not verify_password(current, user.password_hash):
        raise WrongPassword()
    ratelimit.clear("password-change", key, limit)
    if current == new:
        raise PasswordUnchanged()
    user_crud.set_password(session, user=user, password=new)
    auth_crud.end_sessions(session, user=user)
    return issue_tokens(session, user=user)


# --- emailed links --------------------------------------------------------------------


@dataclass(frozen=True)
class PendingEmail:
    """An email to send once the transaction that made its link is committed."""

    to: str
    template: str
    context: dict[str, Any]


def deliver(session: Session, pending: PendingEmail | None) -> None:
    """Queue the email in the session's transaction (the `send_email` job): it is sent
    once the link is committed, never for a rollback, and a mail server that is down
    delays it (retries) without failing the request."""
    if pending is None:
        return
    tasks.queue_email(session, to=pending.to, template=pending.template, context=pending.context)


def _email_rate_limits(purpose: EmailTokenPurpose, email: str, ip: str | None) -> None:
    """Per address and per client address, counted apart for each kind of link, so
    asking for reset links to someone's address cannot block them from signing up."""
    message = "Too many emails asked for; try again later"
    if ip is not None:
        ratelimit.hit("email-link-ip", ip, settings.EMAIL_LINK_LIMIT_PER_IP, message=message)
    ratelimit.hit(
        f"email-link-address-{purpose.value}",
        email,
        settings.EMAIL_LINK_LIMIT_PER_ADDRESS,
        message=message,
    )


def verification_email(session: Session, *, user: User, ip: str | None = None) -> PendingEmail:
    """A signed, single-use, expiring link that proves the address is the user's, as an
    email for the caller to `deliver` in the same transaction."""
    if user.email is None:
        raise NoEmail()
    if user.email_verified_at is not None:
        raise EmailAlreadyVerified()
    _email_rate_limits(EmailTokenPurpose.VERIFY_EMAIL, user.email, ip)
    hours = settings.EMAIL_VERIFY_EXPIRE_HOURS
    token = encode_token(user.id, TokenType.EMAIL_VERIFICATION, timedelta(hours=hours))
    auth_crud.add_email_token(
        session,
        user_id=user.id,
        purpose=EmailTokenPurpose.VERIFY_EMAIL,
        email=user.email,
        token=token,
    )
    return PendingEmail(
        to=user.email,
        template="verify_email",
        context={
            "full_name": user.full_name or "",
            "link": emailed_link(EmailedPage.VERIFY_EMAIL, token.token),
            "expires_in": f"{hours} hours",
        },
    )


def _use_link(session: Session, *, token: str, purpose: EmailTokenPurpose) -> User:
    token_type = (
        TokenType.EMAIL_VERIFICATION
        if purpose is EmailTokenPurpose.VERIFY_EMAIL
        else TokenType.PASSWORD_RESET
    )
    try:
        payload = decode_token(token, token_type)
        token_id = uuid.UUID(str(payload["jti"]))
    except (InvalidToken, ValueError) as exc:
        raise InvalidLink() from exc
    row = auth_crud.use_email_token(session, token_id=token_id, purpose=purpose)
    if row is None or str(row.user_id) != payload["sub"]:
        raise InvalidLink()
    user = user_crud.get(session, row.user_id)
    if (
        user is None
        or not user.is_active
        or user.email is None
        or user.email.lower() != row.email.lower()
    ):
        raise InvalidLink()
    return user


def link_looks_valid(token: str, purpose: EmailTokenPurpose) -> bool:
    """Whether an emailed link is ours, of this kind and not expired (without using
    it up, and without knowing whether it was used already): lets a page say at once
    that a link has expired, before asking for anything."""
    token_type = (
        TokenType.EMAIL_VERIFICATION
        if purpose is EmailTokenPurpose.VERIFY_EMAIL
        else TokenType.PASSWORD_RESET
    )
    try:
        decode_token(token, token_type)
    except InvalidToken:
        return False
    return True


def verify_email(session: Session, *, token: str) -> User:
    user = _use_link(session, token=token, purpose=EmailTokenPurpose.VERIFY_EMAIL)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)
        session.flush()
    return user


def request_password_reset(session: Session, *, email: str, ip: str) -> PendingEmail | None:
    """A reset link for an active account with this email; nothing otherwise. The caller
    answers the same either way and sends the email after the response."""
    _email_rate_limits(EmailTokenPurpose.RESET_PASSWORD, email, ip)
    user = user_crud.get_by_email(session, email=email)
    if user is None or user.email is None or not user.is_active:
        return None
    minutes = settings.PASSWORD_RESET_EXPIRE_MINUTES
    token = encode_token(user.id, TokenType.PASSWORD_RESET, timedelta(minutes=minutes))
    auth_crud.add_email_token(
        session,
        user_id=user.id,
        purpose=EmailTokenPurpose.RESET_PASSWORD,
        email=user.email,
        token=token,
    )
    return PendingEmail(
        to=user.email,
        template="reset_password",
        context={
            "full_name": user.full_name or "",
            "link": emailed_link(EmailedPage.RESET_PASSWORD, token.token),
            "expires_in": f"{minutes} minutes",
        },
    )


def reset_password(session: Session, *, token: str, new_password: str) -> User:
    """Set a new password from an emailed link (single use) and end every session."""
    user = _use_link(session, token=token, purpose=EmailTokenPurpose.RESET_PASSWORD)
    user_crud.set_password(session, user=user, password=new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached the inbox
    auth_crud.end_sessions(session, user=user)
    return user
