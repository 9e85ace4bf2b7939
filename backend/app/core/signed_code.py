"""Short signed codes printed as QR codes (tables, tickets): one codec for both.

A code is the URL-safe base64 (no padding) of

    format (1) | the payload's fields (fixed size) | MAC

The MAC is an HMAC-SHA256, truncated, under a key derived from `SECRET_KEY` for
this kind of code only (a table code can never pass for a ticket). Codes made
before a key rotation keep working while the old key is in `PREVIOUS_SECRET_KEYS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from functools import lru_cache
from typing import Any

from app.core.config import settings
from app.core.security import InvalidToken, TokenType

_FORMAT = 1
_CODE_RE = re.compile(r"[A-Za-z0-9_-]+")


@lru_cache(maxsize=16)
def _mac_key(secret: str, purpose: TokenType) -> bytes:
    return hmac.new(secret.encode(), purpose.value.encode(), hashlib.sha256).digest()


class SignedCode:
    """Codes of one kind: `fields` is the struct of the payload after the format byte."""

    def __init__(self, *, purpose: TokenType, fields: str, mac_bytes: int, what: str) -> None:
        self.purpose = purpose
        self.what = what
        self._payload = struct.Struct(">B" + fields)
        self._mac_bytes = mac_bytes
        self._size = self._payload.size + mac_bytes
        self.length = -(-self._size * 4 // 3)  # base64 characters, without padding

    def _mac(self, secret: str, payload: bytes) -> bytes:
        key = _mac_key(secret, self.purpose)
        return hmac.new(key, payload, hashlib.sha256).digest()[: self._mac_bytes]

    def encode(self, *values: Any) -> str:
        payload = self._payload.pack(_FORMAT, *values)
        mac = self._mac(settings.SECRET_KEY.get_secret_value(), payload)
        return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()

    def decode(self, code: str) -> tuple[Any, ...]:
        """The payload's fields; `InvalidToken` if the code is not one of ours."""
        if len(code) != self.length or not _CODE_RE.fullmatch(code):
            raise InvalidToken(f"malformed {self.what} code")
        try:
            raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidToken(f"malformed {self.what} code") from exc
        if len(raw) != self._size:
            raise InvalidToken(f"malformed {self.what} code")
        payload, mac = raw[: self._payload.size], raw[self._payload.size :]
        if not any(
            hmac.compare_digest(self._mac(key, payload), mac) for key in settings.verification_keys
        ):
            raise InvalidToken(f"forged {self.what} code")
        fmt, *values = self._payload.unpack(payload)
        if fmt != _FORMAT:
            raise InvalidToken(f"unknown {self.what} code format")
        return tuple(values)
