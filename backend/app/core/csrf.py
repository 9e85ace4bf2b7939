"""The CSRF token of the staff dashboard's cookie session (a signed double submit).

The dashboard keeps its refresh token in an httpOnly cookie scoped to the cookie
routes (`/api/v1/auth/cookie/...`, SameSite=Strict). Any route that reads that cookie
also wants the `X-CSRF-Token` header to carry `csrf_token_for(refresh_token)`, which
the server also sets as a readable cookie (`socia_csrf`, Path=/) beside the refresh
cookie, so the dashboard's JavaScript copies it into the header.

Why this pattern (OWASP's "signed double-submit cookie"): the server stores nothing,
a cross-site page can neither read the cookie nor set the header, and, unlike a plain
double submit where the header only has to equal the cookie, a value planted by a
sibling subdomain or a man in the middle of plain HTTP cannot pass either: the token
is an HMAC of the very refresh token in the request, under a key derived from
`SECRET_KEY`. It changes with each rotation. An Origin check alone would trust every
client that sends no Origin (older browsers on some requests, proxies that strip it);
SameSite=Strict stays as the first layer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from app.core.config import settings


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"socia-dashboard-csrf", hashlib.sha256).digest()


def _sign(secret: str, refresh_token: str) -> str:
    mac = hmac.new(_key(secret), refresh_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_token_for(refresh_token: str) -> str:
    """The CSRF token that goes with this refresh token (under the current key)."""
    return _sign(settings.SECRET_KEY.get_secret_value(), refresh_token)


def csrf_token_matches(refresh_token: str, candidate: str) -> bool:
    """Whether `candidate` is this refresh token's CSRF token, under the current key or
    one of `PREVIOUS_SECRET_KEYS` (sessions survive a key rotation), in constant time."""
    given = candidate.encode()
    return any(
        hmac.compare_digest(_sign(key, refresh_token).encode(), given)
        for key in settings.verification_keys
    )
