"""Routes: sign-in by one-time code (consumers) or password (business), tokens,
emailed links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.api.cookies import clear_session_cookies, expired_refresh_cookie, set_session_cookies
from app.api.deps import (
    CookieRefreshToken,
    CurrentUser,
    OptionalCookieRefreshToken,
    SessionDep,
    ShortSessionsDep,
    TokenDep,
    commit,
)
from app.core.errors import (
    AccountDisabled,
    CodeExpired,
    EmailAlreadyVerified,
    InvalidCode,
    InvalidCredentials,
    InvalidLink,
    InvalidRefreshToken,
    NoEmail,
    NoPassword,
    NotAuthenticated,
    OtpTryLimit,
    PasswordUnchanged,
    SmsUnavailable,
    TooManyRequests,
    WrongPassword,
    raises,
)
from app.core.ratelimit import client_ip
from app.core.security import InvalidToken, TokenType, decode_token
from app.models.auth import OtpPurpose
from app.schema.auth import (
    ChangePassword,
    CookieLogin,
    CookieSession,
    ForgotPassword,
    LinkRequest,
    LogoutRequest,
    OtpRequest,
    OtpRequested,
    OtpVerify,
    RefreshRequest,
    RegisterRequest,
    ResetPassword,
    TokenPair,
)
from app.schema.common import Message
from app.schema.user import UserRead
from app.services import auth as auth_service
from app.services import otp as otp_service

router = APIRouter(prefix="/auth", tags=["auth"])

ClientIP = Annotated[str, Depends(client_ip)]


def get_access_claims(_user: CurrentUser, token: TokenDep) -> dict[str, Any]:
    """The claims of the caller's (already verified) access token."""
    try:
        return decode_token(token or "", TokenType.ACCESS)
    except InvalidToken as exc:  # pragma: no cover - CurrentUser has checked it
        raise NotAuthenticated() from exc


AccessClaims = Annotated[dict[str, Any], Depends(get_access_claims)]

REGISTERED = (
    "Check your inbox: we sent a link to confirm the address and finish signing up "
    "(if this address already has an account, we emailed its owner instead)"
)

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Rate limited; see `Retry-After`"}
}


# --- consumers: one-time code -----------------------------------------------------------


@router.post(
    "/otp/request",
    response_model=OtpRequested,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**RATE_LIMITED, 503: {"description": "The SMS gateway failed"}},
)
@raises(TooManyRequests, SmsUnavailable)
def request_otp(body: OtpRequest, sessions: ShortSessionsDep, ip: ClientIP) -> OtpRequested:
    """Send a 6-digit sign-in code by SMS (valid 5 minutes; a new one after 30 s)."""
    return otp_service.request_code(sessions, phone=body.phone, purpose=OtpPurpose.SIGN_IN, ip=ip)


@router.post("/otp/verify", response_model=TokenPair, responses=RATE_LIMITED)
@raises(InvalidCode, CodeExpired, OtpTryLimit, AccountDisabled)
def verify_otp(body: OtpVerify, session: SessionDep, ip: ClientIP) -> TokenPair:
    """Sign in with the code; the first sign-in of a number creates its account."""
    outcome = otp_service.sign_in(session, phone=body.phone, code=body.code, ip=ip)
    commit(session)  # a wrong try counts even though the answer is an error
    return outcome.unwrap()


# --- business: email and password ------------------------------------------------------


@router.post(
    "/register",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    responses=RATE_LIMITED,
)
def register(body: RegisterRequest, session: SessionDep, ip: ClientIP) -> Message:
    """Create a business account; a verification link is emailed. The answer is the same
    whether or not the address already has an account (its owner is emailed instead)."""
    email = auth_service.register(
        session, email=body.email, password=body.password, full_name=body.full_name, ip=ip
    )
    auth_service.deliver(session, email)
    commit(session)
    return Message(message=REGISTERED)


@router.post("/login", response_model=TokenPair, responses=RATE_LIMITED)
@raises(InvalidCredentials, AccountDisabled)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, ip: ClientIP
) -> TokenPair:
    """OAuth2 password form: `username` is the email address."""
    tokens = auth_service.login(session, email=form.username, password=form.password, ip=ip)
    commit(session)
    return tokens


@router.post("/email/verify", response_model=UserRead)
@raises(InvalidLink)
def verify_email(body: LinkRequest, session: SessionDep) -> Any:
    """Confirm an email address with the token of the emailed link."""
    user = auth_service.verify_email(session, token=body.token)
    commit(session)
    return user


@router.post(
    "/email/verify/resend",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    responses=RATE_LIMITED,
)
@raises(NoEmail, EmailAlreadyVerified)
def resend_verification(user: CurrentUser, session: SessionDep, ip: ClientIP) -> Message:
    """Email a new verification link (earlier links stop working)."""
    email = auth_service.verification_email(session, user=user, ip=ip)
    auth_service.deliver(session, email)
    commit(session)
    return Message(message="A new verification link has been sent")


@router.post(
    "/password/forgot",
    response_model=Message,
    status_code=status.HTTP_202_ACCEPTED,
    responses=RATE_LIMITED,
)
def forgot_password(body: ForgotPassword, session: SessionDep, ip: ClientIP) -> Message:
    """Email a password reset link. The answer is the same whether or not the account exists."""
    pending = auth_service.request_password_reset(session, email=body.email, ip=ip)
    auth_service.deliver(session, pending)
    commit(session)
    return Message(message="If an account uses this address, a reset link is on its way")


@router.post("/password/reset", response_model=Message)
@raises(InvalidLink)
def reset_password(body: ResetPassword, session: SessionDep) -> Message:
    """Set a new password with the emailed link; every session ends."""
    auth_service.reset_password(session, token=body.token, new_password=body.new_password)
    commit(session)
    return Message(message="Your password has been changed; sign in with the new one")


@router.post("/password/change", response_model=TokenPair, responses=RATE_LIMITED)
@raises(NoPassword, WrongPassword, PasswordUnchanged)
def change_password(body: ChangePassword, user: CurrentUser, session: SessionDep) -> TokenPair:
    """Change the password (the current one is asked); every other session ends and this
    one continues with the returned tokens."""
    tokens = auth_service.change_password(
        session, user=user, current=body.current_password, new=body.new_password
    )
    commit(session)
    return tokens


# --- tokens -------------------------------------------------------------------------


@router.post("/refresh", response_model=TokenPair)
@raises(InvalidRefreshToken, AccountDisabled)
def refresh(body: RefreshRequest, session: SessionDep) -> TokenPair:
    """Exchange a refresh token for a new pair; the old refresh token is used up."""
    outcome = auth_service.refresh_tokens(session, token=body.refresh_token)
    commit(session)  # a detected reuse revokes the session even though we answer 401
    return outcome.unwrap()


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    user: CurrentUser,
    claims: AccessClaims,
    session: SessionDep,
    body: LogoutRequest | None = None,
) -> None:
    """End this session: the access token stops working now, the refresh token too."""
    auth_service.logout(
        session, user=user, claims=claims, refresh_token=body.refresh_token if body else None
    )
    commit(session)


@router.post("/logout/all", status_code=status.HTTP_204_NO_CONTENT)
def logout_everywhere(user: CurrentUser, session: SessionDep) -> None:
    """End every session of this account, on every device."""
    auth_service.end_all_sessions(session, user=user)
    commit(session)


# --- the staff dashboard: the refresh token in an httpOnly cookie ----------------------
#
# The same sessions as above (rotation, reuse detection, logout), for a browser app that
# must keep no token where scripts can read it: the refresh token lives in the httpOnly
# `socia_refresh` cookie (SameSite=Strict, Path=/api/v1/auth/cookie), the access token in
# the app's memory. Every route reading the cookie checks the `X-CSRF-Token` header
# against it (a signed double submit: see app/core/csrf.py and app/api/cookies.py).
# Sign-in takes JSON only, which a cross-site form cannot send.


@router.post("/cookie/login", response_model=CookieSession, responses=RATE_LIMITED)
@raises(InvalidCredentials, AccountDisabled)
def cookie_login(
    body: CookieLogin, session: SessionDep, ip: ClientIP, response: Response
) -> CookieSession:
    """Sign in with email and password (the staff dashboard): the answer carries the
    access token; the refresh token is set as the httpOnly `socia_refresh` cookie and
    its CSRF token as the `socia_csrf` cookie."""
    tokens = auth_service.login(session, email=body.email, password=body.password, ip=ip)
    commit(session)
    return set_session_cookies(response, tokens)


@router.post("/cookie/refresh", response_model=CookieSession)
@raises(InvalidRefreshToken, AccountDisabled)
def cookie_refresh(
    refresh_token: CookieRefreshToken, session: SessionDep, response: Response
) -> CookieSession:
    """A new access token from the refresh cookie (send `X-CSRF-Token`); both cookies
    are replaced (rotation: the old refresh token is used up). A dead session answers
    401 and removes the refresh cookie."""
    outcome = auth_service.refresh_tokens(session, token=refresh_token)
    commit(session)  # a detected reuse revokes the session even though we answer 401
    if isinstance(outcome.error, InvalidRefreshToken):
        outcome.error.headers = {
            "WWW-Authenticate": "Bearer",
            "set-cookie": expired_refresh_cookie(),
        }
    return set_session_cookies(response, outcome.unwrap())


@router.post("/cookie/logout", status_code=status.HTTP_204_NO_CONTENT)
def cookie_logout(
    user: CurrentUser,
    claims: AccessClaims,
    refresh_token: OptionalCookieRefreshToken,
    session: SessionDep,
    response: Response,
) -> None:
    """End this session (the access token now, the refresh cookie's session too; send
    `X-CSRF-Token` with the cookie) and remove both cookies."""
    auth_service.logout(session, user=user, claims=claims, refresh_token=refresh_token)
    commit(session)
    clear_session_cookies(response)


@router.post("/cookie/logout/all", status_code=status.HTTP_204_NO_CONTENT)
def cookie_logout_everywhere(user: CurrentUser, session: SessionDep, response: Response) -> None:
    """End every session of this account, on every device, and remove this browser's
    cookies."""
    auth_service.end_all_sessions(session, user=user)
    commit(session)
    clear_session_cookies(response)
