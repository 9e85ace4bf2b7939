"""The signed token of a table's QR code and the public URL that carries it.

The token is kept short so the printed code stays small (a version-5 QR for a
typical domain). It is the URL-safe base64 (no padding) of 47 bytes:

    format (1) | venue id (16) | table id (16) | token version (4) | MAC (10)

The MAC is an HMAC-SHA256, truncated to 80 bits, under a key derived from
`SECRET_KEY` (codes printed before a key rotation keep working as long as the
old key is listed in `PREVIOUS_SECRET_KEYS`). Bumping a table's `token_version`
revokes every code printed before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
import uuid
from dataclasses import dataclass
from functools import lru_cache

from app.core import links
from app.core.config import settings
from app.core.security import InvalidToken, TokenType

_FORMAT = 1
_MAC_BYTES = 10
_PAYLOAD = struct.Struct(">B16s16sI")
_TOKEN_BYTES = _PAYLOAD.size + _MAC_BYTES
# base64 of 47 bytes without padding
TOKEN_LENGTH = -(-_TOKEN_BYTES * 4 // 3)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TableToken:
    venue_id: uuid.UUID
    table_id: uuid.UUID
    version: int


@lru_cache(maxsize=8)
def _mac_key(secret: str) -> bytes:
    """A key used only for table codes, derived from a signing secret."""
    return hmac.new(secret.encode(), TokenType.TABLE_QR.value.encode(), hashlib.sha256).digest()


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(_mac_key(secret), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def encode_table_token(*, venue_id: uuid.UUID, table_id: uuid.UUID, version: int) -> str:
    payload = _PAYLOAD.pack(_FORMAT, venue_id.bytes, table_id.bytes, version)
    mac = _mac(settings.SECRET_KEY.get_secret_value(), payload)
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def decode_table_token(token: str) -> TableToken:
    """The venue, table and version a token names; `InvalidToken` if it is not ours."""
    if len(token) != TOKEN_LENGTH or not _TOKEN_RE.fullmatch(token):
        raise InvalidToken("malformed table code")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed table code") from exc
    if len(raw) != _TOKEN_BYTES:
        raise InvalidToken("malformed table code")
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    if not any(hmac.compare_digest(_mac(key, payload), mac) for key in settings.verification_keys):
        raise InvalidToken("forged table code")
    fmt, venue, table, version = _PAYLOAD.unpack(payload)
    if fmt != _FORMAT:
        raise InvalidToken("unknown table code format")
    return TableToken(
        venue_id=uuid.UUID(bytes=venue), table_id=uuid.UUID(bytes=table), version=version
    )


def public_base_url() -> str:
    return links.public_url()


def table_url(*, venue_id: uuid.UUID, table_id: uuid.UUID, version: int) -> str:
    """The short public URL a table's QR code encodes."""
    token = encode_table_token(venue_id=venue_id, table_id=table_id, version=version)
    return f"{public_base_url()}/q/{token}"
