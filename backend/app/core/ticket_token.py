"""The signed token of a ticket's QR code and the public URL of its ticket page.

It is the URL-safe base64 (no padding) of 37 bytes:

    format (1) | ticket id (16) | token version (4) | MAC (16)

The ticket id is random (UUID4) and the MAC is an HMAC-SHA256, truncated to 128
bits, under a key derived from `SECRET_KEY` for ticket codes only (a table code's
MAC never verifies as a ticket's). A pass is worth money, so the MAC is longer
than a table code's. Codes issued before a key rotation keep working as long as
the old key is listed in `PREVIOUS_SECRET_KEYS`. Voiding a ticket bumps its
`token_version`, so a screenshot of the old code stops working.
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
_MAC_BYTES = 16
_PAYLOAD = struct.Struct(">B16sI")
_TOKEN_BYTES = _PAYLOAD.size + _MAC_BYTES
# base64 of 37 bytes without padding
TOKEN_LENGTH = -(-_TOKEN_BYTES * 4 // 3)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
PAGE_PATH = "/t/"


@dataclass(frozen=True)
class TicketToken:
    ticket_id: uuid.UUID
    version: int


@lru_cache(maxsize=8)
def _mac_key(secret: str) -> bytes:
    """A key used only for ticket codes, derived from a signing secret."""
    return hmac.new(secret.encode(), TokenType.TICKET_QR.value.encode(), hashlib.sha256).digest()


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(_mac_key(secret), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def encode_ticket_token(*, ticket_id: uuid.UUID, version: int) -> str:
    payload = _PAYLOAD.pack(_FORMAT, ticket_id.bytes, version)
    mac = _mac(settings.SECRET_KEY.get_secret_value(), payload)
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def decode_ticket_token(token: str) -> TicketToken:
    """The ticket and version a token names; `InvalidToken` if it is not ours.

    Takes the bare token or the whole ticket URL (what a scanner reads off the code).
    """
    if PAGE_PATH in token:
        token = token.rsplit(PAGE_PATH, 1)[1]
    if len(token) != TOKEN_LENGTH or not _TOKEN_RE.fullmatch(token):
        raise InvalidToken("malformed ticket code")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed ticket code") from exc
    if len(raw) != _TOKEN_BYTES:
        raise InvalidToken("malformed ticket code")
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    if not any(hmac.compare_digest(_mac(key, payload), mac) for key in settings.verification_keys):
        raise InvalidToken("forged ticket code")
    fmt, ticket, version = _PAYLOAD.unpack(payload)
    if fmt != _FORMAT:
        raise InvalidToken("unknown ticket code format")
    return TicketToken(ticket_id=uuid.UUID(bytes=ticket), version=version)


def ticket_url(*, ticket_id: uuid.UUID, version: int) -> str:
    """The public URL of the ticket's page, which its QR code encodes."""
    token = encode_ticket_token(ticket_id=ticket_id, version=version)
    return links.public_url(PAGE_PATH + token)
