"""A fake Firebase Cloud Messaging (HTTP v1) with its OAuth2 token endpoint: a real
HTTP server on 127.0.0.1 in a thread.

with FakeFcm() as fcm:
    provider = fcm.provider()            # an FcmPush pointed at it, with its own key
    fcm.mode = "ok"                      # "ok", "unregistered" (404), "invalid" (400),
                                         # "crash" (500), "busy" (429), "slow" (answers
                                         # after `delay` seconds), "reject_token" (401 once)
    fcm.messages                         # every message sent, with its headers
    fcm.token_requests                   # every assertion exchanged (claims verified)

The token endpoint checks the assertion as Google does: RS256 under the service
account's public key, `aud` its own URL, the FCM scope, `iss` the account.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.providers.push import FcmPush
from app.providers.push.fcm import SCOPE

Mode = Literal["ok", "unregistered", "invalid", "crash", "busy", "slow", "reject_token"]

PROJECT = "socia-test"
CLIENT_EMAIL = "push@socia-test.iam.gserviceaccount.com"


@dataclass
class SentMessage:
    path: str
    authorization: str
    body: dict[str, Any]


def _private_key_pem() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


_KEY: tuple[str, Any] | None = None


def service_account_key() -> tuple[str, Any]:
    """One RSA key for the whole run (generating one takes a moment)."""
    global _KEY
    if _KEY is None:
        _KEY = _private_key_pem()
    return _KEY


class FakeFcm:
    def __init__(self) -> None:
        self.mode: Mode = "ok"
        self.delay = 2.0
        self.messages: list[SentMessage] = []
        self.token_requests: list[dict[str, Any]] = []
        self.issued = 0
        self.private_key, public_key = service_account_key()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                if self.path == "/token":
                    self._token(raw)
                else:
                    self._send_message(raw)

            def _token(self, raw: bytes) -> None:
                form = urllib.parse.parse_qs(raw.decode())
                try:
                    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
                    claims = jwt.decode(
                        form["assertion"][0],
                        public_key,
                        algorithms=["RS256"],
                        audience=f"{fake.url}/token",
                    )
                    assert claims["scope"] == SCOPE
                    assert claims["iss"] == CLIENT_EMAIL
                except (AssertionError, KeyError, jwt.PyJWTError) as exc:
                    self._answer(400, {"error": "invalid_grant", "error_description": str(exc)})
                    return
                fake.token_requests.append(claims)
                fake.issued += 1
                self._answer(
                    200,
                    {
                        "access_token": f"ya29.fake-{fake.issued}",
                        "expires_in": 3599,
                        "token_type": "Bearer",
                    },
                )

            def _send_message(self, raw: bytes) -> None:
                authorization = self.headers.get("authorization", "")
                if self.path != f"/v1/projects/{PROJECT}/messages:send":
                    self._answer(404, _error(404, "NOT_FOUND", None))
                    return
                if fake.mode == "reject_token":
                    fake.mode = "ok"
                    self._answer(401, _error(401, "UNAUTHENTICATED", None))
                    return
                if authorization != f"Bearer ya29.fake-{fake.issued}":
                    self._answer(401, _error(401, "UNAUTHENTICATED", None))
                    return
                fake.messages.append(
                    SentMessage(path=self.path, authorization=authorization, body=json.loads(raw))
                )
                if fake.mode == "ok":
                    self._answer(200, {"name": f"projects/{PROJECT}/messages/{len(fake.messages)}"})
                elif fake.mode == "unregistered":
                    self._answer(404, _error(404, "NOT_FOUND", "UNREGISTERED"))
                elif fake.mode == "invalid":
                    self._answer(400, _error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"))
                elif fake.mode == "busy":
                    self._answer(429, _error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"))
                elif fake.mode == "slow":
                    time.sleep(fake.delay)
                    self._answer(200, {"name": "late"})
                else:
                    self._answer(500, _error(500, "INTERNAL", "INTERNAL"))

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # unless the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def provider(self, *, timeout: float = 5.0) -> FcmPush:
        return FcmPush(
            project_id=PROJECT,
            client_email=CLIENT_EMAIL,
            private_key=self.private_key,
            token_uri=f"{self.url}/token",
            api_base_url=self.url,
            timeout=timeout,
        )

    def __enter__(self) -> FakeFcm:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _error(code: int, status: str, error_code: str | None) -> dict[str, Any]:
    details = (
        [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        ]
        if error_code
        else []
    )
    return {
        "error": {"code": code, "message": status.lower(), "status": status, "details": details}
    }
