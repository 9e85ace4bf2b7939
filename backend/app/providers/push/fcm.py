"""Firebase Cloud Messaging, HTTP v1 API.

Authentication is OAuth2 for a service account: a JWT signed with the account's
private key (RS256; `iss` the account's email, `aud` the token URI, the FCM scope)
is exchanged at `FCM_TOKEN_URI` for an access token, kept until shortly before it
expires. A message is `POST {FCM_API_BASE_URL}/v1/projects/{project}/messages:send`.

Answers: 200 sent; 404 / `UNREGISTERED` the token is gone (`UnregisteredToken`: the
caller forgets the device); other 4xx refused for good (`PushRejected`); 401 once
more with a fresh access token; 429, 5xx and network errors or timeouts `PushError`
(retried by the job queue).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
import jwt

from app.core.config import Settings
from app.providers.push.base import PushError, PushMessage, PushRejected, UnregisteredToken

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
#: An access token is renewed this many seconds before it expires.
RENEW_BEFORE_SECONDS = 60
ASSERTION_LIFETIME_SECONDS = 3600


class FcmPush:
    def __init__(
        self,
        *,
        project_id: str,
        client_email: str,
        private_key: str,
        token_uri: str,
        api_base_url: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.project_id = project_id
        self.client_email = client_email
        # A key pasted into an environment variable often has its newlines as `\n`.
        self._private_key = private_key.replace("\\n", "\n")
        self.token_uri = token_uri
        self.send_url = f"{api_base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._expires_at = 0.0

    @classmethod
    def from_settings(cls, cfg: Settings) -> FcmPush:
        if not cfg.FCM_PROJECT_ID or not cfg.FCM_CLIENT_EMAIL or cfg.FCM_PRIVATE_KEY is None:
            raise ValueError(
                "PUSH_PROVIDER=fcm needs FCM_PROJECT_ID, FCM_CLIENT_EMAIL and FCM_PRIVATE_KEY"
            )
        return cls(
            project_id=cfg.FCM_PROJECT_ID,
            client_email=cfg.FCM_CLIENT_EMAIL,
            private_key=cfg.FCM_PRIVATE_KEY.get_secret_value(),
            token_uri=str(cfg.FCM_TOKEN_URI),
            api_base_url=str(cfg.FCM_API_BASE_URL),
            timeout=cfg.FCM_TIMEOUT_SECONDS,
        )

    # --- the access token -----------------------------------------------------------------

    def _assertion(self, now: int) -> str:
        claims = {
            "iss": self.client_email,
            "sub": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
        }
        try:
            return jwt.encode(claims, self._private_key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise PushRejected("FCM_PRIVATE_KEY is not a usable RSA private key") from exc

    def access_token(self, *, renew: bool = False) -> str:
        with self._lock:
            if not renew and self._access_token and time.time() < self._expires_at:
                return self._access_token
            now = int(time.time())
            try:
                response = self._client.post(
                    self.token_uri,
                    data={
                        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                        "assertion": self._assertion(now),
                    },
                )
            except httpx.HTTPError as exc:
                raise PushError(f"token endpoint unreachable: {type(exc).__name__}") from exc
            body = _json(response)
            token = body.get("access_token") if isinstance(body, dict) else None
            if response.status_code != 200 or not isinstance(token, str):
                if response.status_code >= 500 or response.status_code == 429:
                    raise PushError(f"token endpoint answered {response.status_code}")
                raise PushRejected(f"token endpoint refused the service account: {body}")
            expires_in = body.get("expires_in", 3600) if isinstance(body, dict) else 3600
            self._access_token = token
            self._expires_at = now + max(0, int(expires_in) - RENEW_BEFORE_SECONDS)
            return token

    # --- sending ------------------------------------------------------------------------------

    def send(self, *, token: str, message: PushMessage) -> None:
        payload = {
            "message": {
                "token": token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
            }
        }
        response = self._post(payload, self.access_token())
        if response.status_code == 401:  # revoked or expired early: once more, renewed
            response = self._post(payload, self.access_token(renew=True))
        if response.status_code == 200:
            logger.info("push sent to %s…", token[:12])
            return
        body = _json(response)
        status, codes = _error_codes(body)
        if response.status_code == 404 or "UNREGISTERED" in codes or status == "NOT_FOUND":
            raise UnregisteredToken(f"FCM does not know the token ({response.status_code})")
        if response.status_code == 429 or response.status_code >= 500:
            raise PushError(f"FCM answered {response.status_code} {status or ''}".strip())
        raise PushRejected(f"FCM refused the message: {response.status_code} {body}")

    def _post(self, payload: dict[str, Any], access_token: str) -> httpx.Response:
        try:
            return self._client.post(
                self.send_url,
                json=payload,
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.HTTPError as exc:
            raise PushError(f"FCM unreachable: {type(exc).__name__}") from exc


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_codes(body: Any) -> tuple[str | None, set[str]]:
    """The `error.status` and the `errorCode`s of FCM's error details."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None, set()
    error = body["error"]
    codes = {
        str(detail.get("errorCode"))
        for detail in error.get("details", [])
        if isinstance(detail, dict) and detail.get("errorCode")
    }
    status = error.get("status")
    return (status if isinstance(status, str) else None), codes
