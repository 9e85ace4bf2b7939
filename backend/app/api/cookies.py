"""The staff dashboard's session cookies (routes `/api/v1/auth/cookie/...`).

- `socia_refresh`: the refresh token. httpOnly (no script reads it), SameSite=Strict,
  Path=/api/v1/auth/cookie (sent to the cookie routes only, never to the rest of the
  API), Secure in production, for the refresh token's lifetime.
- `socia_csrf`: `csrf_token_for(refresh token)` (app/core/csrf.py), readable by the
  dashboard's JavaScript (Path=/, SameSite=Strict, not httpOnly), which sends it back
  in the `X-CSRF-Token` header. Replaced at every rotation.

The access token is never a cookie: the dashboard keeps it in memory and sends it as
`Authorization: Bearer ...`, like every other client.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Response

from app.core.config import settings
from app.core.csrf import csrf_token_for
from app.schema.auth import CookieSession, TokenPair

REFRESH_COOKIE = "socia_refresh"
CSRF_COOKIE = "socia_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAME_SITE: Literal["strict"] = "strict"


def refresh_cookie_path() -> str:
    return f"{settings.API_V1_STR}/auth/cookie"


def _secure() -> bool:
    # Production is HTTPS only (Traefik); local runs are plain HTTP on localhost.
    return settings.is_production


def set_session_cookies(response: Response, tokens: TokenPair) -> CookieSession:
    """Put the pair's refresh token (and its CSRF token) in cookies; the answer's body
    carries the access token only."""
    max_age = tokens.refresh_expires_in
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=max_age,
        path=refresh_cookie_path(),
        secure=_secure(),
        httponly=True,
        samesite=SAME_SITE,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(tokens.refresh_token),
        max_age=max_age,
        path="/",
        secure=_secure(),
        httponly=False,
        samesite=SAME_SITE,
    )
    response.headers["Cache-Control"] = "no-store"
    return CookieSession(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_expires_in=tokens.refresh_expires_in,
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=refresh_cookie_path(),
        secure=_secure(),
        httponly=True,
        samesite=SAME_SITE,
    )
    response.delete_cookie(
        CSRF_COOKIE, path="/", secure=_secure(), httponly=False, samesite=SAME_SITE
    )


def expired_refresh_cookie() -> str:
    """A `Set-Cookie` value that removes the refresh cookie (for an error answer, whose
    headers are a plain mapping)."""
    scratch = Response()
    scratch.delete_cookie(
        REFRESH_COOKIE,
        path=refresh_cookie_path(),
        secure=_secure(),
        httponly=True,
        samesite=SAME_SITE,
    )
    return scratch.headers["set-cookie"]
